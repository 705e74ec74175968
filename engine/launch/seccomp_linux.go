package launch

import (
	"slices"

	"golang.org/x/sys/unix"
)

// A container's process runs under a seccomp filter unless it is
// privileged or started with --security-opt seccomp=unconfined. The
// filter refuses what docker's default profile refuses a container that
// lacks the capability the profile ties a call to: the kernel keyring,
// which no namespace separates, new namespaces (a new user namespace
// would hand the process every capability inside it), BPF, userfaultfd,
// io_uring, perf events, other processes' memory, NUMA policies, the
// mount API, modules, kexec, clocks, accounting, swap, reboot and a few
// obsolete calls. Unlike docker's profile, which lists what is allowed,
// it lists what is refused: a call the kernel adds later is allowed.
// A refused call fails with EPERM; clone3, whose flags the filter cannot
// read, fails with ENOSYS, so that C libraries fall back to clone. On
// amd64 32-bit programs get the same filter; x32 ones are refused. On
// architectures other than amd64 and arm64 there is no filter.

// refusal is a system call the filter refuses unless the container has
// one of caps.
type refusal struct {
	name string
	caps []string
}

var refusals = []refusal{
	{"setns", sysAdmin}, {"mount", sysAdmin}, {"umount", sysAdmin}, {"umount2", sysAdmin},
	{"pivot_root", sysAdmin}, {"fsopen", sysAdmin}, {"fsconfig", sysAdmin}, {"fsmount", sysAdmin},
	{"fspick", sysAdmin}, {"open_tree", sysAdmin}, {"move_mount", sysAdmin}, {"mount_setattr", sysAdmin},
	{"quotactl", sysAdmin}, {"quotactl_fd", sysAdmin}, {"lookup_dcookie", sysAdmin},
	{"swapon", sysAdmin}, {"swapoff", sysAdmin},
	{"bpf", []string{"SYS_ADMIN", "BPF"}}, {"perf_event_open", []string{"SYS_ADMIN", "PERFMON"}},
	{"syslog", []string{"SYSLOG"}}, {"reboot", []string{"SYS_BOOT"}},
	{"init_module", sysModule}, {"finit_module", sysModule}, {"delete_module", sysModule},
	{"acct", []string{"SYS_PACCT"}},
	{"settimeofday", sysTime}, {"stime", sysTime}, {"clock_settime", sysTime}, {"clock_settime64", sysTime},
	{"iopl", sysRawIO}, {"ioperm", sysRawIO},
	{"kcmp", sysPtrace}, {"process_vm_readv", sysPtrace}, {"process_vm_writev", sysPtrace},
	{"pidfd_getfd", sysPtrace}, {"process_madvise", sysPtrace},
	{"mbind", sysNice}, {"set_mempolicy", sysNice}, {"get_mempolicy", sysNice}, {"move_pages", sysNice},
	{"set_mempolicy_home_node", sysNice},
	{"open_by_handle_at", []string{"DAC_READ_SEARCH"}},
	{"add_key", nil}, {"keyctl", nil}, {"request_key", nil}, {"userfaultfd", nil},
	{"io_uring_setup", nil}, {"io_uring_enter", nil}, {"io_uring_register", nil},
	{"kexec_load", nil}, {"kexec_file_load", nil},
	{"create_module", nil}, {"get_kernel_syms", nil}, {"query_module", nil}, {"nfsservctl", nil},
	{"uselib", nil}, {"ustat", nil}, {"sysfs", nil}, {"_sysctl", nil}, {"vm86", nil}, {"vm86old", nil},
}

var (
	sysAdmin  = []string{"SYS_ADMIN"}
	sysModule = []string{"SYS_MODULE"}
	sysTime   = []string{"SYS_TIME"}
	sysRawIO  = []string{"SYS_RAWIO"}
	sysPtrace = []string{"SYS_PTRACE"}
	sysNice   = []string{"SYS_NICE"}
)

// nsFlags are the clone and unshare flags that make namespaces.
const nsFlags = unix.CLONE_NEWNS | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC | unix.CLONE_NEWUSER |
	unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWCGROUP | unix.CLONE_NEWTIME

// personalities are the personality(2) arguments docker's profile
// allows: Linux, 32-bit Linux, the 2.6 uname and the query.
var personalities = []uint32{0, 0x8, 0x20000, 0x20008, 0xffffffff}

// sysArch is one system call convention the filter knows: its audit
// architecture and the numbers of the calls it names.
type sysArch struct {
	audit uint32
	nums  map[string]uint32
}

// Offsets into struct seccomp_data.
const (
	dataNr   = 0
	dataArch = 4
	dataArg0 = 16 // the low 32 bits on a little-endian machine
)

