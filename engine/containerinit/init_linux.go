package containerinit

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// initSockFd is the descriptor of the sync socket in the init process.
const initSockFd = 3

// init runs the container's init when this process is one: the monitor
// starts it (re-executing berth from its sealed copy) with argv[0]
// "berth-init" in the container's new namespaces. Package initialisation
// runs it, before the rest of berth's dependencies initialise, which the
// init never uses.
func init() {
	if len(os.Args) > 0 && os.Args[0] == "berth-init" {
		initMain()
	}
}

// initMain reads the init's spec from the sync socket, builds the
// container's filesystem and process environment, and execs the
// container's command. It never returns: on failure it reports the error
// to the monitor and exits with docker's code for it.
func initMain() {
	// Capabilities and the parent-death signal are per thread: everything
	// up to execve happens on this one.
	runtime.LockOSThread()
	sock := os.NewFile(initSockFd, "init-sync")
	code, err := runInit(sock)
	if err != nil {
		b, _ := json.Marshal(Msg{Code: code, Error: err.Error()})
		unix.Write(initSockFd, b)
	}
	os.Exit(code)
}

func runInit(sock *os.File) (int, error) {
	spec, fds, err := readInitSpec()
	if err != nil {
		return 125, err
	}
	if err := takeFds(spec, fds); err != nil {
		return 125, err
	}
	// setupContainer ends in execve; it returns only when the container's
	// process could not be started.
	err = setupContainer(spec)
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code, ee.Err
	}
	return 125, err
}

