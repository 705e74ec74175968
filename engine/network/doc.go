// Package network implements berth's container networking mechanics on
// Linux: bridges with their addresses, one veth pair per container
// endpoint wired from the host side through netlink (no ip(8) processes),
// subnet selection that avoids the host's routes, the iptables rules for
// outbound NAT, isolation between networks and published ports, the port
// reservations and loopback proxy of published ports, and the /etc/hosts
// and /etc/resolv.conf contents a container sees.
//
// The package holds no state of its own: the engine keeps network records
// and address leases in the store and passes what it needs here.
package network
