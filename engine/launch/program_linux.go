package launch

import (
	"fmt"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/engine/cgroups"
)

// A program is the list of system calls the container's process makes
// between fork and execve. The forked child has one thread of the
// monitor, a multi-threaded Go process, and its memory (shared, as a
// vfork child's, where vfork_linux.go applies, else a copy): it must not
// allocate, grow its stack or reach the scheduler, as the child of
// syscall.ForkExec must not. So the parent prepares every argument
// (strings as NUL-terminated bytes it keeps alive), and run executes the
// calls with raw system calls in a function that cannot grow the stack.
type program struct {
	ops []sysOp
	// what says what each op does, for the error a failure reports.
	what []string
	// keep holds the memory the ops' arguments point into.
	keep []any
}

// sysOp is one system call of a program.
type sysOp struct {
	trap uintptr
	args [6]uintptr
	// okErr is an error the op may fail with; the program then skips the
	// next skip ops and goes on.
	okErr syscall.Errno
	skip  int
	// save keeps the op's result (a descriptor it opens) for a later op,
	// which takes it as its argument number useSaved (1-based; 0: none).
	save     bool
	useSaved int
}

// add appends a system call with its description.
func (p *program) add(what string, trap uintptr, args ...uintptr) *sysOp {
	op := sysOp{trap: trap}
	copy(op.args[:], args)
	p.ops = append(p.ops, op)
	p.what = append(p.what, what)
	return &p.ops[len(p.ops)-1]
}

// str returns the address of s as a C string the program keeps alive.
func (p *program) str(s string) uintptr {
	b := append([]byte(s), 0)
	p.keep = append(p.keep, b)
	return uintptr(unsafe.Pointer(&b[0]))
}

// strv returns the address of a NULL-terminated array of C strings.
func (p *program) strv(ss []string) uintptr {
	v := make([]uintptr, len(ss)+1)
	for i, s := range ss {
		v[i] = p.str(s)
	}
	p.keep = append(p.keep, v)
	return uintptr(unsafe.Pointer(&v[0]))
}

// mem returns the address of b, which the program keeps alive.
func (p *program) mem(b []byte) uintptr {
	p.keep = append(p.keep, b)
	return uintptr(unsafe.Pointer(&b[0]))
}

// mount appends a mount(2).
func (p *program) mount(what, source, target, fstype string, flags uintptr, data string) *sysOp {
	d := uintptr(0)
	if data != "" {
		d = p.str(data)
	}
	src := uintptr(0)
	if source != "" {
		src = p.str(source)
	}
	fs := uintptr(0)
	if fstype != "" {
		fs = p.str(fstype)
	}
	return p.add(what, unix.SYS_MOUNT, src, p.str(target), fs, flags, d)
}

// resetSignals appends the reset of every signal's action to its
// default: the monitor ignores some, and ignored signals stay ignored
// across execve.
func (p *program) resetSignals() {
	dfl := p.mem(make([]byte, 64))
	for sig := 1; sig <= 64; sig++ {
		if sig != int(unix.SIGKILL) && sig != int(unix.SIGSTOP) {
			p.add("reset signals", unix.SYS_RT_SIGACTION, uintptr(sig), dfl, 0, 8).okErr = unix.EINVAL
		}
	}
}

// cgroupfs appends the mounts of the container's /sys/fs/cgroup, laid out
// as ms (cgroups.FSLayout), read-only with ro; in the container's cgroup
// namespace each hierarchy shows the container's cgroup as its root.
func (p *program) cgroupfs(ms []cgroups.FSMount, ro bool) {
	const root = "/sys/fs/cgroup"
	flags := uintptr(unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
	cgFlags := flags
	if ro {
		cgFlags |= unix.MS_RDONLY
	}
	if len(ms) == 1 && ms[0].Dir == "" {
		p.mount("mount "+root, "cgroup2", root, "cgroup2", cgFlags, "")
		return
	}
	p.mount("mount "+root, "tmpfs", root, "tmpfs", flags, "mode=755")
	cwd := unix.AT_FDCWD
	for _, m := range ms {
		dir := root + "/" + m.Dir
		if m.Link != "" {
			p.add("link "+dir, unix.SYS_SYMLINKAT, p.str(m.Link), uintptr(cwd), p.str(dir))
			continue
		}
		p.add("make "+dir, unix.SYS_MKDIRAT, uintptr(cwd), p.str(dir), 0o555)
		p.mount("mount "+dir, m.Type, dir, m.Type, cgFlags, m.Options)
	}
	if ro {
		p.mount("make "+root+" read-only", "", root, "", flags|unix.MS_REMOUNT|unix.MS_RDONLY, "mode=755")
	}
}

// seccomp appends the installation of seccomp filter f, which applies
// to the ops after it: it comes last before the execve.
func (p *program) seccomp(f []unix.SockFilter) {
	prog := &unix.SockFprog{Len: uint16(len(f)), Filter: &f[0]}
	p.keep = append(p.keep, f, prog)
	p.add("set seccomp filter", unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(prog)))
}

