package engine

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/engine/cgroups"
	"github.com/berth-dev/berth/engine/launch"
	"github.com/berth-dev/berth/engine/network"
	"github.com/berth-dev/berth/store"
)

// Ulimit is a resource limit of a container's process (--ulimit), in the
// shape of docker's HostConfig.Ulimits entries.
type Ulimit struct {
	Name       string
	Hard, Soft int64
}

// parseUlimit reads docker's --ulimit NAME=SOFT[:HARD] (HARD defaults to
// SOFT).
func parseUlimit(s string) (Ulimit, error) {
	name, limits, ok := strings.Cut(s, "=")
	if !ok {
		return Ulimit{}, invalidf("invalid ulimit argument: %s: want NAME=SOFT[:HARD]", s)
	}
	if _, ok := launch.RlimitNumber(name); !ok {
		return Ulimit{}, invalidf("invalid ulimit type: %s", name)
	}
	soft, hard, hasHard := strings.Cut(limits, ":")
	u := Ulimit{Name: name}
	var err error
	if u.Soft, err = strconv.ParseInt(soft, 10, 64); err != nil {
		return Ulimit{}, invalidf("invalid ulimit soft value %q in %s", soft, s)
	}
	u.Hard = u.Soft
	if hasHard {
		if u.Hard, err = strconv.ParseInt(hard, 10, 64); err != nil {
			return Ulimit{}, invalidf("invalid ulimit hard value %q in %s", hard, s)
		}
	}
	if u.Soft < -1 || u.Hard < -1 {
		return Ulimit{}, invalidf("invalid ulimit value in %s", s)
	}
	// -1 is unlimited, above any other value.
	if uint64(u.Soft) > uint64(u.Hard) {
		return Ulimit{}, invalidf("ulimit soft limit must be less than or equal to hard limit: %d > %d", u.Soft, u.Hard)
	}
	return u, nil
}

// hostGateway is the --add-host address that stands for the host: the
// gateway of the default bridge network, as docker has it.
const hostGateway = "host-gateway"

// checkExtraHosts accepts docker's --add-host HOST:IP entries.
func checkExtraHosts(hosts []string) error {
	for _, h := range hosts {
		name, ip, ok := strings.Cut(h, ":")
		if !ok || name == "" {
			return invalidf("invalid argument %q for \"--add-host\" flag: want HOST:IP", h)
		}
		if ip == hostGateway {
			continue
		}
		if _, err := netip.ParseAddr(strings.Trim(ip, "[]")); err != nil {
			return invalidf("invalid IP address in add-host: %q", ip)
		}
	}
	return nil
}

// checkDNS accepts --dns addresses.
func checkDNS(servers []string) error {
	for _, s := range servers {
		if _, err := netip.ParseAddr(s); err != nil {
			return invalidf("%s is not an ip address", s)
		}
	}
	return nil
}

// hostsEntries returns the /etc/hosts lines of --add-host entries, with
// host-gateway standing for gateway (an entry naming it is left out while
// there is no default bridge, "").
func hostsEntries(hosts []string, gateway string) string {
	var b strings.Builder
	for _, h := range hosts {
		name, ip, _ := strings.Cut(h, ":")
		if ip == hostGateway {
			if ip = gateway; ip == "" {
				continue
			}
		}
		fmt.Fprintf(&b, "%s\t%s\n", strings.Trim(ip, "[]"), name)
	}
	return b.String()
}

// bridgeGateway returns the default bridge's gateway in db, or "".
func bridgeGateway(db *store.NetworkDB) string {
	if n := db.Network(DefaultBridge); n != nil {
		return n.Gateway
	}
	return ""
}

