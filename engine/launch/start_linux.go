package launch

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/engine/pid1"
	"github.com/berth-dev/berth/engine/spawn/prefork"
)

// Cgroup is where the container's process goes, as files the monitor
// opened: the process is inside the container's root by the time it
// joins.
type Cgroup struct {
	// Tasks are the tasks files of the v1 directories. The process joins
	// them itself by writing 0: the kernel moves a thread that moves
	// itself without the global lock a process migration (cgroup.procs)
	// takes, whose first taker waits for an RCU grace period, about 10 ms
	// on this kind of host.
	Tasks []*os.File
	// Dir is the v2 directory (O_PATH), which the process is cloned into
	// (CLONE_INTO_CGROUP), or nil.
	Dir *os.File
	// Procs is the v2 directory's cgroup.procs, through which the process
	// joins it if the clone into it fails, or nil.
	Procs *os.File
}

// Env is what Start gets from the container's monitor, which may still be
// making some of it when Start begins.
type Env struct {
	// Sources returns once the sources of the spec's mounts exist (some
	// are written while Start begins). Start calls it once, before it
	// makes those mounts.
	Sources func() error
	// Ready returns the container's cgroup once everything the process
	// needs before it runs (its cgroup and limits, its network) is set.
	// Start calls it just before the fork, and for a spec with Sysctls
	// also before it writes them; it answers the same each time.
	Ready func() (Cgroup, error)
	// Net returns the network namespace the process joins (NewNetNS),
	// or nil to keep the host's. Start calls it once, before it mounts
	// /sys, which shows the network devices of its mounter's namespace.
	Net func() (*os.File, error)
	// Stdio are the process's standard streams; with Spec.Tty it gets
	// the terminal Start makes instead.
	Stdio [3]int
}

// Process is a started container process.
type Process struct {
	Pid int
	// PTY is the master of the container's terminal (Spec.Tty).
	PTY *os.File
}

// Thread is a thread moved into the new namespaces of a container that
// is yet to start: mount, UTS and IPC. Making them needs nothing of the
// container, so a monitor makes them while it reads the container's
// record.
type Thread struct{}

// Prepare moves the calling thread into new namespaces for a container's
// start. The thread must be a locked OS thread, not the main one, which
// it changes for good and which the caller must keep until the process
// Start forks from it has ended: the process's parent-death signal fires
// when that thread ends. The thread also holds the container's mounts;
// ending it (returning from its goroutine without unlocking) releases
// them.
func Prepare() (*Thread, error) {
	// Read while the host's /proc is still in view.
	LastCap()
	// Built now, while the container is still being created, not in
	// the start (SeccompFilter).
	sysArches()
	// CLONE_FS gives the thread its own root and working directory, which
	// pivot_root then moves into the container.
	if err := unix.Unshare(unix.CLONE_FS | unix.CLONE_NEWNS | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC); err != nil {
		return nil, fmt.Errorf("create namespaces: %w", err)
	}
	unix.Umask(0o022)
	if err := unix.Mount("", "/", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return nil, fmt.Errorf("make / rslave: %w", err)
	}
	return &Thread{}, nil
}

// NewNetNS makes a network namespace for a container, with its loopback
// up, and returns it open. Making one takes the kernel about a
// millisecond, which a thread of its own spends while the container's
// thread mounts its filesystem. The calling thread stays in the new
// namespace: it must be a locked OS thread, not the main one, which the
// caller throws away.
func NewNetNS() (*os.File, error) {
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		return nil, fmt.Errorf("create network namespace: %w", err)
	}
	f, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return nil, fmt.Errorf("open network namespace: %w", err)
	}
	if err := loopbackUp(); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Start starts the container's process (see the package documentation)
// on t's thread, which called Prepare. Errors are *ExitError.
func (t *Thread) Start(spec *Spec, env Env) (*Process, error) {
	p, err := t.start(spec, env)
	if err != nil {
		var ee *ExitError
		if !errors.As(err, &ee) {
			err = &ExitError{125, err}
		}
		return nil, err
	}
	return p, nil
}

