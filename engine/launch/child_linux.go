package launch

import (
	"errors"
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// Child is a process to fork from a thread that is already a thread of a
// running container (berth exec): inside its namespaces and cgroup v1
// hierarchies, with its capability bounding set and no_new_privs.
type Child struct {
	Path string
	Args []string
	Env  []string
	Dir  string
	// Stdio are the descriptors that become the child's 0, 1 and 2; with
	// Tty they are a terminal, which becomes its controlling terminal.
	Stdio [3]int
	Tty   bool
	User  User
	// Seccomp, if not nil, is the filter the child runs under
	// (SeccompFilter).
	Seccomp []unix.SockFilter
	// CgroupFD, if not -1, is the cgroup v2 directory the child is born
	// in.
	CgroupFD int
}

// StartChild forks and execs c. The child resets every signal's action,
// starts a session, takes its standard streams (and its controlling
// terminal), its user, its directory and its seccomp filter, and execs.
// Errors are *ExitError: 126 for the directory or a command it cannot
// run, 127 for a missing command, 125 for the rest.
func StartChild(c *Child) (int, error) {
	p := &program{}
	p.resetSignals()
	p.add("setsid", unix.SYS_SETSID)
	for i, fd := range c.Stdio {
		p.add("set up stdio", unix.SYS_DUP3, uintptr(fd), uintptr(i), 0)
	}
	if c.Tty {
		p.add("set controlling terminal", unix.SYS_IOCTL, 0, unix.TIOCSCTTY, 0)
	}
	p.setUser(c.User)
	p.exec(c.Dir, c.Path, c.Args, c.Env, c.Seccomp)
	pid, cf, err := p.start(0, c.CgroupFD)
	if err != nil {
		return 0, &ExitError{125, fmt.Errorf("start process: %w", err)}
	}
	if cf != nil {
		syscall.Wait4(pid, nil, 0, nil)
		err := p.failure(cf, c.Dir, c.Args[0])
		if ee := (*ExitError)(nil); !errors.As(err, &ee) {
			err = &ExitError{125, err}
		}
		return 0, err
	}
	return pid, nil
}