// withDNS returns resolv.conf body with its nameserver, search and options
// lines replaced by the container's --dns, --dns-search and --dns-option
// settings, for those it has.
func withDNS(body string, h HostConfig) string {
	if len(h.Dns) == 0 && len(h.DnsSearch) == 0 && len(h.DnsOptions) == 0 {
		return body
	}
	var out []string
	for _, line := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			switch {
			case f[0] == "nameserver" && len(h.Dns) > 0,
				f[0] == "search" && len(h.DnsSearch) > 0,
				f[0] == "options" && len(h.DnsOptions) > 0:
				continue
			}
		}
		if line != "" {
			out = append(out, line)
		}
	}
	for _, s := range h.Dns {
		out = append(out, "nameserver "+s)
	}
	if len(h.DnsSearch) > 0 {
		out = append(out, "search "+strings.Join(h.DnsSearch, " "))
	}
	if len(h.DnsOptions) > 0 {
		out = append(out, "options "+strings.Join(h.DnsOptions, " "))
	}
	return strings.Join(out, "\n") + "\n"
}

// DeviceMapping is a host device a container gets (--device), in the shape
// of docker's HostConfig.Devices entries.
type DeviceMapping struct {
	PathOnHost        string
	PathInContainer   string
	CgroupPermissions string
}

// parseDevice reads docker's --device HOST[:CONTAINER[:PERMISSIONS]]
// and checks that HOST is a device.
func parseDevice(s string) (DeviceMapping, error) {
	parts := strings.Split(s, ":")
	d := DeviceMapping{PathOnHost: parts[0], PathInContainer: parts[0], CgroupPermissions: "rwm"}
	switch len(parts) {
	case 1:
	case 2:
		if isDevicePerms(parts[1]) {
			d.CgroupPermissions = parts[1]
		} else {
			d.PathInContainer = parts[1]
		}
	case 3:
		d.PathInContainer, d.CgroupPermissions = parts[1], parts[2]
	default:
		return d, invalidf("invalid device specification: %s", s)
	}
	if !path.IsAbs(d.PathOnHost) || !path.IsAbs(d.PathInContainer) || !isDevicePerms(d.CgroupPermissions) {
		return d, invalidf("invalid device specification: %s", s)
	}
	if _, err := hostDevice(d); err != nil {
		return d, invalidf("error gathering device information while adding custom device %q: %v", d.PathOnHost, errors.Unwrap(err))
	}
	return d, nil
}

func isDevicePerms(p string) bool {
	if p == "" {
		return false
	}
	for _, c := range p {
		if !strings.ContainsRune("rwm", c) {
			return false
		}
	}
	return true
}

// hostDevice describes the host device d maps, as it is now.
func hostDevice(d DeviceMapping) (launch.Device, error) {
	var st unix.Stat_t
	if err := unix.Stat(d.PathOnHost, &st); err != nil {
		return launch.Device{}, &os.PathError{Op: "stat", Path: d.PathOnHost, Err: err}
	}
	dev := launch.Device{Path: d.PathInContainer, Mode: st.Mode, Major: unix.Major(st.Rdev), Minor: unix.Minor(st.Rdev), UID: st.Uid, GID: st.Gid}
	if t := st.Mode & unix.S_IFMT; t != unix.S_IFCHR && t != unix.S_IFBLK {
		return dev, &os.PathError{Op: "stat", Path: d.PathOnHost, Err: errors.New("not a device node")}
	}
	return dev, nil
}

// deviceRule is the cgroup rule that lets a container use dev with
// permissions perms.
func deviceRule(dev launch.Device, perms string) cgroups.DeviceRule {
	t := 'c'
	if dev.Mode&unix.S_IFMT == unix.S_IFBLK {
		t = 'b'
	}
	return cgroups.DeviceRule{Type: t, Major: int64(dev.Major), Minor: int64(dev.Minor), Access: perms}
}

// checkNamespaceModes accepts the --pid, --ipc and --uts modes berth has:
// the container's own namespace (empty; "private" or "shareable" for
// IPC, which are the same here), the host's, or for PID and IPC another
// container's ("container:NAME", resolved when the container starts).
func checkNamespaceModes(o CreateOptions) error {
	for _, m := range []struct{ flag, mode string }{{"pid", o.PidMode}, {"ipc", o.IpcMode}, {"uts", o.UTSMode}} {
		switch {
		case m.mode == "" || m.mode == "host":
		case m.flag == "ipc" && (m.mode == "private" || m.mode == "shareable"):
		case m.flag != "uts" && strings.HasPrefix(m.mode, "container:") && len(m.mode) > len("container:"):
		default:
			return invalidf("invalid --%s mode %q: want host%s", m.flag, m.mode, map[bool]string{true: "", false: " or container:NAME"}[m.flag == "uts"])
		}
	}
	if o.UTSMode == "host" && o.Hostname != "" {
		return invalidf("conflicting options: hostname and the UTS mode")
	}
	return nil
}

