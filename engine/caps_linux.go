package engine

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// capNames lists the Linux capabilities by number, without the CAP_ prefix.
var capNames = [...]string{
	"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
	"SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
	"IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
	"SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
	"LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
	"WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
}

// defaultCaps is docker's default capability set for containers.
var defaultCaps = []string{
	"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
	"SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
}

// capNumber returns the number of capability name, given with or without
// the CAP_ prefix, in any case.
func capNumber(name string) (int, bool) {
	n := strings.TrimPrefix(strings.ToUpper(name), "CAP_")
	for i, c := range capNames {
		if c == n {
			return i, true
		}
	}
	return 0, false
}

// containerCaps applies docker's rules to compute a container's capability
// set: privileged containers get every capability; otherwise the default
// set, plus --cap-add, minus --cap-drop, where ALL stands for every
// capability and a drop of ALL is applied before the adds.
func containerCaps(privileged bool, add, drop []string) ([]string, error) {
	if privileged {
		return append([]string(nil), capNames[:]...), nil
	}
	set := map[string]bool{}
	for _, c := range defaultCaps {
		set[c] = true
	}
	norm := func(list []string) ([]string, bool, error) {
		var out []string
		all := false
		for _, c := range list {
			if strings.EqualFold(c, "ALL") {
				all = true
				continue
			}
			n, ok := capNumber(c)
			if !ok {
				return nil, false, fmt.Errorf("capability %q: %w: unknown capability", c, ErrInvalid)
			}
			out = append(out, capNames[n])
		}
		return out, all, nil
	}
	drops, dropAll, err := norm(drop)
	if err != nil {
		return nil, err
	}
	adds, addAll, err := norm(add)
	if err != nil {
		return nil, err
	}
	if dropAll {
		set = map[string]bool{}
	}
	if addAll {
		for _, c := range capNames {
			set[c] = true
		}
	}
	for _, c := range adds {
		set[c] = true
	}
	for _, c := range drops {
		delete(set, c)
	}
	var out []string
	for _, c := range capNames {
		if set[c] {
			out = append(out, c)
		}
	}
	return out, nil
}

// lastCap returns the highest capability number the kernel knows.
func lastCap() int {
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		return len(capNames) - 1
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return len(capNames) - 1
	}
	return n
}

// capMask returns the capability bit masks (low and high word) of names.
func capMask(names []string) (mask [2]uint32, keep map[int]bool) {
	keep = map[int]bool{}
	for _, n := range names {
		if c, ok := capNumber(n); ok {
			keep[c] = true
			mask[c/32] |= 1 << (c % 32)
		}
	}
	return mask, keep
}

// dropBounding removes every capability not in names from the calling
// thread's bounding set. It needs CAP_SETPCAP, so it runs before the
// process changes its user.
func dropBounding(names []string) error {
	_, keep := capMask(names)
	last := lastCap()
	for c := 0; c <= last; c++ {
		if keep[c] {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil && err != unix.EINVAL {
			return fmt.Errorf("drop capability %d from bounding set: %w", c, err)
		}
	}
	return nil
}

// setCaps makes the effective, permitted and inheritable sets of the
// calling thread exactly names and clears the ambient set. It must run on
// the thread that then calls execve.
func setCaps(names []string) error {
	mask, _ := capMask(names)
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	data := [2]unix.CapUserData{
		{Effective: mask[0], Permitted: mask[0], Inheritable: mask[0]},
		{Effective: mask[1], Permitted: mask[1], Inheritable: mask[1]},
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("set capabilities: %w", err)
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil && err != unix.EINVAL {
		return fmt.Errorf("clear ambient capabilities: %w", err)
	}
	return nil
}