func (t *Thread) start(spec *Spec, env Env) (*Process, error) {
	if err := joinNamespaces(spec); err != nil {
		return nil, err
	}
	shm, err := sharedShm(spec.IPCOf)
	if err != nil {
		return nil, err
	}
	if err := mountRootfs(spec); err != nil {
		if shm >= 0 {
			unix.Close(shm)
		}
		return nil, err
	}
	if err := mountSpecial(spec, shm); err != nil {
		return nil, err
	}
	ns, err := env.Net()
	if err != nil {
		return nil, err
	}
	if ns != nil {
		if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
			return nil, fmt.Errorf("join network namespace: %w", err)
		}
	}
	if err := mountSys(spec); err != nil {
		return nil, err
	}
	if len(spec.Sysctls) > 0 {
		// A setting of an interface needs it there: the network is
		// wired first.
		if _, err := env.Ready(); err != nil {
			return nil, err
		}
		if err := writeSysctls(spec.Sysctls); err != nil {
			return nil, err
		}
	}
	if err := env.Sources(); err != nil {
		return nil, err
	}
	for _, m := range spec.Mounts {
		if err := mountInto(spec.Rootfs, m); err != nil {
			return nil, err
		}
	}
	// The /proc paths are masked by the process, which mounts /proc; what
	// each is is read here, from the host's /proc, before pivot_root.
	var procMasks []procMask
	if !spec.Privileged {
		procMasks = procMasksOf(spec.Masked)
	}
	// The init is executed by descriptor: it is not in the container's
	// filesystem.
	initExe := -1
	if spec.Init {
		if initExe, err = openInitExe(); err != nil {
			return nil, fmt.Errorf("open berth binary for --init: %w", err)
		}
		defer unix.Close(initExe)
	}
	if err := pivotRoot(spec.Rootfs); err != nil {
		return nil, err
	}
	if err := makeDevLinks(); err != nil {
		return nil, err
	}
	if !spec.Privileged {
		for _, p := range spec.Masked {
			if !inProc(p) {
				if err := maskPath(p); err != nil {
					return nil, err
				}
			}
		}
		for _, p := range spec.ReadOnlyP {
			if !inProc(p) {
				if err := readonlyPath(p); err != nil {
					return nil, err
				}
			}
		}
	}
	stdio := env.Stdio
	var master *os.File
	if spec.Tty {
		var slave int
		var err error
		if master, slave, err = setupTTY(spec.TtySize); err != nil {
			return nil, err
		}
		defer unix.Close(slave)
		stdio = [3]int{slave, slave, slave}
	}
	fail := func(err error) (*Process, error) {
		if master != nil {
			master.Close()
		}
		return nil, err
	}
	if spec.ReadOnly {
		if err := unix.Mount("", "/", "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
			return fail(fmt.Errorf("remount rootfs read-only: %w", err))
		}
	}
	if !spec.HostUTS {
		if err := unix.Sethostname([]byte(spec.Hostname)); err != nil {
			return fail(fmt.Errorf("set hostname: %w", err))
		}
		if spec.Domainname != "" {
			if err := unix.Setdomainname([]byte(spec.Domainname)); err != nil {
				return fail(fmt.Errorf("set domain name: %w", err))
			}
		}
	}
	u, err := ResolveUser(spec.User)
	if err == nil {
		err = AddGroups(&u, spec.GroupAdd)
	}
	if err != nil {
		return fail(err)
	}
	envv := WithDefaultEnv(spec.Env, u.Home)
	cwd := spec.Cwd
	if cwd == "" {
		cwd = "/"
	}
	if err := ensureWorkdir(cwd, u); err != nil {
		return fail(err)
	}
	path, err := LookCommand(spec.Args[0], envv)
	if err != nil {
		return fail(err)
	}
	cg, err := env.Ready()
	if err != nil {
		return fail(err)
	}
	b := builder{spec: spec, cwd: cwd, path: path, env: envv, user: u, stdio: stdio, cgroup: cg, procMasks: procMasks, initExe: initExe}
	into := -1
	if cg.Dir != nil {
		into = int(cg.Dir.Fd())
	}
	var newPID uintptr = unix.CLONE_NEWPID
	if spec.HostPID || spec.PIDOf > 0 {
		newPID = 0
	}
	prog := b.program(into < 0)
	pid, cf, err := prog.start(newPID, into)
	if err != nil && into >= 0 {
		// The kernel would not clone into the cgroup: the process joins
		// it through cgroup.procs.
		prog = b.program(true)
		pid, cf, err = prog.start(newPID, -1)
	}
	if err != nil {
		return fail(fmt.Errorf("start container process: %w", err))
	}
	if cf != nil {
		syscall.Wait4(pid, nil, 0, nil)
		return fail(b.failure(prog, cf))
	}
	return &Process{Pid: pid, PTY: master}, nil
}

// inProc reports whether p is under /proc, which the process mounts.
func inProc(p string) bool {
	return p == "/proc" || strings.HasPrefix(p, "/proc/")
}

// procMask is a /proc path to hide and what it is.
type procMask struct {
	path string
	dir  bool
}

