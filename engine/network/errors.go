package network

import "errors"

// Sentinel errors returned (wrapped) by the package.
var (
	// ErrInvalidPortSpec means a -p/--publish value cannot be parsed.
	ErrInvalidPortSpec = errors.New("invalid port specification")
	// ErrPortInUse means a published host port is already bound.
	ErrPortInUse = errors.New("port is already allocated")
	// ErrNoSubnet means every candidate private subnet clashes with the
	// host's routes or another network.
	ErrNoSubnet = errors.New("no free private subnet: all candidates overlap the host's routes or other networks")
	// ErrOverlap means a subnet overlaps the host's routes or another
	// network.
	ErrOverlap = errors.New("subnet overlaps")
	// ErrPoolExhausted means a subnet has no free address left.
	ErrPoolExhausted = errors.New("no free address in subnet")
	// ErrNoFirewall means no iptables binary was found.
	ErrNoFirewall = errors.New("iptables not found: install the iptables package")
)