// readInitSpec waits for the spec and the descriptors that come with it.
// The monitor closing the socket instead (its container was not created)
// ends the init quietly.
func readInitSpec() (*Spec, []int, error) {
	buf := make([]byte, 1<<20)
	oob := make([]byte, unix.CmsgSpace(MaxSpecFds*4))
	var n, oobn int
	var err error
	for {
		n, oobn, _, _, err = unix.Recvmsg(initSockFd, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read init spec: %w", err)
	}
	if n == 0 {
		os.Exit(0)
	}
	var fds []int
	if oobn > 0 {
		scms, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil {
			return nil, nil, fmt.Errorf("read init spec descriptors: %w", err)
		}
		for i := range scms {
			f, err := unix.ParseUnixRights(&scms[i])
			if err != nil {
				return nil, nil, fmt.Errorf("read init spec descriptors: %w", err)
			}
			fds = append(fds, f...)
		}
	}
	var spec Spec
	if err := json.Unmarshal(buf[:n], &spec); err != nil {
		return nil, nil, fmt.Errorf("decode init spec: %w", err)
	}
	return &spec, fds, nil
}

// takeFds joins the network namespace and takes the standard streams the
// spec's descriptors carry. The namespace is this thread's, the one that
// execs the container's process, which keeps it.
func takeFds(spec *Spec, fds []int) error {
	want := 0
	if spec.NetNS {
		want++
	}
	if spec.Stdio {
		want += 3
	}
	if len(fds) != want {
		return fmt.Errorf("read init spec: %d descriptors, want %d", len(fds), want)
	}
	if spec.NetNS {
		err := unix.Setns(fds[0], unix.CLONE_NEWNET)
		unix.Close(fds[0])
		if err != nil {
			return fmt.Errorf("join network namespace: %w", err)
		}
		fds = fds[1:]
	}
	if spec.Stdio {
		for i, fd := range fds {
			if err := unix.Dup3(fd, i, 0); err != nil {
				return fmt.Errorf("set up stdio: %w", err)
			}
		}
		for _, fd := range fds {
			unix.Close(fd)
		}
	}
	return nil
}

// setupContainer does the init's work in runc's order and ends in execve.
func setupContainer(spec *Spec) error {
	if err := joinCgroups(spec.CgroupTasks); err != nil {
		return err
	}
	if spec.CgroupNS {
		// The monitor moved this process into the container's cgroup
		// before sending the spec, so the new cgroup namespace is rooted
		// there.
		if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil {
			return fmt.Errorf("unshare cgroup namespace: %w", err)
		}
	}
	if _, err := unix.Setsid(); err != nil {
		return fmt.Errorf("setsid: %w", err)
	}
	if err := unix.Mount("", "/", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("make / rslave: %w", err)
	}
	if err := mountRootfs(spec); err != nil {
		return err
	}
	if err := mountSpecial(spec); err != nil {
		return err
	}
	for _, m := range spec.Mounts {
		if err := mountInto(spec.Rootfs, m); err != nil {
			return err
		}
	}
	if err := pivotRoot(spec.Rootfs); err != nil {
		return err
	}
	if err := makeDevLinks(); err != nil {
		return err
	}
	if !spec.Privileged {
		for _, p := range spec.Masked {
			if err := maskPath(p); err != nil {
				return err
			}
		}
		for _, p := range spec.ReadOnlyP {
			if err := readonlyPath(p); err != nil {
				return err
			}
		}
	}
	if spec.Tty {
		if err := setupTTY(); err != nil {
			return err
		}
	}
	if spec.ReadOnly {
		if err := unix.Mount("", "/", "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
			return fmt.Errorf("remount rootfs read-only: %w", err)
		}
	}
	if err := unix.Sethostname([]byte(spec.Hostname)); err != nil {
		return fmt.Errorf("set hostname: %w", err)
	}
	if spec.NewNet {
		if err := loopbackUp(); err != nil {
			return err
		}
	}
	if spec.NoFile > 0 {
		var cur syscall.Rlimit
		if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &cur); err == nil {
			n := min(spec.NoFile, cur.Max)
			// syscall.Setrlimit also stops Go from restoring its own
			// saved soft limit at exec.
			if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: n, Max: n}); err != nil {
				return fmt.Errorf("set open files limit: %w", err)
			}
		}
	}
	u, err := ResolveUser(spec.User)
	if err != nil {
		return err
	}
	env := WithDefaultEnv(spec.Env, u.Home)
	cwd := spec.Cwd
	if cwd == "" {
		cwd = "/"
	}
	if err := ensureWorkdir(cwd, u); err != nil {
		return err
	}
	path, err := LookCommand(spec.Args[0], env)
	if err != nil {
		return err
	}
	if err := dropBounding(spec.Caps); err != nil {
		return err
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("keep capabilities: %w", err)
	}
	if err := setIDs(u); err != nil {
		return err
	}
	if err := setCaps(spec.Caps); err != nil {
		return err
	}
	// A change of credentials clears the parent-death signal.
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0); err != nil {
		return fmt.Errorf("set parent death signal: %w", err)
	}
	if !spec.Privileged {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("set no_new_privs: %w", err)
		}
	}
	if err := unix.Chdir(cwd); err != nil {
		return &ExitError{126, fmt.Errorf("chdir to cwd (%q) set in config.json failed: %w", cwd, err)}
	}
	if spec.WaitRelease {
		if err := waitRelease(); err != nil {
			return err
		}
	}
	// Every descriptor above stdio closes at exec, the sync socket too:
	// its end of file tells the monitor the exec succeeded.
	if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		return fmt.Errorf("close descriptors: %w", err)
	}
	err = syscall.Exec(path, spec.Args, env)
	return execError(spec.Args[0], err)
}

// joinCgroups moves the init's thread, the one that execs the container's
// process, into the container's v1 cgroups by writing 0 to each tasks
// file. The kernel moves a thread that moves itself without the global
// lock that moving a process (cgroup.procs) takes, whose first taker waits
// for an RCU grace period: 11 ms on this kind of host, per start. The
// runtime's other threads stay where they are and end at execve, which
// leaves the process in the container's cgroups alone.
func joinCgroups(dirs []string) error {
	for _, d := range dirs {
		if err := writeFileRaw(path.Join(d, "tasks"), "0"); err != nil {
			return fmt.Errorf("join cgroup %s: %w", d, err)
		}
	}
	return nil
}

// writeFileRaw writes s to the existing file path in one write(2). The
// init's file accesses are plain system calls: an os.File costs three or
// four more (non-blocking mode, the poller), which the init does not use.
func writeFileRaw(path, s string) error {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: path, Err: err}
	}
	_, err = unix.Write(fd, []byte(s))
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	if err != nil {
		return &os.PathError{Op: "write", Path: path, Err: err}
	}
	return nil
}