// procMasksOf returns the masked paths under /proc that exist, with their
// kind, read from the host's /proc: a container's /proc shows the same
// kernel-wide entries.
func procMasksOf(masked []string) []procMask {
	var out []procMask
	for _, p := range masked {
		if !inProc(p) {
			continue
		}
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		out = append(out, procMask{path: p, dir: fi.IsDir()})
	}
	return out
}

// builder makes the program of one container process.
type builder struct {
	spec      *Spec
	cwd, path string
	env       []string
	user      User
	stdio     [3]int
	cgroup    Cgroup
	procMasks []procMask
	// initExe is the berth binary executed in place of the command, as
	// its init, or -1.
	initExe int
}

// Indexes of the ops whose failures have their own exit codes are found
// by their descriptions.
const (
	whatChdir = "chdir"
	whatExec  = "exec"
	whatInit  = "exec the init (--init)"
)

// program returns the system calls the process makes between fork and
// execve, in runc's order. With joinV2, it joins its cgroup v2 directory
// itself, not cloned into it.
func (b *builder) program(joinV2 bool) *program {
	s := b.spec
	p := &program{}
	p.resetSignals()
	zero := p.str("0")
	for _, f := range b.cgroup.Tasks {
		p.add("join cgroup "+path.Dir(f.Name()), unix.SYS_WRITE, f.Fd(), zero, 1)
	}
	if joinV2 && b.cgroup.Procs != nil {
		p.add("join cgroup "+path.Dir(b.cgroup.Procs.Name()), unix.SYS_WRITE, b.cgroup.Procs.Fd(), zero, 1)
	}
	if s.CgroupNS {
		// After the cgroups, so that the namespace is rooted at the
		// container's.
		p.add("unshare cgroup namespace", unix.SYS_UNSHARE, unix.CLONE_NEWCGROUP)
		if len(s.Cgroupfs) > 0 {
			p.cgroupfs(s.Cgroupfs, !s.Privileged)
		}
	}
	p.add("setsid", unix.SYS_SETSID)
	const nsd = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	p.mount("mount /proc", "proc", "/proc", "proc", nsd, "")
	for _, m := range b.procMasks {
		var op *sysOp
		if m.dir {
			op = p.mount("mask "+m.path, "tmpfs", m.path, "tmpfs", unix.MS_RDONLY, "size=0")
		} else {
			op = p.mount("mask "+m.path, "/dev/null", m.path, "", unix.MS_BIND, "")
		}
		op.okErr = unix.ENOENT
	}
	if !s.Privileged {
		for _, path := range s.ReadOnlyP {
			if inProc(path) {
				op := p.mount("make "+path+" read-only", path, path, "", unix.MS_BIND|unix.MS_REC, "")
				op.okErr, op.skip = unix.ENOENT, 1
				p.mount("make "+path+" read-only", "", path, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|nsd, "")
			}
		}
	}
	if s.OOMScoreAdj != 0 {
		// Through the container's /proc, mounted above: the process is
		// still privileged enough to lower its score. The descriptor
		// closes at the execve.
		cwd := unix.AT_FDCWD
		p.add("open /proc/self/oom_score_adj", unix.SYS_OPENAT, uintptr(cwd), p.str("/proc/self/oom_score_adj"), unix.O_WRONLY|unix.O_CLOEXEC).save = true
		v := strconv.Itoa(s.OOMScoreAdj)
		p.add("set oom score adj "+v, unix.SYS_WRITE, 0, p.str(v), uintptr(len(v))).useSaved = 1
	}
	for i, fd := range b.stdio {
		p.add("set up stdio", unix.SYS_DUP3, uintptr(fd), uintptr(i), 0)
	}
	if s.Tty {
		p.add("set controlling terminal", unix.SYS_IOCTL, 0, unix.TIOCSCTTY, 0)
	}
	if s.NoFile > 0 {
		var cur unix.Rlimit
		if unix.Getrlimit(unix.RLIMIT_NOFILE, &cur) == nil {
			n := min(s.NoFile, cur.Max)
			lim := &unix.Rlimit{Cur: n, Max: n}
			p.keep = append(p.keep, lim)
			p.add("set open files limit", unix.SYS_PRLIMIT64, 0, unix.RLIMIT_NOFILE, uintptr(unsafe.Pointer(lim)), 0)
		}
	}
	for _, r := range s.Rlimits {
		lim := &unix.Rlimit{Cur: r.Soft, Max: r.Hard}
		p.keep = append(p.keep, lim)
		p.add(fmt.Sprintf("set ulimit %s=%d:%d", r.Name, int64(r.Soft), int64(r.Hard)), unix.SYS_PRLIMIT64, 0, uintptr(r.Resource), uintptr(unsafe.Pointer(lim)), 0)
	}
	mask, keep := CapMask(s.Caps)
	// A capability the monitor does not hold (berth run in a restricted
	// environment) cannot be given: a privileged container gets all the
	// others.
	held := heldCaps()
	mask[0], mask[1] = mask[0]&held[0], mask[1]&held[1]
	for c := 0; c <= LastCap(); c++ {
		if !keep[c] {
			p.add(fmt.Sprintf("drop capability %d from bounding set", c), unix.SYS_PRCTL, unix.PR_CAPBSET_DROP, uintptr(c)).okErr = unix.EINVAL
		}
	}
	p.add("keep capabilities", unix.SYS_PRCTL, unix.PR_SET_KEEPCAPS, 1)
	p.setUser(b.user)
	// No inheritable capabilities, as docker since 20.10.14
	// (CVE-2022-24769): a program with file capabilities must not gain
	// more than the bounding set through them.
	hdr := &unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	data := &[2]unix.CapUserData{
		{Effective: mask[0], Permitted: mask[0]},
		{Effective: mask[1], Permitted: mask[1]},
	}
	p.keep = append(p.keep, hdr, data)
	p.add("set capabilities", unix.SYS_CAPSET, uintptr(unsafe.Pointer(hdr)), uintptr(unsafe.Pointer(data)))
	p.add("clear ambient capabilities", unix.SYS_PRCTL, unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL).okErr = unix.EINVAL
	// A change of credentials clears the parent-death signal.
	p.add("set parent death signal", unix.SYS_PRCTL, unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL))
	if !s.Privileged {
		p.add("set no_new_privs", unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1)
	}
	var filter []unix.SockFilter
	if s.Seccomp {
		filter = SeccompFilter(s.Caps)
	}
	if b.initExe >= 0 {
		p.execInit(b.cwd, b.initExe, append([]string{pid1.Arg0, "--"}, s.Args...), b.env, filter)
	} else {
		p.exec(b.cwd, b.path, s.Args, b.env, filter)
	}
	return p
}

