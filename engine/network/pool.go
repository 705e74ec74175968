package network

import (
	"fmt"
	"net/netip"
)

// Candidates returns the private subnets tried, in order, for a network
// created without --subnet: 172.30.0.0/16 and 172.31.0.0/16 first (rarely
// used by anything else), then the rest of docker's 172.17-29 pool, then
// 10.88-99.0.0/16, then 192.168.0-240.0/20.
func Candidates() []netip.Prefix {
	var out []netip.Prefix
	for _, b := range []byte{30, 31, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 17} {
		out = append(out, netip.PrefixFrom(netip.AddrFrom4([4]byte{172, b, 0, 0}), 16))
	}
	for b := 88; b <= 99; b++ {
		out = append(out, netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(b), 0, 0}), 16))
	}
	for b := 0; b <= 240; b += 16 {
		out = append(out, netip.PrefixFrom(netip.AddrFrom4([4]byte{192, 168, byte(b), 0}), 20))
	}
	return out
}

// PickSubnet returns the first candidate that overlaps none of used.
func PickSubnet(used []netip.Prefix) (netip.Prefix, error) {
	for _, c := range Candidates() {
		if CheckSubnet(c, used) == nil {
			return c, nil
		}
	}
	return netip.Prefix{}, ErrNoSubnet
}

// CheckSubnet returns an error wrapping ErrOverlap if p overlaps any of
// used. Default routes (0.0.0.0/0) in used are ignored.
func CheckSubnet(p netip.Prefix, used []netip.Prefix) error {
	for _, u := range used {
		if u.Bits() == 0 {
			continue
		}
		if p.Overlaps(u) {
			return fmt.Errorf("%w %s", ErrOverlap, u.Masked())
		}
	}
	return nil
}

// ParseSubnet parses an IPv4 --subnet value. Host bits must be zero, as
// docker requires, and the subnet must leave room for a gateway and at
// least one container (/30 or larger).
func ParseSubnet(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, fmt.Errorf("invalid subnet %q: want an IPv4 CIDR such as 172.28.0.0/16", s)
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Errorf("invalid subnet %q: host bits set, use %s", s, p.Masked())
	}
	if p.Bits() > 30 {
		return netip.Prefix{}, fmt.Errorf("invalid subnet %q: too small, use /30 or larger", s)
	}
	return p, nil
}

// DefaultGateway returns the first host address of p, docker's default
// gateway.
func DefaultGateway(p netip.Prefix) netip.Addr {
	return p.Masked().Addr().Next()
}

// CheckGateway reports whether gw is a usable host address in p.
func CheckGateway(p netip.Prefix, gw netip.Addr) error {
	if !p.Contains(gw) || gw == p.Masked().Addr() || gw == broadcast(p) {
		return fmt.Errorf("invalid gateway %s: not a host address in %s", gw, p)
	}
	return nil
}

func broadcast(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v |= host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// Allocate returns the lowest host address of p that is neither the
// gateway nor in used, or ErrPoolExhausted.
func Allocate(p netip.Prefix, gw netip.Addr, used map[netip.Addr]bool) (netip.Addr, error) {
	bc := broadcast(p)
	for a := p.Masked().Addr().Next(); a.IsValid() && a != bc && p.Contains(a); a = a.Next() {
		if a != gw && !used[a] {
			return a, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("%w %s", ErrPoolExhausted, p)
}

// MAC returns the locally administered MAC address docker derives from an
// IPv4 address: 02:42 followed by the four address bytes.
func MAC(ip netip.Addr) string {
	a := ip.As4()
	return fmt.Sprintf("02:42:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3])
}