// readFileRaw reads the whole file at path with plain system calls (see
// writeFileRaw).
func readFileRaw(path string) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	b := make([]byte, 0, 4096)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := unix.Read(fd, b[len(b):cap(b)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return b, nil
		}
		b = b[:len(b)+n]
	}
}

// setIDs sets the groups, gid and uid of the calling thread only. Go's
// syscall.Setuid and friends change every thread of the process, which
// costs a signal round trip to each; the init's other threads end at
// execve, so only this one's credentials reach the container's process.
func setIDs(u User) error {
	groups := make([]uint32, len(u.Groups))
	for i, g := range u.Groups {
		groups[i] = uint32(g)
	}
	var list uintptr
	if len(groups) > 0 {
		list = uintptr(unsafe.Pointer(&groups[0]))
	}
	if _, _, errno := unix.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(groups)), list, 0); errno != 0 {
		return fmt.Errorf("set groups: %w", errno)
	}
	runtime.KeepAlive(groups)
	if _, _, errno := unix.RawSyscall(unix.SYS_SETRESGID, uintptr(u.GID), uintptr(u.GID), uintptr(u.GID)); errno != 0 {
		return fmt.Errorf("set gid %d: %w", u.GID, errno)
	}
	if _, _, errno := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(u.UID), uintptr(u.UID), uintptr(u.UID)); errno != 0 {
		return fmt.Errorf("set uid %d: %w", u.UID, errno)
	}
	return nil
}

// waitRelease tells the monitor the init is ready to exec and waits for
// its release, during which the monitor may apply a pids limit below the
// init's thread count. The read is a raw system call: a blocking Go
// system call lets the runtime hand this thread's P to a new thread,
// which the limit would refuse (and the runtime would abort on).
func waitRelease() error {
	// No allocation here: a collection could want a new thread too.
	b := []byte(`{"ready":true}`)
	if _, _, errno := unix.RawSyscall(unix.SYS_WRITE, initSockFd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b))); errno != 0 {
		return fmt.Errorf("report ready: %w", errno)
	}
	var c [1]byte
	for {
		n, _, errno := unix.RawSyscall(unix.SYS_READ, initSockFd, uintptr(unsafe.Pointer(&c[0])), 1)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return fmt.Errorf("wait for release: %w", errno)
		}
		if n != 1 || c[0] != Release {
			return errors.New("wait for release: the monitor went away")
		}
		return nil
	}
}

func execError(name string, err error) error {
	switch {
	case errors.Is(err, syscall.ENOENT):
		return &ExitError{127, fmt.Errorf("exec: %q: %w", name, err)}
	default:
		return &ExitError{126, fmt.Errorf("exec: %q: %w", name, err)}
	}
}

// mountRootfs mounts the overlay of the image layers and the container's
// upper directory on the rootfs directory. Lower directories are given
// relative to the store root, so a deep image still fits in one page of
// mount options.
func mountRootfs(spec *Spec) error {
	if err := unix.Chdir(spec.Root); err != nil {
		return fmt.Errorf("mount rootfs: %w", err)
	}
	opts := "lowerdir=" + strings.Join(spec.Lower, ":") + ",upperdir=" + spec.Upper +
		",workdir=" + spec.Work + ",redirect_dir=off,metacopy=off,index=off"
	if len(opts) >= 4096 {
		return fmt.Errorf("mount rootfs: %d layers make the overlay options too long", len(spec.Lower))
	}
	if err := unix.Mount("overlay", spec.Rootfs, "overlay", 0, opts); err != nil {
		return fmt.Errorf("mount rootfs overlay: %w", err)
	}
	return nil
}