// setUser appends the change to user u: groups, then gid, then uid.
func (p *program) setUser(u User) {
	groups := make([]uint32, len(u.Groups)+1)
	for i, g := range u.Groups {
		groups[i] = uint32(g)
	}
	p.keep = append(p.keep, groups)
	p.add("set groups", unix.SYS_SETGROUPS, uintptr(len(u.Groups)), uintptr(unsafe.Pointer(&groups[0])))
	gid, uid := uintptr(u.GID), uintptr(u.UID)
	p.add(fmt.Sprintf("set gid %d", u.GID), unix.SYS_SETRESGID, gid, gid, gid)
	p.add(fmt.Sprintf("set uid %d", u.UID), unix.SYS_SETRESUID, uid, uid, uid)
}

// exec appends a program's end: the change to directory cwd, descriptors
// above stdio closed at exec (the error pipe too: its end of file tells
// the parent the exec worked), signals unblocked, seccomp filter f if
// any, and the execve of path.
func (p *program) exec(cwd, path string, args, env []string, f []unix.SockFilter) {
	p.beforeExec(cwd, f)
	p.add(whatExec, unix.SYS_EXECVE, p.str(path), p.strv(args), p.strv(env))
}

// execInit is exec for the binary open as exe, run by descriptor (its
// close-on-exec flag does not matter to an ELF binary).
func (p *program) execInit(cwd string, exe int, args, env []string, f []unix.SockFilter) {
	p.beforeExec(cwd, f)
	p.add(whatInit, unix.SYS_EXECVEAT, uintptr(exe), p.str(""), p.strv(args), p.strv(env), unix.AT_EMPTY_PATH)
}

// beforeExec appends what comes before a program's execve.
func (p *program) beforeExec(cwd string, f []unix.SockFilter) {
	p.add(whatChdir, unix.SYS_CHDIR, p.str(cwd))
	p.add("close descriptors", unix.SYS_CLOSE_RANGE, 3, ^uintptr(0), unix.CLOSE_RANGE_CLOEXEC)
	p.add("unblock signals", unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, p.mem(make([]byte, 8)), 0, 8)
	if f != nil {
		p.seccomp(f)
	}
}

// failure turns a child's failure into the error the start reports.
func (b *builder) failure(p *program, cf *childFailure) error {
	return p.failure(cf, b.cwd, b.spec.Args[0])
}

