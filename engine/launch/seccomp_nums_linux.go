//go:build amd64 || arm64

package launch

import "golang.org/x/sys/unix"

// nativeNums returns the numbers of the system calls the filter names,
// in this architecture's own calling convention.
func nativeNums() map[string]uint32 {
	m := map[string]uint32{
		"clone":                   unix.SYS_CLONE,
		"unshare":                 unix.SYS_UNSHARE,
		"clone3":                  unix.SYS_CLONE3,
		"personality":             unix.SYS_PERSONALITY,
		"setns":                   unix.SYS_SETNS,
		"mount":                   unix.SYS_MOUNT,
		"umount2":                 unix.SYS_UMOUNT2,
		"pivot_root":              unix.SYS_PIVOT_ROOT,
		"fsopen":                  unix.SYS_FSOPEN,
		"fsconfig":                unix.SYS_FSCONFIG,
		"fsmount":                 unix.SYS_FSMOUNT,
		"fspick":                  unix.SYS_FSPICK,
		"open_tree":               unix.SYS_OPEN_TREE,
		"move_mount":              unix.SYS_MOVE_MOUNT,
		"mount_setattr":           unix.SYS_MOUNT_SETATTR,
		"quotactl":                unix.SYS_QUOTACTL,
		"quotactl_fd":             unix.SYS_QUOTACTL_FD,
		"lookup_dcookie":          unix.SYS_LOOKUP_DCOOKIE,
		"swapon":                  unix.SYS_SWAPON,
		"swapoff":                 unix.SYS_SWAPOFF,
		"bpf":                     unix.SYS_BPF,
		"perf_event_open":         unix.SYS_PERF_EVENT_OPEN,
		"syslog":                  unix.SYS_SYSLOG,
		"reboot":                  unix.SYS_REBOOT,
		"init_module":             unix.SYS_INIT_MODULE,
		"finit_module":            unix.SYS_FINIT_MODULE,
		"delete_module":           unix.SYS_DELETE_MODULE,
		"acct":                    unix.SYS_ACCT,
		"settimeofday":            unix.SYS_SETTIMEOFDAY,
		"clock_settime":           unix.SYS_CLOCK_SETTIME,
		"kcmp":                    unix.SYS_KCMP,
		"process_vm_readv":        unix.SYS_PROCESS_VM_READV,
		"process_vm_writev":       unix.SYS_PROCESS_VM_WRITEV,
		"pidfd_getfd":             unix.SYS_PIDFD_GETFD,
		"process_madvise":         unix.SYS_PROCESS_MADVISE,
		"mbind":                   unix.SYS_MBIND,
		"set_mempolicy":           unix.SYS_SET_MEMPOLICY,
		"get_mempolicy":           unix.SYS_GET_MEMPOLICY,
		"move_pages":              unix.SYS_MOVE_PAGES,
		"set_mempolicy_home_node": unix.SYS_SET_MEMPOLICY_HOME_NODE,
		"open_by_handle_at":       unix.SYS_OPEN_BY_HANDLE_AT,
		"add_key":                 unix.SYS_ADD_KEY,
		"keyctl":                  unix.SYS_KEYCTL,
		"request_key":             unix.SYS_REQUEST_KEY,
		"userfaultfd":             unix.SYS_USERFAULTFD,
		"io_uring_setup":          unix.SYS_IO_URING_SETUP,
		"io_uring_enter":          unix.SYS_IO_URING_ENTER,
		"io_uring_register":       unix.SYS_IO_URING_REGISTER,
		"kexec_load":              unix.SYS_KEXEC_LOAD,
		"kexec_file_load":         unix.SYS_KEXEC_FILE_LOAD,
		"nfsservctl":              unix.SYS_NFSSERVCTL,
	}
	for name, nr := range archNums {
		m[name] = nr
	}
	return m
}
