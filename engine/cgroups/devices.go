package cgroups

import (
	"fmt"
	"strconv"
	"strings"
)

// DeviceRule allows access to device nodes. A container with a non-nil
// Resources.Devices may use only the devices some rule allows.
type DeviceRule struct {
	// Type is 'c' (character), 'b' (block) or 'a' (both).
	Type rune
	// Major and Minor select the device numbers; -1 matches any.
	Major, Minor int64
	// Access is a non-empty subset of "rwm": read, write, mknod.
	Access string
}

// String formats the rule as the v1 devices.allow file takes it:
// "c 1:3 rwm", "c 136:* rwm".
func (d DeviceRule) String() string {
	num := func(n int64) string {
		if n < 0 {
			return "*"
		}
		return strconv.FormatInt(n, 10)
	}
	return fmt.Sprintf("%c %s:%s %s", d.Type, num(d.Major), num(d.Minor), d.Access)
}

func (d DeviceRule) validate() error {
	if d.Type != 'a' && d.Type != 'b' && d.Type != 'c' {
		return fmt.Errorf("device rule type %q: %w", d.Type, ErrInvalidResources)
	}
	if d.Access == "" || strings.Trim(d.Access, "rwm") != "" {
		return fmt.Errorf("device rule access %q: %w", d.Access, ErrInvalidResources)
	}
	if d.Major < -1 || d.Minor < -1 || d.Major > 1<<31 || d.Minor > 1<<31 {
		return fmt.Errorf("device rule %s: %w", d, ErrInvalidResources)
	}
	return nil
}

// accessBits returns the rule's access as the kernel's BPF_DEVCG_ACC_*
// bits (mknod 1, read 2, write 4).
func (d DeviceRule) accessBits() int32 {
	var b int32
	for _, r := range d.Access {
		switch r {
		case 'm':
			b |= 1
		case 'r':
			b |= 2
		case 'w':
			b |= 4
		}
	}
	return b
}

// DefaultDevices returns the device allow list of an unprivileged docker
// (runc) container: mknod of any device, and use of /dev/null, zero, full,
// random, urandom, tty, console, ptmx, the pts devices and /dev/net/tun.
func DefaultDevices() []DeviceRule {
	return []DeviceRule{
		{Type: 'c', Major: -1, Minor: -1, Access: "m"},
		{Type: 'b', Major: -1, Minor: -1, Access: "m"},
		{Type: 'c', Major: 1, Minor: 3, Access: "rwm"},    // /dev/null
		{Type: 'c', Major: 1, Minor: 5, Access: "rwm"},    // /dev/zero
		{Type: 'c', Major: 1, Minor: 7, Access: "rwm"},    // /dev/full
		{Type: 'c', Major: 1, Minor: 8, Access: "rwm"},    // /dev/random
		{Type: 'c', Major: 1, Minor: 9, Access: "rwm"},    // /dev/urandom
		{Type: 'c', Major: 5, Minor: 0, Access: "rwm"},    // /dev/tty
		{Type: 'c', Major: 5, Minor: 1, Access: "rwm"},    // /dev/console
		{Type: 'c', Major: 5, Minor: 2, Access: "rwm"},    // /dev/ptmx
		{Type: 'c', Major: 136, Minor: -1, Access: "rwm"}, // /dev/pts/*
		{Type: 'c', Major: 10, Minor: 200, Access: "rwm"}, // /dev/net/tun
	}
}
