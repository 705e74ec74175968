// Package pid1 is the init that a container run with --init has as its
// first process, as docker's --init has tini: it starts the container's
// command, passes on the signals it gets, reaps every process left to it,
// and exits as the command does.
//
// It is the berth binary itself, executed from the sealed copy the
// container's monitor runs from (the launch opens it before pivot_root
// and executes it by descriptor), with Arg0 and "--" before the command:
// /proc/1/cmdline reads "/dev/init -- CMD ARGS...". Nothing of it is in
// the container's filesystem.
//
// The launch executes it with every signal blocked, so that none comes
// while the Go runtime and berth's packages start: a signal the runtime
// is not yet told to pass on makes it exit. signal.Notify unblocks them
// on the thread that takes them, and a signal sent meanwhile is taken
// then. The command must not inherit that mask, which the runtime gives
// every process it forks: the init forks it itself (forkExec).
package pid1

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/engine/trim"
)

// Arg0 is the init's argv[0], by which berth's main tells it apart.
const Arg0 = "/dev/init"

// Main runs the init when the command line is Arg0, "--" and a command,
// and never returns then; for any other command line it returns at once.
func Main() {
	if len(os.Args) < 3 || os.Args[0] != Arg0 || os.Args[1] != "--" {
		return
	}
	os.Exit(run(os.Args[2:]))
}

// forwarded are the signals the init passes on to the command: all but
// those that stop or kill it whatever it does, SIGCHLD (its own), SIGURG
// (the Go runtime's), the ones raised by a fault of its own, and the
// terminal's background read and write signals, as tini.
var forwarded = func() []os.Signal {
	skip := map[syscall.Signal]bool{
		unix.SIGKILL: true, unix.SIGSTOP: true, unix.SIGCHLD: true, unix.SIGURG: true,
		unix.SIGILL: true, unix.SIGTRAP: true, unix.SIGABRT: true, unix.SIGBUS: true,
		unix.SIGFPE: true, unix.SIGSEGV: true, unix.SIGSYS: true, unix.SIGTTIN: true, unix.SIGTTOU: true,
	}
	var out []os.Signal
	for s := syscall.Signal(1); s <= 64; s++ { // 64: the last real-time signal
		if s == 32 || s == 33 { // reserved by C libraries, not signals a process is sent
			continue
		}
		if !skip[s] {
			out = append(out, s)
		}
	}
	return out
}()

// run starts args and serves as its init until it exits; it returns the
// exit code: the command's, or 128 and the signal that killed it.
func run(args []string) int {
	// Its name is the sealed copy's file name otherwise.
	unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(&[]byte("init\x00")[0])), 0, 0, 0)
	if os.Getpid() != 1 {
		// In the host's PID namespace (--pid host) orphans go to the
		// nearest subreaper instead of PID 1.
		unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	}
	sigs := make(chan os.Signal, 64)
	signal.Notify(sigs, append(forwarded, unix.SIGCHLD)...)
	path, err := exec.LookPath(args[0])
	if err != nil {
		return fail(args[0], err)
	}
	_, ttyErr := unix.IoctlGetTermios(0, unix.TCGETS)
	pid, err := start(path, args, os.Environ(), ttyErr == nil)
	if err != nil {
		return fail(args[0], err)
	}
	trim.Memory()
	for s := range sigs {
		if s != unix.SIGCHLD {
			syscall.Kill(pid, s.(syscall.Signal))
		}
		// Every signal is a chance to reap: SIGCHLDs that arrive while
		// the channel is full are dropped, and they do not queue anyway.
		if code, done := reap(pid); done {
			return code
		}
	}
	return 0
}