// sharedNamespace returns the PID of the init of the running container
// whose namespace mode ("container:NAME") asks to share, for flag (pid or
// ipc); 0 for any other mode.
func (e *Engine) sharedNamespace(ctx context.Context, flag, mode string) (int, error) {
	ref, ok := strings.CutPrefix(mode, "container:")
	if !ok {
		return 0, nil
	}
	id, err := e.ResolveContainer(ctx, ref)
	if err != nil {
		return 0, err
	}
	st, err := e.readState(id)
	if err != nil {
		return 0, err
	}
	if st.Status != StateRunning && st.Status != StatePaused || st.Pid <= 0 {
		return 0, invalidf("cannot join the %s namespace of %s: it is not running", strings.ToUpper(flag), ref)
	}
	return st.Pid, nil
}

// netOwner returns the record of container ref, whose network namespace a
// container created with o joins (--network container:NAME), refusing
// the options docker refuses with that mode.
func (e *Engine) netOwner(ctx context.Context, ref string, o CreateOptions) (*containerRecord, error) {
	for _, c := range []struct {
		set  bool
		what string
	}{
		{o.Hostname != "", "hostname"},
		{len(o.PortBindings) > 0 || o.PublishAllPorts, "port publishing"},
		{len(o.NetworkAliases) > 0, "network aliases"},
		{len(o.DNS) > 0 || len(o.DNSSearch) > 0 || len(o.DNSOptions) > 0, "dns"},
		{len(o.ExtraHosts) > 0, "custom host-to-IP mapping"},
	} {
		if c.set {
			return nil, invalidf("conflicting options: %s and the network mode", c.what)
		}
	}
	id, err := e.ResolveContainer(ctx, ref)
	if err != nil {
		return nil, err
	}
	return e.readRecord(id)
}

// parseSysctls reads --sysctl KEY=VALUE settings, taking only those of a
// namespace the container has of its own, as docker does: IPC
// (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*), UTS
// (kernel.domainname) and network (net.*).
func parseSysctls(kvs []string, network, ipc, uts string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" || strings.ContainsAny(k, "/ ") || strings.Contains(k, "..") {
			return nil, invalidf("invalid sysctl %q: want KEY=VALUE", kv)
		}
		var own bool
		switch {
		case strings.HasPrefix(k, "net."):
			own = network != "host" && !strings.HasPrefix(network, "container:")
		case k == "kernel.msgmax", k == "kernel.msgmnb", k == "kernel.msgmni", k == "kernel.sem",
			k == "kernel.shmall", k == "kernel.shmmax", k == "kernel.shmmni", k == "kernel.shm_rmid_forced",
			strings.HasPrefix(k, "fs.mqueue."):
			own = ipc == "" || ipc == "private" || ipc == "shareable"
		case k == "kernel.domainname":
			own = uts == ""
		default:
			return nil, invalidf("sysctl %q is not allowed: only those of the container's own network, IPC or UTS namespace are", k)
		}
		if !own {
			return nil, invalidf("sysctl %q is not allowed: the container shares that namespace", k)
		}
		out[k] = v
	}
	return out, nil
}

// exposedPorts expands --expose PORT[-PORT][/PROTO] into docker's
// "PORT/PROTO" keys.
func exposedPorts(specs []string) ([]string, error) {
	ps, err := network.ParseExposed(specs)
	if err != nil {
		return nil, invalidf("invalid --expose: %v", err)
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = strconv.Itoa(int(p.ContainerPort)) + "/" + p.Proto
	}
	return out, nil
}