// failure turns the failure cf of p, which runs command name in cwd, into
// an error, an *ExitError with docker's code for the directory and the
// command.
func (p *program) failure(cf *childFailure, cwd, name string) error {
	if cf.op < 0 || cf.op >= len(p.what) {
		return errors.New("start container process: the process ended before its exec")
	}
	switch what := p.what[cf.op]; what {
	case whatChdir:
		return &ExitError{126, fmt.Errorf("chdir to cwd (%q) set in config.json failed: %w", cwd, cf.errno)}
	case whatExec:
		return execError(name, cf.errno)
	default:
		return fmt.Errorf("%s: %w", what, cf.errno)
	}
}

func execError(name string, err error) error {
	if errors.Is(err, syscall.ENOENT) {
		return &ExitError{127, fmt.Errorf("exec: %q: %w", name, err)}
	}
	return &ExitError{126, fmt.Errorf("exec: %q: %w", name, err)}
}

// writeSysctls writes the kernel settings kvs (KEY=VALUE) through the
// host's /proc/sys, still in view: what it shows and changes are those of
// the thread's namespaces, the container's by now.
func writeSysctls(kvs []string) error {
	for _, kv := range kvs {
		k, v, _ := strings.Cut(kv, "=")
		p := "/proc/sys/" + strings.ReplaceAll(k, ".", "/")
		if err := os.WriteFile(p, []byte(v), 0); err != nil {
			return fmt.Errorf("set sysctl %s: %w", k, err)
		}
	}
	return nil
}

// joinNamespaces moves the thread, which Prepare gave new IPC and UTS
// namespaces, into the host's for HostIPC and HostUTS (those of the
// monitor's main thread, still the host's) or into another process's
// for IPCOf; with PIDOf, the process it forks is born in that process's
// PID namespace.
func joinNamespaces(spec *Spec) error {
	for _, ns := range []struct {
		join bool
		path string
		name string
		flag int
	}{
		{spec.HostIPC, "/proc/self/ns/ipc", "ipc", unix.CLONE_NEWIPC},
		{spec.IPCOf > 0, fmt.Sprintf("/proc/%d/ns/ipc", spec.IPCOf), "ipc", unix.CLONE_NEWIPC},
		{spec.HostUTS, "/proc/self/ns/uts", "uts", unix.CLONE_NEWUTS},
		{spec.PIDOf > 0, fmt.Sprintf("/proc/%d/ns/pid", spec.PIDOf), "pid", unix.CLONE_NEWPID},
	} {
		if !ns.join {
			continue
		}
		fd, err := unix.Open(ns.path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("join the %s namespace %s: %w", ns.name, ns.path, err)
		}
		err = unix.Setns(fd, ns.flag)
		unix.Close(fd)
		if err != nil {
			return fmt.Errorf("join the %s namespace %s: %w", ns.name, ns.path, err)
		}
	}
	return nil
}

// MountFilesystem mounts spec's root filesystem and its bind mounts
// (volumes, binds, /etc/hosts, hostname and resolv.conf, those that
// exist: the last three are written by the first start; a tmpfs holds
// nothing while the container is stopped) as the container's processes
// would see them, in a new private mount namespace of the calling thread,
// for a container that is not running (berth cp), and returns the root
// open. The thread must be a locked OS thread, not the main one, kept
// while the root is used and then thrown away; its mounts go with it.
func MountFilesystem(spec *Spec) (*os.File, error) {
	if err := unix.Unshare(unix.CLONE_FS | unix.CLONE_NEWNS); err != nil {
		return nil, fmt.Errorf("create mount namespace: %w", err)
	}
	if err := unix.Mount("", "/", "", unix.MS_PRIVATE|unix.MS_REC, ""); err != nil {
		return nil, fmt.Errorf("make / private: %w", err)
	}
	if err := mountRootfs(spec); err != nil {
		return nil, err
	}
	for _, m := range spec.Mounts {
		if _, err := os.Stat(m.Source); m.Type != "bind" || err != nil {
			continue
		}
		m.Fill = false
		if err := mountInto(spec.Rootfs, m); err != nil {
			return nil, err
		}
	}
	fd, err := unix.Open(spec.Rootfs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open the container's filesystem: %w", err)
	}
	return os.NewFile(uintptr(fd), spec.Rootfs), nil
}

// openInitExe opens the binary a container's --init runs from: the lean
// twin of the sealed copy this monitor runs from, whose pages the init,
// which lives as long as its container, maps 64 KiB at a time, or else
// that copy itself. The twin, like the copy, must be on a read-only
// mount: the container could reach it through /proc/1/exe.
func openInitExe() (int, error) {
	if _, fd, err := prefork.OpenLean(); err == nil {
		return fd, nil
	}
	return unix.Open("/proc/self/exe", unix.O_RDONLY|unix.O_CLOEXEC, 0)
}