// start forks and executes the command path with args and env. The child
// gets its own process group and, with tty, the terminal's foreground
// (its job control and Ctrl-C are its own), every signal disposition back
// to default, and no signal blocked.
func start(path string, args, env []string, tty bool) (int, error) {
	p, err := syscall.BytePtrFromString(path)
	if err != nil {
		return 0, err
	}
	argv, err := syscall.SlicePtrFromStrings(args)
	if err != nil {
		return 0, err
	}
	envv, err := syscall.SlicePtrFromStrings(env)
	if err != nil {
		return 0, err
	}
	// The child reports a failed exec on the pipe; its end closes at a
	// successful one.
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
		return 0, err
	}
	defer syscall.Close(fds[0])
	// No signal may reach the Go handlers in the child: the thread that
	// forks blocks them all until the fork is done.
	runtime.LockOSThread()
	var all, old unix.Sigset_t
	for i := range all.Val {
		all.Val[i] = ^uint64(0)
	}
	unix.PthreadSigmask(unix.SIG_SETMASK, &all, &old)
	pid, errno := forkExec(p, &argv[0], &envv[0], tty, fds[1])
	unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
	runtime.UnlockOSThread()
	syscall.Close(fds[1])
	runtime.KeepAlive(argv)
	runtime.KeepAlive(envv)
	if errno != 0 {
		return 0, errno
	}
	var b [4]byte
	if n, _ := syscall.Read(fds[0], b[:]); n == len(b) {
		syscall.Wait4(pid, nil, 0, nil)
		return 0, syscall.Errno(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24)
	}
	return pid, nil
}

// forkExec is the fork of start. The child runs raw system calls only, as
// syscall.ForkExec's does: it is a copy of one thread of a Go program.
//
//go:nosplit
//go:norace
func forkExec(path *byte, argv, envv **byte, tty bool, errFd int) (int, syscall.Errno) {
	r, _, e := syscall.RawSyscall6(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
	if e != 0 || r != 0 {
		return int(r), e
	}
	var dfl [4]uint64 // a struct sigaction for SIG_DFL
	for sig := uintptr(1); sig <= 64; sig++ {
		if sig != uintptr(syscall.SIGKILL) && sig != uintptr(syscall.SIGSTOP) {
			syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, sig, uintptr(unsafe.Pointer(&dfl)), 0, 8, 0, 0)
		}
	}
	if _, _, e = syscall.RawSyscall(syscall.SYS_SETPGID, 0, 0, 0); e == 0 && tty {
		// With SIGTTOU blocked a background process group may take the
		// foreground.
		pid, _, _ := syscall.RawSyscall(syscall.SYS_GETPID, 0, 0, 0)
		pgrp := int32(pid)
		_, _, e = syscall.RawSyscall(syscall.SYS_IOCTL, 0, syscall.TIOCSPGRP, uintptr(unsafe.Pointer(&pgrp)))
	}
	if e == 0 {
		var none uint64
		syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&none)), 0, 8, 0, 0)
		_, _, e = syscall.RawSyscall(syscall.SYS_EXECVE, uintptr(unsafe.Pointer(path)), uintptr(unsafe.Pointer(argv)), uintptr(unsafe.Pointer(envv)))
	}
	b := [4]byte{byte(e), byte(e >> 8), byte(e >> 16), byte(e >> 24)}
	syscall.RawSyscall(syscall.SYS_WRITE, uintptr(errFd), uintptr(unsafe.Pointer(&b[0])), 4)
	syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 127, 0, 0)
	return 0, 0
}

// reap collects every ended child and reports, once command pid is one of
// them, its exit code.
func reap(pid int) (code int, done bool) {
	for {
		var ws syscall.WaitStatus
		got, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil || got <= 0 {
			return code, done
		}
		if got == pid {
			done = true
			code = ws.ExitStatus()
			if ws.Signaled() {
				code = 128 + int(ws.Signal())
			}
		}
	}
}

// fail reports a command that could not be started, with docker's exit
// codes: 127 if it is not found, 126 otherwise.
func fail(name string, err error) int {
	fmt.Fprintf(os.Stderr, "berth init: exec %s: %v\n", name, err)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, exec.ErrNotFound) {
		return 127
	}
	return 126
}