// mountSpecial mounts /proc, /dev (tmpfs with the standard nodes), /dev/pts
// (its own devpts instance), /dev/shm, /dev/mqueue and /sys.
func mountSpecial(spec *Spec) error {
	const nsd = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	sysFlags := uintptr(nsd | unix.MS_RDONLY)
	if spec.Privileged {
		sysFlags = nsd
	}
	mounts := []struct {
		dest, fstype string
		flags        uintptr
		data         string
	}{
		{"/proc", "proc", nsd, ""},
		{"/dev", "tmpfs", unix.MS_NOSUID | unix.MS_STRICTATIME, "mode=755,size=65536k"},
		{"/dev/pts", "devpts", unix.MS_NOSUID | unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5"},
		{"/dev/shm", "tmpfs", nsd, "mode=1777,size=65536k"},
		{"/dev/mqueue", "mqueue", nsd, ""},
		{"/sys", "sysfs", sysFlags, ""},
	}
	for _, m := range mounts {
		dst, err := secureJoin(spec.Rootfs, m.dest)
		if err != nil {
			return fmt.Errorf("mount %s: %w", m.dest, err)
		}
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return fmt.Errorf("mount %s: %w", m.dest, err)
		}
		if err := unix.Mount(m.fstype, dst, m.fstype, m.flags, m.data); err != nil {
			return fmt.Errorf("mount %s: %w", m.dest, err)
		}
		if m.dest == "/dev" {
			if err := makeDevNodes(dst); err != nil {
				return err
			}
		}
	}
	return nil
}

