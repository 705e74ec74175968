package network

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// PortSpec is one published port as requested: traffic to HostIP:HostPort
// goes to ContainerPort inside the container. A zero HostPort means any
// free port, an invalid HostIP means every host address.
type PortSpec struct {
	Proto         string // "tcp" or "udp"
	HostIP        netip.Addr
	HostPort      uint16
	ContainerPort uint16
}

// String formats s as docker prints a binding: "0.0.0.0:8080->80/tcp".
func (s PortSpec) String() string {
	return fmt.Sprintf("%s->%d/%s", s.HostAddr(), s.ContainerPort, s.Proto)
}

// HostAddr formats the host side as docker's `port` command does:
// "0.0.0.0:8080", "127.0.0.1:8080", "[::1]:8080".
func (s PortSpec) HostAddr() string {
	ip := "0.0.0.0"
	if s.HostIP.IsValid() {
		ip = s.HostIP.String()
	}
	return joinHostPort(ip, s.HostPort)
}

func joinHostPort(ip string, port uint16) string {
	if strings.Contains(ip, ":") {
		return "[" + ip + "]:" + strconv.Itoa(int(port))
	}
	return ip + ":" + strconv.Itoa(int(port))
}

// ParsePortSpec parses one -p value in docker's syntax:
// [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTO], where the ports may be
// equal-length ranges ("8080-8081:80-81") and HOST_IP may be an IPv6
// address in brackets. A missing HOST_PORT means a free port chosen when
// the container starts. Any error wraps ErrInvalidPortSpec and quotes the
// offending value: invalid port specification: "99999".
func ParsePortSpec(spec string) ([]PortSpec, error) {
	bad := func() ([]PortSpec, error) {
		return nil, fmt.Errorf("%w: %q", ErrInvalidPortSpec, spec)
	}
	rest, proto := spec, "tcp"
	if i := strings.LastIndexByte(rest, '/'); i >= 0 {
		rest, proto = rest[:i], strings.ToLower(rest[i+1:])
		if proto != "tcp" && proto != "udp" {
			return nil, fmt.Errorf("%w: %q: protocol must be tcp or udp", ErrInvalidPortSpec, spec)
		}
	}
	var hostIP netip.Addr
	if strings.HasPrefix(rest, "[") {
		end := strings.Index(rest, "]:")
		if end < 0 {
			return bad()
		}
		ip, err := netip.ParseAddr(rest[1:end])
		if err != nil || !ip.Is6() {
			return bad()
		}
		hostIP, rest = ip, rest[end+2:]
	}
	parts := strings.Split(rest, ":")
	var hostPart, ctrPart string
	switch len(parts) {
	case 1:
		ctrPart = parts[0]
	case 2:
		hostPart, ctrPart = parts[0], parts[1]
	case 3:
		if hostIP.IsValid() {
			return bad()
		}
		ip, err := netip.ParseAddr(parts[0])
		if err != nil || !ip.Is4() {
			return bad()
		}
		hostIP, hostPart, ctrPart = ip, parts[1], parts[2]
	default:
		return bad()
	}
	if hostIP.IsUnspecified() {
		hostIP = netip.Addr{}
	}
	cLo, cHi, ok := parsePortRange(ctrPart)
	if !ok {
		return bad()
	}
	var hLo, hHi uint16
	if hostPart != "" {
		if hLo, hHi, ok = parsePortRange(hostPart); !ok {
			return bad()
		}
		if hHi-hLo != cHi-cLo {
			return bad()
		}
	}
	out := make([]PortSpec, 0, int(cHi-cLo)+1)
	for p := int(cLo); p <= int(cHi); p++ {
		s := PortSpec{Proto: proto, HostIP: hostIP, ContainerPort: uint16(p)}
		if hostPart != "" {
			s.HostPort = hLo + uint16(p-int(cLo))
		}
		out = append(out, s)
	}
	return out, nil
}

// parsePortRange parses "80" or "8080-8090" with ports in 1..65535.
func parsePortRange(s string) (lo, hi uint16, ok bool) {
	a, b, isRange := strings.Cut(s, "-")
	lo, ok = parsePort(a)
	if !ok {
		return 0, 0, false
	}
	if !isRange {
		return lo, lo, true
	}
	hi, ok = parsePort(b)
	if !ok || hi < lo {
		return 0, 0, false
	}
	return lo, hi, true
}

func parsePort(s string) (uint16, bool) {
	if s == "" || len(s) > 5 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, false
	}
	return uint16(n), true
}

// ParsePortSpecs parses every -p value and rejects two specs that claim
// the same host address, port and protocol.
func ParsePortSpecs(specs []string) ([]PortSpec, error) {
	var out []PortSpec
	seen := map[string]string{}
	for _, s := range specs {
		ps, err := ParsePortSpec(s)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			if p.HostPort != 0 {
				k := p.HostAddr() + "/" + p.Proto
				if prev, dup := seen[k]; dup {
					return nil, fmt.Errorf("%w: %q and %q both publish %s", ErrInvalidPortSpec, prev, s, k)
				}
				seen[k] = s
			}
		}
		out = append(out, ps...)
	}
	return out, nil
}

// ParseExposed parses an image's ExposedPorts key ("80/tcp", "53/udp",
// "8080") into specs publishing each to a free host port, as -P does.
// The result is sorted by protocol and port.
func ParseExposed(exposed []string) ([]PortSpec, error) {
	var out []PortSpec
	for _, e := range exposed {
		port, proto, _ := strings.Cut(e, "/")
		if proto == "" {
			proto = "tcp"
		}
		lo, hi, ok := parsePortRange(port)
		if !ok || (proto != "tcp" && proto != "udp") {
			return nil, fmt.Errorf("%w: %q", ErrInvalidPortSpec, e)
		}
		for p := int(lo); p <= int(hi); p++ {
			out = append(out, PortSpec{Proto: proto, ContainerPort: uint16(p)})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Proto != out[j].Proto {
			return out[i].Proto < out[j].Proto
		}
		return out[i].ContainerPort < out[j].ContainerPort
	})
	return out, nil
}