const (
	retAllow  = unix.SECCOMP_RET_ALLOW
	retEPERM  = unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
	retENOSYS = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
)

// SeccompFilter returns the filter for a container with capabilities
// caps (names as docker's, with or without CAP_), or nil on an
// architecture whose system call numbers berth does not know.
func SeccompFilter(caps []string) []unix.SockFilter {
	arches := sysArches()
	if len(arches) == 0 {
		return nil
	}
	has := holdsAny(caps)
	var f filter
	f.load(dataArch)
	for i, a := range arches {
		body := arches[i].rules(has)
		// Skip this architecture's rules unless the call is of it.
		f.jump(unix.BPF_JEQ, a.audit, 0, uint8(len(body)))
		f = append(f, body...)
	}
	f.ret(retEPERM) // another architecture
	return f
}

// holdsAny returns whether a container with capabilities caps holds one
// of names.
func holdsAny(caps []string) func(names []string) bool {
	_, keep := CapMask(caps)
	return func(names []string) bool {
		for _, n := range names {
			if c, ok := CapNumber(n); ok && keep[c] {
				return true
			}
		}
		return false
	}
}

// rules returns the filter's instructions for calls of architecture a.
// The kernel checks and compiles a filter at about a microsecond an
// instruction, in the start of every container, so the refused calls
// share one return and runs of consecutive numbers are one range.
func (a sysArch) rules(has func([]string) bool) filter {
	var f filter
	// refuse are the jumps that go, when they hold, to the EPERM return
	// at the end.
	var refuse []int
	jumpRefuse := func(op uint16, k uint32) {
		refuse = append(refuse, len(f))
		f.jump(op, k, 0, 0)
	}
	f.load(dataNr)
	if a.audit == unix.AUDIT_ARCH_X86_64 {
		// The x32 calling convention.
		jumpRefuse(unix.BPF_JGE, 0x40000000)
	}
	if !has(sysAdmin) {
		for _, name := range []string{"clone", "unshare"} {
			// clone's and unshare's flags are their first argument.
			f.jump(unix.BPF_JEQ, a.nums[name], 0, 3)
			f.load(dataArg0)
			jumpRefuse(unix.BPF_JSET, nsFlags)
			f.ret(retAllow)
		}
		f.jump(unix.BPF_JEQ, a.nums["clone3"], 0, 1)
		f.ret(retENOSYS)
	}
	f.jump(unix.BPF_JEQ, a.nums["personality"], 0, uint8(3+len(personalities)))
	f.load(dataArg0)
	for i, p := range personalities {
		f.jump(unix.BPF_JEQ, p, uint8(len(personalities)-i), 0)
	}
	f.ret(retEPERM)
	f.ret(retAllow)
	for _, r := range a.refused(has) {
		if r.lo == r.hi {
			jumpRefuse(unix.BPF_JEQ, r.lo)
			continue
		}
		// Above the range: on to the next; else from its start: refused.
		f.jump(unix.BPF_JGT, r.hi, 1, 0)
		jumpRefuse(unix.BPF_JGE, r.lo)
	}
	f.ret(retAllow)
	eperm := len(f)
	f.ret(retEPERM)
	for _, i := range refuse {
		f[i].Jt = uint8(eperm - i - 1)
	}
	return f
}

// numRange is the system call numbers lo to hi, both included.
type numRange struct{ lo, hi uint32 }

// refused returns the numbers of the calls of architecture a the filter
// refuses a container whose capabilities has tells, in ascending runs.
func (a sysArch) refused(has func([]string) bool) []numRange {
	var nums []uint32
	for _, r := range refusals {
		if nr, ok := a.nums[r.name]; ok && (r.caps == nil || !has(r.caps)) {
			nums = append(nums, nr)
		}
	}
	slices.Sort(nums)
	var runs []numRange
	for _, n := range slices.Compact(nums) {
		if l := len(runs); l > 0 && runs[l-1].hi+1 == n {
			runs[l-1].hi = n
			continue
		}
		runs = append(runs, numRange{n, n})
	}
	return runs
}

// filter is a classic BPF program under construction.
type filter []unix.SockFilter

// load loads the 32-bit word at offset off of the call's data.
func (f *filter) load(off uint32) {
	*f = append(*f, unix.SockFilter{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: off})
}

// jump compares the loaded word with k and skips jt instructions if the
// comparison holds, jf if not.
func (f *filter) jump(op uint16, k uint32, jt, jf uint8) {
	*f = append(*f, unix.SockFilter{Code: unix.BPF_JMP | op | unix.BPF_K, Jt: jt, Jf: jf, K: k})
}

// ret ends the program with verdict v.
func (f *filter) ret(v uint32) {
	*f = append(*f, unix.SockFilter{Code: unix.BPF_RET | unix.BPF_K, K: v})
}
