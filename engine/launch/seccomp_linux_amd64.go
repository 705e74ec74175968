package launch

import (
	"sync"

	"golang.org/x/sys/unix"
)

// sysArches are the calling conventions of amd64: its own and i386's.
var sysArches = sync.OnceValue(func() []sysArch {
	return []sysArch{
		{unix.AUDIT_ARCH_X86_64, nativeNums()},
		{unix.AUDIT_ARCH_I386, i386Nums},
	}
})

// archNums are the calls only amd64 of the two 64-bit architectures has.
var archNums = map[string]uint32{
	"iopl":            unix.SYS_IOPL,
	"ioperm":          unix.SYS_IOPERM,
	"create_module":   unix.SYS_CREATE_MODULE,
	"get_kernel_syms": unix.SYS_GET_KERNEL_SYMS,
	"query_module":    unix.SYS_QUERY_MODULE,
	"uselib":          unix.SYS_USELIB,
	"ustat":           unix.SYS_USTAT,
	"sysfs":           unix.SYS_SYSFS,
	"_sysctl":         unix.SYS__SYSCTL,
}

// i386Nums are the numbers of i386 system calls (the kernel's
// arch/x86/entry/syscalls/syscall_32.tbl, as golang.org/x/sys/unix has
// them for GOARCH=386).
var i386Nums = map[string]uint32{
	"clone":                   120,
	"unshare":                 310,
	"clone3":                  435,
	"personality":             136,
	"setns":                   346,
	"mount":                   21,
	"umount":                  22,
	"umount2":                 52,
	"pivot_root":              217,
	"fsopen":                  430,
	"fsconfig":                431,
	"fsmount":                 432,
	"fspick":                  433,
	"open_tree":               428,
	"move_mount":              429,
	"mount_setattr":           442,
	"quotactl":                131,
	"quotactl_fd":             443,
	"lookup_dcookie":          253,
	"swapon":                  87,
	"swapoff":                 115,
	"bpf":                     357,
	"perf_event_open":         336,
	"syslog":                  103,
	"reboot":                  88,
	"init_module":             128,
	"finit_module":            350,
	"delete_module":           129,
	"acct":                    51,
	"settimeofday":            79,
	"stime":                   25,
	"clock_settime":           264,
	"clock_settime64":         404,
	"iopl":                    110,
	"ioperm":                  101,
	"kcmp":                    349,
	"process_vm_readv":        347,
	"process_vm_writev":       348,
	"pidfd_getfd":             438,
	"process_madvise":         440,
	"mbind":                   274,
	"set_mempolicy":           276,
	"get_mempolicy":           275,
	"move_pages":              317,
	"set_mempolicy_home_node": 450,
	"open_by_handle_at":       342,
	"add_key":                 286,
	"keyctl":                  288,
	"request_key":             287,
	"userfaultfd":             374,
	"io_uring_setup":          425,
	"io_uring_enter":          426,
	"io_uring_register":       427,
	"kexec_load":              283,
	"create_module":           127,
	"get_kernel_syms":         130,
	"query_module":            167,
	"nfsservctl":              169,
	"uselib":                  86,
	"ustat":                   62,
	"sysfs":                   135,
	"_sysctl":                 149,
	"vm86":                    166,
	"vm86old":                 113,
}
