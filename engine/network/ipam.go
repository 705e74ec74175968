package network

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"

	"github.com/berth-dev/berth/store"
)

// RandomID returns 64 random hex characters, the form of network and
// endpoint IDs.
func RandomID() string {
	var b [32]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// BridgeOf returns the bridge of network record n.
func BridgeOf(n *store.Network) (Bridge, error) {
	sub, err := netip.ParsePrefix(n.Subnet)
	if err != nil {
		return Bridge{}, fmt.Errorf("network %s: subnet %q: %w", n.Name, n.Subnet, err)
	}
	gw, err := netip.ParseAddr(n.Gateway)
	if err != nil {
		return Bridge{}, fmt.Errorf("network %s: gateway %q: %w", n.Name, n.Gateway, err)
	}
	return Bridge{Name: n.Bridge, Subnet: sub, Gateway: gw}, nil
}

// Lease gives endpoint ep of network n (both in db) the address it asked
// for (StaticIP), else the lowest free address of the network that no
// other endpoint asked for, and its MAC. It must run
// inside store.UpdateNetworks, whose lock makes the lease exclusive across
// processes. Leasing an endpoint that already holds an address keeps it.
func Lease(db *store.NetworkDB, n *store.Network, ep *store.Endpoint) (netip.Addr, error) {
	if ep.IP != "" {
		return netip.ParseAddr(ep.IP)
	}
	br, err := BridgeOf(n)
	if err != nil {
		return netip.Addr{}, err
	}
	// The addresses of live endpoints, and those other containers asked
	// for, which stay theirs while they are stopped.
	taken := map[netip.Addr]bool{}
	for i := range db.Endpoints {
		o := &db.Endpoints[i]
		if o.Network != n.ID || o == ep {
			continue
		}
		for _, s := range []string{o.IP, o.StaticIP} {
			if a, err := netip.ParseAddr(s); err == nil {
				taken[a] = true
			}
		}
	}
	var ip netip.Addr
	if ep.StaticIP != "" {
		if ip, err = CheckAddress(n, ep.StaticIP); err != nil {
			return netip.Addr{}, err
		}
		if taken[ip] {
			return netip.Addr{}, fmt.Errorf("lease address on network %s: address %s is already in use", n.Name, ip)
		}
	} else if ip, err = Allocate(br.Subnet, br.Gateway, taken); err != nil {
		return netip.Addr{}, fmt.Errorf("lease address on network %s: %w", n.Name, err)
	}
	ep.IP = ip.String()
	ep.MAC = MAC(ip)
	if ep.StaticMAC != "" {
		ep.MAC = ep.StaticMAC
	}
	return ip, nil
}

// CheckAddress parses s, an address a container asks for on network n
// (--ip), and checks that the network can give it: an IPv4 address of its
// subnet that is not the subnet's own, its broadcast address or its
// gateway.
func CheckAddress(n *store.Network, s string) (netip.Addr, error) {
	ip, err := netip.ParseAddr(s)
	if err != nil || !ip.Is4() {
		return netip.Addr{}, fmt.Errorf("invalid IPv4 address %q", s)
	}
	br, err := BridgeOf(n)
	if err != nil {
		return netip.Addr{}, err
	}
	switch {
	case !br.Subnet.Contains(ip):
		return netip.Addr{}, fmt.Errorf("address %s does not belong to the subnet %s of network %s", ip, br.Subnet, n.Name)
	case ip == br.Gateway:
		return netip.Addr{}, fmt.Errorf("address %s is the gateway of network %s", ip, n.Name)
	case ip == br.Subnet.Masked().Addr() || ip == broadcast(br.Subnet):
		return netip.Addr{}, fmt.Errorf("address %s is not a host address of the subnet %s of network %s", ip, br.Subnet, n.Name)
	}
	return ip, nil
}

// Release clears the live fields of ep, returning its address to the pool.
func Release(ep *store.Endpoint) {
	ep.IP, ep.MAC, ep.IfName, ep.HostVeth = "", "", "", ""
	ep.PID, ep.PIDStart, ep.Ports = 0, 0, nil
}

// VethName returns a fresh host veth name: prefix followed by random hex
// characters up to the kernel's 15-character limit. A new name per start
// never clashes with the pair of a previous start that the kernel may
// still be deleting.
func VethName(prefix string) string {
	return prefix + RandomID()[:15-len(prefix)]
}

// UsedSubnets returns the subnets of db's bridge networks.
func UsedSubnets(db *store.NetworkDB) []netip.Prefix {
	var out []netip.Prefix
	for _, n := range db.Networks {
		if p, err := netip.ParsePrefix(n.Subnet); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// RulesOf returns the firewall rules db calls for: every bridge network
// and every published port of a live endpoint.
func RulesOf(db *store.NetworkDB) Rules {
	var r Rules
	for i := range db.Networks {
		n := &db.Networks[i]
		if n.Driver != "bridge" {
			continue
		}
		if br, err := BridgeOf(n); err == nil {
			r.Bridges = append(r.Bridges, br)
		}
	}
	for _, ep := range db.Endpoints {
		ip, err := netip.ParseAddr(ep.IP)
		if err != nil {
			continue
		}
		for _, p := range ep.Ports {
			fw := Forward{Proto: p.Proto, HostPort: p.HostPort, IP: ip, Port: p.ContainerPort}
			if p.HostIP != "" {
				fw.HostIP, _ = netip.ParseAddr(p.HostIP)
			}
			r.Forwards = append(r.Forwards, fw)
		}
	}
	return r
}
