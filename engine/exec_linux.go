package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/engine/cgroups"
	"github.com/berth-dev/berth/engine/launch"
	"github.com/berth-dev/berth/pty"
)

// Exec starts a process inside running container ref, as docker exec does.
//
// The process joins the container's mount, PID, UTS, IPC, network and
// cgroup namespaces and its cgroups, so top lists it; it gets the
// container's environment (plus o.Env), user and working directory unless
// o overrides them, the container's capability bounding set and, unless
// privileged, no_new_privs. With o.TTY its terminal is a PTY allocated in
// the container's own devpts instance and becomes its controlling
// terminal; the master is ExecProcess.PTY. Without, its standard streams
// are pipes (ExecProcess.Stdin, Stdout, Stderr). The caller reads the
// output, waits for the process with ExecProcess.Wait and closes it.
//
// # How the process enters the container
//
// Exec does not re-execute berth inside the container. A goroutine locks
// itself to an OS thread (never the main thread, which the Go runtime
// cannot end) and turns that thread into a thread of the container: it writes its thread ID to the container's cgroup v1 tasks
// files, unshares CLONE_FS (the kernel refuses setns into a mount
// namespace to a thread sharing its root and working directory with
// others), enters every namespace of the container's init at once with
// setns on a pidfd, drops the capability bounding set to the container's,
// sets no_new_privs, resolves the user, working directory and command
// inside the container's filesystem, allocates the PTY from the
// container's /dev/pts/ptmx, and forks the process from there. The child
// is born inside the cgroups (and, on cgroup v2, directly in the
// container's v2 cgroup with clone3 CLONE_INTO_CGROUP) and inside the
// namespaces, and execs the container's own binary at once. The thread is
// never unlocked, so the Go runtime throws it away when the goroutine
// ends and no other goroutine ever runs in the container's namespaces.
//
// This was chosen over a cgo constructor that enters the namespaces
// before the Go runtime starts (runc's nsenter) because it needs neither
// cgo nor a re-execution of berth: an exec costs one fork and one execve,
// and no berth code or binary is ever placed inside the container. The
// one limit is user namespaces, which setns refuses to a multi-threaded
// process; berth's containers do not use them.
//
// CVE-2019-5736: between fork and execve the child is still a copy of
// berth, visible in the container's PID namespace, and /proc/PID/exe of
// such a process leads to the host binary. Exec therefore makes the
// calling process non-dumpable first (as runc's nsexec does), which denies
// the container's processes, lacking CAP_SYS_PTRACE, any access to that
// process's /proc entries; after execve the child runs the container's
// binary and is dumpable again. Descriptors the calling process inherited
// without close-on-exec are marked close-on-exec, so none leaks in.
//
// Errors: a *ContainerNotFoundError; a *StateError if the container is not
// running, is paused or restarting; an error wrapping ErrInvalid for an
// empty command or a relative working directory;
// an *ExecError (exit code 126 or 127) when the process cannot be started
// inside the container; other errors for engine failures.
func (e *Engine) Exec(ctx context.Context, ref string, o ExecOptions) (*ExecProcess, error) {
	if len(o.Cmd) == 0 {
		return nil, fmt.Errorf("exec: %w: no command specified", ErrInvalid)
	}
	if o.WorkingDir != "" && !filepath.IsAbs(o.WorkingDir) {
		return nil, fmt.Errorf("exec: %w: the working directory %q is invalid, it needs to be an absolute path", ErrInvalid, o.WorkingDir)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	id, err := e.ResolveContainer(ctx, ref)
	if err != nil {
		return nil, err
	}
	// Pause, stop and rm take the container lock too: the container
	// stays running and unfrozen while the process enters it.
	unlock, err := e.lockContainer(id)
	if err != nil {
		return nil, err
	}
	defer unlock()
	rec, err := e.readRecord(id)
	if err != nil {
		return nil, err
	}
	st, err := e.readState(id)
	if err != nil {
		return nil, err
	}
	switch st.Status {
	case StateRunning:
	case StatePaused:
		return nil, &StateError{ID: id, State: st.Status, Msg: fmt.Sprintf("container %s is paused, unpause the container before exec", id)}
	case StateRestarting:
		return nil, &StateError{ID: id, State: st.Status, Msg: fmt.Sprintf("container %s is restarting, wait until the container is running", id)}
	default:
		return nil, &StateError{ID: id, State: st.Status, Msg: fmt.Sprintf("container %s is not running", id)}
	}
	pidfd, err := unix.PidfdOpen(st.Pid, 0)
	if err != nil {
		if errors.Is(err, unix.ESRCH) {
			return nil, &StateError{ID: id, State: StateExited, Msg: fmt.Sprintf("container %s is not running", id)}
		}
		return nil, fmt.Errorf("exec in container %s: open init process: %w", id[:12], err)
	}
	defer unix.Close(pidfd)
	// The PID was read before the pidfd was opened: make sure it still
	// names the container's init.
	if now, err := e.readStateRaw(id); err != nil || now.Pid != st.Pid || now.Status != StateRunning {
		return nil, &StateError{ID: id, State: StateExited, Msg: fmt.Sprintf("container %s is not running", id)}
	}

	spec, err := e.execSpec(rec, o)
	if err != nil {
		return nil, err
	}
	spec.pidfd = pidfd
	if cg, err := cgroups.Load(id); err == nil {
		spec.cgroups = cg.Paths()
	} else if !errors.Is(err, cgroups.ErrNotExist) {
		return nil, fmt.Errorf("exec in container %s: %w", id[:12], err)
	}

	p := &ExecProcess{ContainerID: id, self: e.opts.self, done: make(chan struct{})}
	var files [3]*os.File // the child's stdin, stdout, stderr
	var closeAfter []*os.File
	defer func() {
		for _, f := range closeAfter {
			f.Close()
		}
	}()
	fail := func(err error) (*ExecProcess, error) {
		p.Close()
		return nil, err
	}
	if o.Detach || !o.TTY {
		if o.Detach || !o.Stdin {
			null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
			if err != nil {
				return fail(fmt.Errorf("exec in container %s: %w", id[:12], err))
			}
			closeAfter = append(closeAfter, null)
			files = [3]*os.File{null, null, null}
		}
		if !o.Detach {
			if o.Stdin {
				r, w, err := os.Pipe()
				if err != nil {
					return fail(fmt.Errorf("exec in container %s: %w", id[:12], err))
				}
				closeAfter = append(closeAfter, r)
				files[0], p.Stdin = r, w
			}
			for i, dst := range []**os.File{&p.Stdout, &p.Stderr} {
				r, w, err := os.Pipe()
				if err != nil {
					return fail(fmt.Errorf("exec in container %s: %w", id[:12], err))
				}
				closeAfter = append(closeAfter, w)
				files[i+1], *dst = w, r
			}
		}
	} else {
		spec.tty, spec.size = true, o.Size
	}
	spec.files = files

	r := onThrowawayThread(func() execStarted {
		proc, master, err := spec.start()
		return execStarted{proc, master, err}
	})
	if r.err != nil {
		var ee *ExecError
		if errors.As(r.err, &ee) {
			ee.ContainerID = id
			return fail(ee)
		}
		return fail(fmt.Errorf("exec in container %s: %w", id[:12], r.err))
	}
	p.proc, p.Pid, p.PTY = r.proc, r.proc.Pid, r.master
	go p.reap()
	e.log.Debug("exec", "container", id, "pid", p.Pid, "cmd", o.Cmd)
	return p, nil
}

// onThrowawayThread runs fn on an OS thread of its own (goThrowaway) and
// returns what it returns.
func onThrowawayThread[T any](fn func() T) T {
	res := make(chan T, 1)
	goThrowaway(func() { res <- fn() })
	return <-res
}

// goThrowaway starts fn on an OS thread of its own that ends when fn
// returns, so that whatever fn changes about its thread (namespaces,
// cgroups, capabilities) dies with it. It never uses the main thread: the
// Go runtime cannot end that thread and parks it for good instead, with
// its changes, and a frozen container would then freeze the whole
// process.
func goThrowaway(fn func()) {
	go func() {
		runtime.LockOSThread()
		if unix.Gettid() == unix.Getpid() {
			// While this goroutine holds the main thread, the runtime
			// runs the next one on another; it holds it until then.
			moved := make(chan struct{})
			goThrowaway(func() {
				close(moved)
				fn()
			})
			<-moved
			runtime.UnlockOSThread()
			return
		}
		// Never unlocked: the thread ends with the goroutine.
		fn()
	}()
}

// execStarted is what the container thread reports back.
type execStarted struct {
	proc   *os.Process
	master *os.File
	err    error
}

// execProcSpec is what the container thread needs to start an exec
// process, resolved from the container's record and the options.
type execProcSpec struct {
	pidfd int
	// cgroups are the container's cgroup directories (cgroups.Paths).
	cgroups    map[string]string
	args       []string
	env        []string
	user       string
	cwd        string
	caps       []string
	privileged bool
	// seccomp runs the process under the container's seccomp filter.
	seccomp bool
	// groupAdd are the container's --group-add groups.
	groupAdd []string
	tty      bool
	size     pty.Size
	files    [3]*os.File
}

// execSpec resolves the process's environment, user, working directory and
// capabilities from the container's configuration and o.
func (e *Engine) execSpec(rec *containerRecord, o ExecOptions) (*execProcSpec, error) {
	privileged := rec.HostConfig.Privileged || o.Privileged
	caps, err := containerCaps(privileged, rec.HostConfig.CapAdd, rec.HostConfig.CapDrop)
	if err != nil {
		return nil, err
	}
	env := []string{"HOSTNAME=" + rec.Config.Hostname}
	if o.TTY && !o.Detach {
		env = append(env, "TERM=xterm")
	}
	env = mergeEnv(env, rec.Config.Env)
	env = mergeEnv(env, o.Env)
	s := &execProcSpec{
		args:       o.Cmd,
		env:        env,
		user:       rec.Config.User,
		cwd:        rec.Config.WorkingDir,
		caps:       caps,
		privileged: privileged,
		seccomp:    !o.Privileged && seccompConfined(rec.HostConfig),
		groupAdd:   rec.HostConfig.GroupAdd,
	}
	if o.User != "" {
		s.user = o.User
	}
	if o.WorkingDir != "" {
		s.cwd = o.WorkingDir
	}
	if s.cwd == "" {
		s.cwd = "/"
	}
	return s, nil
}

// start runs on a locked OS thread that it turns into a thread of the
// container (see Exec), then starts the process from it. The thread must
// not be used for anything else afterwards.
func (s *execProcSpec) start() (*os.Process, *os.File, error) {
	cgfd, err := s.joinCgroups()
	if err != nil {
		return nil, nil, err
	}
	if cgfd >= 0 {
		defer unix.Close(cgfd)
	}
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		return nil, nil, fmt.Errorf("unshare filesystem attributes: %w", err)
	}
	flags := unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC | unix.CLONE_NEWNET
	if cgroupNSAvailable() {
		flags |= unix.CLONE_NEWCGROUP
	}
	if err := unix.Setns(s.pidfd, flags); err != nil {
		return nil, nil, fmt.Errorf("enter namespaces: %w", err)
	}
	// From here on, paths resolve inside the container.
	u, err := launch.ResolveUser(s.user)
	if err == nil {
		err = launch.AddGroups(&u, s.groupAdd)
	}
	if err != nil {
		return nil, nil, &ExecError{Code: 126, Err: err}
	}
	env := launch.WithDefaultEnv(s.env, u.Home)
	path, err := launch.LookCommand(s.args[0], env)
	if err != nil {
		var ee *launch.ExitError
		if errors.As(err, &ee) {
			return nil, nil, &ExecError{Code: ee.Code, Err: ee.Err}
		}
		return nil, nil, err
	}
	if fi, err := os.Stat(s.cwd); err != nil || !fi.IsDir() {
		reason := "not a directory"
		if err != nil {
			reason = unwrapErrno(err).Error()
		}
		return nil, nil, &ExecError{Code: 126, Err: fmt.Errorf("chdir to cwd (%q) set in config.json failed: %s", s.cwd, reason)}
	}
	files := s.files
	var master *os.File
	if s.tty {
		m, _, err := pty.OpenPTY("/dev/pts/ptmx")
		if err != nil {
			return nil, nil, err
		}
		slave, err := pty.OpenPeer(m)
		if err != nil {
			m.Close()
			return nil, nil, err
		}
		defer slave.Close()
		// The terminal belongs to the process's user, as a login's does.
		if err := slave.Chown(u.UID, -1); err != nil {
			m.Close()
			return nil, nil, fmt.Errorf("chown terminal: %w", err)
		}
		if s.size != (pty.Size{}) {
			if err := pty.SetFileSize(m, s.size); err != nil {
				m.Close()
				return nil, nil, err
			}
		}
		master = m
		files = [3]*os.File{slave, slave, slave}
	}
	fail := func(err error) (*os.Process, *os.File, error) {
		if master != nil {
			master.Close()
		}
		return nil, nil, err
	}
	if err := s.restrict(); err != nil {
		return fail(err)
	}
	c := &launch.Child{
		Path:     path,
		Args:     s.args,
		Env:      env,
		Dir:      s.cwd,
		Stdio:    [3]int{int(files[0].Fd()), int(files[1].Fd()), int(files[2].Fd())},
		Tty:      s.tty,
		User:     u,
		CgroupFD: cgfd,
	}
	if s.seccomp {
		c.Seccomp = launch.SeccompFilter(s.caps)
	}
	pid, err := launch.StartChild(c)
	if err != nil {
		var ee *launch.ExitError
		if errors.As(err, &ee) {
			err = &ExecError{Code: ee.Code, Err: ee.Err}
		}
		return fail(err)
	}
	proc, err := os.FindProcess(pid)
	if err != nil {
		return fail(err)
	}
	return proc, master, nil
}

