package network

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Bridge describes the Linux bridge of a network.
type Bridge struct {
	Name    string
	Subnet  netip.Prefix
	Gateway netip.Addr
}

func isNotFound(err error) bool {
	var nf netlink.LinkNotFoundError
	return errors.As(err, &nf) || errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENOENT)
}

// BridgeUp reports whether bridge name exists and is up. A bridge is set
// up only once it is fully configured (SetBridgeUp, after EnsureBridge and
// the firewall), so up means ready; this is the one netlink request a
// container start pays for its bridge.
func BridgeUp(name string) (bool, error) {
	l, err := netlink.LinkByName(name)
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("find bridge %s: %w", name, err)
	}
	return l.Attrs().Flags&net.FlagUp != 0, nil
}

// EnsureBridge creates bridge b if missing and gives it its MAC, MTU (the
// uplink's) and gateway address; it enables IPv4 forwarding and
// route_localnet on the bridge (so loopback traffic to published ports
// can be DNATed to a container). It leaves the bridge down: the caller
// installs the firewall rules and then calls SetBridgeUp. It is
// idempotent, so a configuration interrupted by a crash is completed by
// the next call; callers serialize calls for one bridge.
func EnsureBridge(b Bridge) error {
	l, err := netlink.LinkByName(b.Name)
	mtu := uplinkMTU()
	if isNotFound(err) {
		mac, _ := net.ParseMAC(MAC(b.Gateway))
		attrs := netlink.NewLinkAttrs()
		attrs.Name = b.Name
		attrs.HardwareAddr = mac
		attrs.MTU = mtu
		if err := netlink.LinkAdd(&netlink.Bridge{LinkAttrs: attrs}); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("create bridge %s: %w", b.Name, err)
		}
		l, err = netlink.LinkByName(b.Name)
	}
	if err != nil {
		return fmt.Errorf("create bridge %s: %w", b.Name, err)
	}
	// A bridge takes the MTU given at creation only once it has ports.
	if l.Attrs().MTU != mtu {
		if err := netlink.LinkSetMTU(l, mtu); err != nil {
			return fmt.Errorf("set MTU of bridge %s: %w", b.Name, err)
		}
	}
	addr := &netlink.Addr{IPNet: ipNet(netip.PrefixFrom(b.Gateway, b.Subnet.Bits()))}
	if err := netlink.AddrAdd(l, addr); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("address bridge %s: %w", b.Name, err)
	}
	for _, s := range []struct{ path, val string }{
		{"/proc/sys/net/ipv4/ip_forward", "1"},
		{"/proc/sys/net/ipv4/conf/" + b.Name + "/route_localnet", "1"},
	} {
		if err := os.WriteFile(s.path, []byte(s.val), 0o644); err != nil {
			return fmt.Errorf("configure bridge %s: %w", b.Name, err)
		}
	}
	return nil
}

// SetBridgeUp sets bridge name up.
func SetBridgeUp(name string) error {
	l, err := netlink.LinkByName(name)
	if err == nil {
		err = netlink.LinkSetUp(l)
	}
	if err != nil {
		return fmt.Errorf("set bridge %s up: %w", name, err)
	}
	return nil
}

// uplinkMTU returns the MTU of the interface of the host's default route,
// so that containers never send packets their uplink must fragment, or
// 1500 if there is none.
func uplinkMTU() int {
	routes, err := dump(func() ([]netlink.Route, error) { return netlink.RouteList(nil, netlink.FAMILY_V4) })
	if err != nil {
		return 1500
	}
	for _, r := range routes {
		if r.Dst == nil || r.Dst.IP.IsUnspecified() {
			if l, err := netlink.LinkByIndex(r.LinkIndex); err == nil && l.Attrs().MTU > 0 {
				return l.Attrs().MTU
			}
		}
	}
	return 1500
}

