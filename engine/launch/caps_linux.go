package launch

import (
	"os"
	"strconv"
	"strings"
	"sync"

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

// CapNames returns the names of the Linux capabilities berth knows, by
// number, without the CAP_ prefix.
func CapNames() []string { return append([]string(nil), capNames[:]...) }

// CapNumber returns the number of capability name, given with or without
// the CAP_ prefix, in any case.
func CapNumber(name string) (int, bool) {
	n := strings.TrimPrefix(strings.ToUpper(name), "CAP_")
	for i, c := range capNames {
		if c == n {
			return i, true
		}
	}
	return 0, false
}

// LastCap returns the highest capability number the kernel knows, read
// once.
var LastCap = sync.OnceValue(lastCap)

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

// CapMask returns the capability bit masks (low and high word) of names.
func CapMask(names []string) (mask [2]uint32, keep map[int]bool) {
	keep = map[int]bool{}
	for _, n := range names {
		if c, ok := CapNumber(n); ok {
			keep[c] = true
			mask[c/32] |= 1 << (c % 32)
		}
	}
	return mask, keep
}

// heldCaps returns the calling thread's permitted capabilities, or every
// one if they cannot be read.
func heldCaps() [2]uint32 {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return [2]uint32{^uint32(0), ^uint32(0)}
	}
	return [2]uint32{data[0].Permitted, data[1].Permitted}
}