// makeDevNodes creates the device nodes every container gets.
func makeDevNodes(dev string) error {
	old := unix.Umask(0)
	defer unix.Umask(old)
	nodes := []struct {
		name         string
		major, minor uint32
	}{
		{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
	}
	for _, n := range nodes {
		if err := unix.Mknod(path.Join(dev, n.name), unix.S_IFCHR|0o666, int(unix.Mkdev(n.major, n.minor))); err != nil {
			return fmt.Errorf("create /dev/%s: %w", n.name, err)
		}
	}
	for _, d := range []string{"pts", "shm", "mqueue"} {
		if err := os.MkdirAll(path.Join(dev, d), 0o755); err != nil {
			return fmt.Errorf("create /dev/%s: %w", d, err)
		}
	}
	fd, err := unix.Open(path.Join(dev, "console"), unix.O_WRONLY|unix.O_CREAT|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("create /dev/console: %w", err)
	}
	unix.Close(fd)
	return nil
}

// makeDevLinks creates the standard /dev symlinks, after pivot_root.
func makeDevLinks() error {
	links := [][2]string{
		{"/proc/self/fd", "/dev/fd"}, {"/proc/self/fd/0", "/dev/stdin"},
		{"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
		{"pts/ptmx", "/dev/ptmx"}, {"/proc/kcore", "/dev/core"},
	}
	for _, l := range links {
		if err := os.Symlink(l[0], l[1]); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("link %s: %w", l[1], err)
		}
	}
	return nil
}

// mountInto makes one bind or tmpfs mount at m.Dest inside rootfs, creating
// the mount point (a directory, or an empty file for a file bind) if it is
// missing. The destination is resolved inside the rootfs, so symlinks in
// the image cannot point it outside.
func mountInto(rootfs string, m Mount) error {
	dst, err := secureJoin(rootfs, m.Dest)
	if err != nil {
		return fmt.Errorf("mount %s: %w", m.Dest, err)
	}
	isDir := true
	if m.Type == "bind" {
		fi, err := os.Stat(m.Source)
		if err != nil {
			return fmt.Errorf("invalid mount config: bind source path does not exist: %s", m.Source)
		}
		isDir = fi.IsDir()
	}
	if err := makeMountPoint(dst, isDir); err != nil {
		return fmt.Errorf("mount %s: %w", m.Dest, err)
	}
	switch m.Type {
	case "bind":
		if err := unix.Mount(m.Source, dst, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("bind mount %s on %s: %w", m.Source, m.Dest, err)
		}
		if m.RO {
			if err := unix.Mount("", dst, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_REC, ""); err != nil {
				return fmt.Errorf("remount %s read-only: %w", m.Dest, err)
			}
		}
	case "tmpfs":
		flags := uintptr(unix.MS_NOSUID | unix.MS_NODEV)
		if m.RO {
			flags |= unix.MS_RDONLY
		}
		data, extra := tmpfsOptions(m.Data)
		if err := unix.Mount("tmpfs", dst, "tmpfs", flags|extra, data); err != nil {
			return fmt.Errorf("mount tmpfs on %s: %w", m.Dest, err)
		}
	default:
		return fmt.Errorf("mount %s: unknown mount type %q", m.Dest, m.Type)
	}
	return nil
}

// tmpfsOptions splits docker's --tmpfs options into mount flags and the
// data string passed to tmpfs.
func tmpfsOptions(opts string) (string, uintptr) {
	var data []string
	var flags uintptr
	for _, o := range strings.Split(opts, ",") {
		switch o {
		case "":
		case "ro":
			flags |= unix.MS_RDONLY
		case "rw":
		case "noexec":
			flags |= unix.MS_NOEXEC
		case "exec":
		case "nosuid":
			flags |= unix.MS_NOSUID
		case "nodev":
			flags |= unix.MS_NODEV
		default:
			data = append(data, o)
		}
	}
	return strings.Join(data, ","), flags
}

func makeMountPoint(dst string, dir bool) error {
	if _, err := os.Lstat(dst); err == nil {
		return nil
	}
	if dir {
		return os.MkdirAll(dst, 0o755)
	}
	if err := os.MkdirAll(path.Dir(dst), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

// pivotRoot makes rootfs the root of the mount namespace with pivot_root,
// stacking the old root on top of the new one and detaching it, which
// needs no put_old directory (runc's way). chroot is never used: it would
// leave the host's root reachable.
func pivotRoot(rootfs string) error {
	if err := unix.Chdir(rootfs); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.Mount("", ".", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("pivot_root: make old root rslave: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("pivot_root: detach old root: %w", err)
	}
	return unix.Chdir("/")
}

// maskPath hides p: a directory under an empty read-only tmpfs, anything
// else under /dev/null. Missing paths are skipped.
func maskPath(p string) error {
	err := unix.Mount("/dev/null", p, "", unix.MS_BIND, "")
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if errors.Is(err, unix.ENOTDIR) {
		err = unix.Mount("tmpfs", p, "tmpfs", unix.MS_RDONLY, "size=0")
	}
	if err != nil {
		return fmt.Errorf("mask %s: %w", p, err)
	}
	return nil
}

// readonlyPath makes p read-only. Missing paths are skipped.
func readonlyPath(p string) error {
	if err := unix.Mount(p, p, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		return fmt.Errorf("make %s read-only: %w", p, err)
	}
	flags := uintptr(unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY)
	var st unix.Statfs_t
	if unix.Statfs(p, &st) == nil {
		flags |= uintptr(st.Flags) & (unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
	}
	if err := unix.Mount("", p, "", flags, ""); err != nil {
		return fmt.Errorf("make %s read-only: %w", p, err)
	}
	return nil
}

// setupTTY allocates the container's terminal in its own devpts instance:
// the slave becomes the controlling terminal and stdio of the init, the
// master goes to the monitor over the sync socket.
func setupTTY() error {
	master, err := unix.Open("/dev/pts/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open /dev/pts/ptmx: %w", err)
	}
	defer unix.Close(master)
	if err := unix.IoctlSetPointerInt(master, unix.TIOCSPTLCK, 0); err != nil {
		return fmt.Errorf("unlock pty: %w", err)
	}
	slave, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(master), unix.TIOCGPTPEER, unix.O_RDWR|unix.O_NOCTTY)
	if errno != 0 {
		return fmt.Errorf("open pty peer: %w", errno)
	}
	n, err := unix.IoctlGetInt(master, unix.TIOCGPTN)
	if err != nil {
		return fmt.Errorf("get pty number: %w", err)
	}
	if err := unix.Mount("/dev/pts/"+strconv.Itoa(n), "/dev/console", "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind /dev/console: %w", err)
	}
	if err := unix.IoctlSetInt(int(slave), unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("set controlling terminal: %w", err)
	}
	for fd := 0; fd <= 2; fd++ {
		if err := unix.Dup3(int(slave), fd, 0); err != nil {
			return fmt.Errorf("dup pty to fd %d: %w", fd, err)
		}
	}
	if slave > 2 {
		unix.Close(int(slave))
	}
	b, _ := json.Marshal(Msg{PTY: true})
	if err := unix.Sendmsg(initSockFd, b, unix.UnixRights(master), nil, 0); err != nil {
		return fmt.Errorf("send pty master: %w", err)
	}
	return nil
}

// loopbackUp brings lo up in the container's new network namespace.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("bring lo up: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("bring lo up: %w", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring lo up: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring lo up: %w", err)
	}
	return nil
}