// CheckRoutes returns an error wrapping ErrOverlap if an interface other
// than bridge b routes part of b's subnet at least as narrowly as b's own
// route would: an address in the subnet, or another bridge on it, which
// another store or program set up while b was gone (after a reboot, say).
// The kernel keeps the first of two equal routes, so b's containers would
// never get their traffic, published ports included: it would go to the
// other interface. A wider route gives way to b's and does not count.
func CheckRoutes(b Bridge) error {
	own := -1
	if l, err := netlink.LinkByName(b.Name); err == nil {
		own = l.Attrs().Index
	} else if !isNotFound(err) {
		return fmt.Errorf("find bridge %s: %w", b.Name, err)
	}
	routes, err := dump(func() ([]netlink.Route, error) {
		return netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	})
	if err != nil {
		return fmt.Errorf("list routes: %w", err)
	}
	for _, r := range routes {
		if r.Dst == nil || r.LinkIndex == own {
			continue
		}
		p, ok := prefixOf(r.Dst)
		if !ok || p.Bits() < b.Subnet.Bits() || !p.Overlaps(b.Subnet) {
			continue
		}
		dev := "no interface"
		if l, err := netlink.LinkByIndex(r.LinkIndex); err == nil {
			dev = l.Attrs().Name
		}
		return fmt.Errorf("%w %s, routed through %s", ErrOverlap, p, dev)
	}
	return nil
}

// DeleteBridge removes bridge name. A missing bridge is not an error.
func DeleteBridge(name string) error {
	l, err := netlink.LinkByName(name)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete bridge %s: %w", name, err)
	}
	if err := netlink.LinkDel(l); err != nil && !isNotFound(err) {
		return fmt.Errorf("delete bridge %s: %w", name, err)
	}
	return nil
}

// Link is one container endpoint as wired on the host.
type Link struct {
	Bridge   string       // bridge the host end joins
	HostVeth string       // name of the host end
	IfName   string       // name inside the container, eth0, eth1...
	MAC      string       // its MAC; "" derives it from Addr
	Addr     netip.Prefix // the container's address and the subnet length
	Gateway  netip.Addr
	// DefaultRoute makes Gateway the container's default route; only its
	// first network does that.
	DefaultRoute bool
}

// Attach wires l into the network namespace at nsPath: a veth pair
// is created with its peer directly inside that namespace under its final
// name (no move, no rename), the host end joined to the bridge and up in
// the same request; then, through a netlink socket opened in the
// container's namespace, the peer gets its address and MAC, goes up with
// lo, and gets the default route. On error nothing is left behind.
func Attach(nsPath string, l Link) error {
	br, err := netlink.LinkByName(l.Bridge)
	if err != nil {
		return fmt.Errorf("attach %s: find bridge %s: %w", l.HostVeth, l.Bridge, err)
	}
	ns, err := netns.GetFromPath(nsPath)
	if err != nil {
		return fmt.Errorf("attach %s: open network namespace %s: %w", l.HostVeth, nsPath, err)
	}
	defer ns.Close()
	if l.MAC == "" {
		l.MAC = MAC(l.Addr.Addr())
	}
	mac, err := net.ParseMAC(l.MAC)
	if err != nil {
		return fmt.Errorf("attach %s: %w", l.HostVeth, err)
	}
	attrs := netlink.NewLinkAttrs()
	attrs.Name = l.HostVeth
	attrs.MasterIndex = br.Attrs().Index
	attrs.MTU = br.Attrs().MTU
	attrs.Flags = net.FlagUp
	veth := &netlink.Veth{
		LinkAttrs:        attrs,
		PeerName:         l.IfName,
		PeerHardwareAddr: mac,
		PeerTxQLen:       -1,
		PeerNamespace:    netlink.NsFd(int(ns)),
	}
	if err := netlink.LinkAdd(veth); err != nil {
		return fmt.Errorf("attach %s: create veth: %w", l.HostVeth, err)
	}
	if err := configurePeer(ns, l); err != nil {
		Detach(l.HostVeth)
		return fmt.Errorf("attach %s: %w", l.HostVeth, err)
	}
	// Hairpin lets a container reach its own published port through the
	// host's address.
	if err := netlink.LinkSetHairpin(veth, true); err != nil {
		Detach(l.HostVeth)
		return fmt.Errorf("attach %s: set hairpin: %w", l.HostVeth, err)
	}
	return nil
}

