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

// Lease gives endpoint ep of network n (both in db) the lowest free
// address of the network and its MAC. It must run
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
	used := map[netip.Addr]bool{}
	for i := range db.Endpoints {
		o := &db.Endpoints[i]
		if o.Network == n.ID && o.IP != "" {
			if a, err := netip.ParseAddr(o.IP); err == nil {
				used[a] = true
			}
		}
	}
	ip, err := Allocate(br.Subnet, br.Gateway, used)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("lease address on network %s: %w", n.Name, err)
	}
	ep.IP = ip.String()
	ep.MAC = MAC(ip)
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