// joinCgroups moves the calling thread into the container's cgroup v1
// hierarchies and opens its cgroup v2 directory, if any, for
// CLONE_INTO_CGROUP: v2 moves only whole processes. It returns -1 when
// there is no v2 directory.
//
// The thread writes "0" (itself) to each v1 tasks file rather than its
// thread ID: for the calling thread alone the kernel skips the global
// threadgroup lock, whose write side waits for an RCU grace period
// (about 10 ms here) on every migration.
func (s *execProcSpec) joinCgroups() (int, error) {
	self := []byte("0")
	seen := map[string]bool{}
	cgfd := -1
	for key, dir := range s.cgroups {
		if seen[dir] {
			continue
		}
		seen[dir] = true
		if key == cgroups.UnifiedKey {
			fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
			if err != nil {
				return -1, fmt.Errorf("open cgroup %s: %w", dir, err)
			}
			cgfd = fd
			continue
		}
		if err := writeTasks(filepath.Join(dir, "tasks"), self); err != nil {
			if cgfd >= 0 {
				unix.Close(cgfd)
			}
			return -1, fmt.Errorf("join cgroup %s: %w", dir, err)
		}
	}
	return cgfd, nil
}

// writeTasks writes b to an existing cgroup v1 tasks file in one write.
func writeTasks(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// restrict limits what the calling thread passes on to its children: the
// container's capability bounding set, no inheritable capabilities (as
// docker since CVE-2022-24769), no ambient ones, and no_new_privs unless
// privileged. The process
// becomes non-dumpable and inherited descriptors close-on-exec (see Exec).
func (s *execProcSpec) restrict() error {
	_, keep := launch.CapMask(s.caps)
	last := launch.LastCap()
	for c := 0; c <= last; c++ {
		if keep[c] {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil && err != unix.EINVAL {
			return fmt.Errorf("drop capability %d from bounding set: %w", c, err)
		}
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("get capabilities: %w", err)
	}
	data[0].Inheritable, data[1].Inheritable = 0, 0
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("set capabilities: %w", err)
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil && err != unix.EINVAL {
		return fmt.Errorf("clear ambient capabilities: %w", err)
	}
	if !s.privileged {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("set no_new_privs: %w", err)
		}
	}
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("make process non-dumpable: %w", err)
	}
	if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		return fmt.Errorf("mark descriptors close-on-exec: %w", err)
	}
	return nil
}

// unwrapErrno returns the system call error inside err, or err.
func unwrapErrno(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return err
}
