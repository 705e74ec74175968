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
// A terminating signal that comes while the Go runtime and berth's
// packages start, before the init has asked for it (signal.Notify), makes
// the runtime exit with status 2 (it cannot kill PID 1 with it), and the
// runtime unblocks those signals whatever mask it starts with. So the
// init takes the name "init" once it has asked, and berth waits for that
// before it signals one (AwaitReady).
package pid1

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/engine/spawn/prefork"
	"github.com/berth-dev/berth/engine/trim"
)

// Arg0 is the init's argv[0], by which berth's main tells it apart.
const Arg0 = prefork.InitArg0

// Main runs the init when the command line is Arg0, "--" and a command,
// and never returns then; for any other command line it returns at once.
func Main() {
	if len(os.Args) < 3 || os.Args[0] != Arg0 || os.Args[1] != "--" {
		return
	}
	os.Exit(run(os.Args[2:]))
}

// readyName is the init's name once it passes signals on.
const readyName = "init"

// AwaitReady waits, up to timeout, until the process with host PID pid,
// if it is an init that is starting, is ready for signals; for any other
// process it returns at once.
func AwaitReady(pid int, timeout time.Duration) {
	dir := "/proc/" + strconv.Itoa(pid)
	cmdline, err := os.ReadFile(dir + "/cmdline")
	if err != nil || !bytes.HasPrefix(cmdline, []byte(Arg0+"\x00--\x00")) {
		return
	}
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		comm, err := os.ReadFile(dir + "/comm")
		if err != nil || string(comm) == readyName+"\n" {
			return
		}
	}
}

// forwarded returns the signals the init passes on to the command: all
// but those that stop or kill it whatever it does, SIGCHLD (its own),
// SIGURG (the Go runtime's), the ones raised by a fault of its own, and
// the terminal's background read and write signals, as tini. (A function,
// not a variable: every berth process would build it at start-up.)
func forwarded() []os.Signal {
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
}

// run starts args and serves as its init until it exits; it returns the
// exit code: the command's, or 128 and the signal that killed it.
func run(args []string) int {
	if os.Getpid() != 1 {
		// In the host's PID namespace (--pid host) orphans go to the
		// nearest subreaper instead of PID 1.
		unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	}
	sigs := make(chan os.Signal, 64)
	signal.Notify(sigs, append(forwarded(), unix.SIGCHLD)...)
	// Ready for signals (AwaitReady): the main thread's name, until now
	// the sealed copy's file name, becomes readyName.
	os.WriteFile("/proc/self/comm", []byte(readyName), 0)
	path, err := exec.LookPath(args[0])
	if err != nil {
		return fail(args[0], err)
	}
	// The command gets its own process group and, on a terminal, the
	// terminal's foreground: its job control and Ctrl-C are its own.
	_, ttyErr := unix.IoctlGetTermios(0, unix.TCGETS)
	pid, err := syscall.ForkExec(path, args, &syscall.ProcAttr{
		Env:   os.Environ(),
		Files: []uintptr{0, 1, 2},
		Sys:   &syscall.SysProcAttr{Setpgid: true, Foreground: ttyErr == nil, Ctty: 0},
	})
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