func configurePeer(ns netns.NsHandle, l Link) error {
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("open netlink in container: %w", err)
	}
	defer h.Close()
	peer, err := h.LinkByName(l.IfName)
	if err != nil {
		return fmt.Errorf("find %s in container: %w", l.IfName, err)
	}
	if err := h.AddrAdd(peer, &netlink.Addr{IPNet: ipNet(l.Addr)}); err != nil {
		return fmt.Errorf("address %s: %w", l.IfName, err)
	}
	if err := h.LinkSetUp(peer); err != nil {
		return fmt.Errorf("set %s up: %w", l.IfName, err)
	}
	if lo, err := h.LinkByName("lo"); err == nil && lo.Attrs().Flags&net.FlagUp == 0 {
		if err := h.LinkSetUp(lo); err != nil {
			return fmt.Errorf("set lo up: %w", err)
		}
	}
	if l.DefaultRoute {
		r := &netlink.Route{LinkIndex: peer.Attrs().Index, Gw: l.Gateway.AsSlice()}
		if err := h.RouteAdd(r); err != nil {
			return fmt.Errorf("add default route via %s: %w", l.Gateway, err)
		}
	}
	return nil
}

// Detach deletes the veth pair whose host end is hostVeth, which removes
// the container's end with it. A missing veth (the container's namespace
// is gone, taking the pair with it) is not an error.
func Detach(hostVeth string) error {
	l, err := netlink.LinkByName(hostVeth)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("detach %s: %w", hostVeth, err)
	}
	if err := netlink.LinkDel(l); err != nil && !isNotFound(err) {
		return fmt.Errorf("detach %s: %w", hostVeth, err)
	}
	return nil
}

// LinksWithPrefix lists the host's interfaces whose names start with
// prefix, for finding stray veths and bridges.
func LinksWithPrefix(prefix string) ([]string, error) {
	links, err := dump(netlink.LinkList)
	if err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	var out []string
	for _, l := range links {
		if strings.HasPrefix(l.Attrs().Name, prefix) {
			out = append(out, l.Attrs().Name)
		}
	}
	return out, nil
}

// HostRoutes returns the destinations of the host's IPv4 routes in every
// table, so new subnets can avoid them. Default routes are left out.
func HostRoutes() ([]netip.Prefix, error) {
	routes, err := dump(func() ([]netlink.Route, error) {
		return netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	})
	if err != nil {
		return nil, fmt.Errorf("list routes: %w", err)
	}
	var out []netip.Prefix
	for _, r := range routes {
		if r.Dst == nil {
			continue
		}
		p, ok := prefixOf(r.Dst)
		if ok && p.Bits() > 0 && !p.Addr().IsLoopback() {
			out = append(out, p)
		}
	}
	return out, nil
}

func prefixOf(n *net.IPNet) (netip.Prefix, bool) {
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a.Unmap(), ones).Masked(), true
}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// ProcStart returns the start time of process pid (field 22 of
// /proc/PID/stat, in clock ticks since boot), which tells a live process
// from a later one that reused its PID. A process that has exited and
// waits to be reaped (a zombie) gives ESRCH: it holds nothing any more.
func ProcStart(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	if f[0] == "Z" || f[0] == "X" {
		return 0, syscall.ESRCH
	}
	var v uint64
	if _, err := fmt.Sscan(f[19], &v); err != nil {
		return 0, fmt.Errorf("parse /proc/%d/stat: %w", pid, err)
	}
	return v, nil
}

// dump runs a netlink dump again while the kernel reports it interrupted
// (NLM_F_DUMP_INTR: the table changed meanwhile, as when other containers
// start or stop), so callers never act on a partial list.
func dump[T any](list func() (T, error)) (T, error) {
	for range 20 {
		v, err := list()
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			return v, err
		}
	}
	return list()
}