// childFailure is what a failed child writes to its error pipe: the index
// of the op that failed and its errno.
type childFailure struct {
	op    int
	errno syscall.Errno
}

// run executes the ops in the forked child and never returns: the last op
// is execve, and a failure writes the op and errno to errFd and exits.
//
//go:nosplit
//go:norace
func run(ops []sysOp, errFd uintptr) {
	var saved uintptr
	for i := 0; i < len(ops); i++ {
		o := &ops[i]
		a := o.args
		if o.useSaved > 0 {
			a[o.useSaved-1] = saved
		}
		r, _, e := syscall.RawSyscall6(o.trap, a[0], a[1], a[2], a[3], a[4], a[5])
		if o.save {
			saved = r
		}
		if e != 0 {
			if e == o.okErr {
				i += o.skip
				continue
			}
			var b [4]byte
			b[0], b[1], b[2], b[3] = byte(i), byte(i>>8), byte(e), byte(e>>8)
			syscall.RawSyscall(unix.SYS_WRITE, errFd, uintptr(unsafe.Pointer(&b[0])), 4)
			syscall.RawSyscall(unix.SYS_EXIT_GROUP, 125, 0, 0)
		}
	}
	syscall.RawSyscall(unix.SYS_EXIT_GROUP, 125, 0, 0)
}

// cloneArgs is the kernel's struct clone_args.
type cloneArgs struct {
	flags, pidfd, childTID, parentTID, exitSignal, stack, stackSize, tls, setTID, setTIDSize, cgroup uint64
}

// start forks a process with flags (CLONE_NEW* namespaces) that runs p,
// in the cgroup v2 directory cgroupFD when it is not -1. It returns once
// the child has exec'd its command or failed: a failure comes back as the
// op that failed and its errno. Signals stay blocked on the calling thread
// across the fork, so no Go signal handler runs in the child; the program
// resets every disposition and unblocks them before its execve.
func (p *program) start(flags uintptr, cgroupFD int) (int, *childFailure, error) {
	pr, pw, err := pipe()
	if err != nil {
		return 0, nil, err
	}
	defer unix.Close(pr)
	args := &cloneArgs{flags: uint64(flags | forkFlags), exitSignal: uint64(unix.SIGCHLD)}
	if cgroupFD >= 0 {
		args.flags |= unix.CLONE_INTO_CGROUP
		args.cgroup = uint64(cgroupFD)
	}
	all, old := ^uint64(0), uint64(0)
	syscall.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&all)), uintptr(unsafe.Pointer(&old)), 8, 0, 0)
	pid, errno := fork(args, p.ops, uintptr(pw))
	syscall.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&old)), 0, 8, 0, 0)
	runtime.KeepAlive(args)
	runtime.KeepAlive(p)
	unix.Close(pw)
	if errno != 0 {
		return 0, nil, fmt.Errorf("clone: %w", errno)
	}
	var b [4]byte
	n := 0
	for n < len(b) {
		m, err := unix.Read(pr, b[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil || m == 0 {
			break
		}
		n += m
	}
	if n == 0 {
		return pid, nil, nil
	}
	if n != len(b) {
		return pid, &childFailure{op: -1}, nil
	}
	return pid, &childFailure{op: int(b[0]) | int(b[1])<<8, errno: syscall.Errno(int(b[2]) | int(b[3])<<8)}, nil
}

// pipe returns a close-on-exec pipe: the child's write end closes at its
// execve, which is how the parent learns the exec worked.
func pipe() (r, w int, err error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return 0, 0, fmt.Errorf("create pipe: %w", err)
	}
	return p[0], p[1], nil
}
