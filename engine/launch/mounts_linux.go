package launch

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// mountRootfs mounts the overlay of the image layers and the container's
// upper directory on the rootfs directory. Lower directories are given
// relative to the store root, so a deep image still fits in one page of
// mount options. A Spec.Volatile overlay is mounted volatile where the
// kernel has the option (5.10 on).
func mountRootfs(spec *Spec) error {
	if err := unix.Chdir(spec.Root); err != nil {
		return fmt.Errorf("mount rootfs: %w", err)
	}
	opts := "lowerdir=" + strings.Join(spec.Lower, ":") + ",upperdir=" + spec.Upper +
		",workdir=" + spec.Work + ",redirect_dir=off,metacopy=off,index=off"
	if len(opts) >= 4096-len(",volatile") {
		return fmt.Errorf("mount rootfs: %d layers make the overlay options too long", len(spec.Lower))
	}
	var err error = unix.EINVAL
	if spec.Volatile {
		// A volatile overlay leaves this mark in its work directory and
		// the kernel mounts none over it again. The upper directory of a
		// container that goes when it ends is not worth keeping from one
		// run to the next (a start tried again after it failed).
		if err := os.RemoveAll(path.Join(spec.Work, "work/incompat/volatile")); err != nil {
			return fmt.Errorf("mount rootfs: %w", err)
		}
		err = unix.Mount("overlay", spec.Rootfs, "overlay", 0, opts+",volatile")
	}
	if err == unix.EINVAL {
		err = unix.Mount("overlay", spec.Rootfs, "overlay", 0, opts)
	}
	if err != nil {
		return fmt.Errorf("mount rootfs overlay: %w", err)
	}
	return nil
}

// shmSize is the tmpfs size option of /dev/shm: n bytes, 64 MiB for 0.
func shmSize(n int64) string {
	if n <= 0 {
		return "65536k"
	}
	return strconv.FormatInt(n, 10)
}

// sharedShm returns, detached, a copy of the /dev/shm mount of process
// pid (IPCOf), which lives in another mount namespace: the thread goes
// into that namespace for the copy and comes back. It returns -1 when
// there is none to share.
func sharedShm(pid int) (int, error) {
	if pid <= 0 {
		return -1, nil
	}
	own, err := unix.Open("/proc/thread-self/ns/mnt", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("share /dev/shm: %w", err)
	}
	defer unix.Close(own)
	theirs, err := unix.Open(fmt.Sprintf("/proc/%d/ns/mnt", pid), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("share /dev/shm: %w", err)
	}
	defer unix.Close(theirs)
	if err := unix.Setns(theirs, unix.CLONE_NEWNS); err != nil {
		return -1, fmt.Errorf("share /dev/shm: %w", err)
	}
	fd, err := unix.OpenTree(unix.AT_FDCWD, "/dev/shm", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if berr := unix.Setns(own, unix.CLONE_NEWNS); berr != nil {
		// The thread cannot build this container from there.
		if err == nil {
			unix.Close(fd)
		}
		return -1, fmt.Errorf("share /dev/shm: come back from the other container: %w", berr)
	}
	if err != nil {
		return -1, fmt.Errorf("share /dev/shm: %w", err)
	}
	return fd, nil
}

// mountSpecial makes the /proc mount point (the process mounts /proc
// itself, from inside its PID namespace) and mounts /dev (tmpfs with the
// standard nodes), /dev/pts (its own devpts instance), /dev/shm and
// /dev/mqueue (of the thread's new IPC namespace).
func mountSpecial(spec *Spec, shm int) error {
	if shm >= 0 {
		defer unix.Close(shm)
	}
	const nsd = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	if err := makeDir(spec.Rootfs, "/proc"); err != nil {
		return err
	}
	type special struct {
		dest, fstype string
		flags        uintptr
		data         string
	}
	mounts := []special{
		{"/dev", "tmpfs", unix.MS_NOSUID | unix.MS_STRICTATIME, "mode=755,size=65536k"},
		{"/dev/pts", "devpts", unix.MS_NOSUID | unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5"},
	}
	if !spec.HostIPC && shm < 0 {
		mounts = append(mounts, special{"/dev/shm", "tmpfs", nsd, "mode=1777,size=" + shmSize(spec.ShmSize)})
	}
	mounts = append(mounts, special{"/dev/mqueue", "mqueue", nsd, ""})
	for _, m := range mounts {
		dst, err := mountAt(spec.Rootfs, m.dest, m.fstype, m.flags, m.data)
		if err != nil {
			return err
		}
		if m.dest == "/dev" {
			if err := makeDevNodes(dst); err != nil {
				return err
			}
			devs := spec.Devices
			if spec.Privileged {
				devs = append(hostDevices(), devs...)
			}
			if err := makeDevices(spec.Rootfs, devs); err != nil {
				return err
			}
		}
	}
	switch {
	case spec.HostIPC:
		// The host's shared memory, as its IPC namespace is.
		return mountInto(spec.Rootfs, Mount{Type: "bind", Source: "/dev/shm", Dest: "/dev/shm"})
	case shm >= 0:
		// The other container's, as its IPC namespace is.
		dst, err := secureJoin(spec.Rootfs, "/dev/shm")
		if err == nil {
			err = os.MkdirAll(dst, 0o755)
		}
		if err == nil {
			err = unix.MoveMount(shm, "", unix.AT_FDCWD, dst, unix.MOVE_MOUNT_F_EMPTY_PATH)
		}
		if err != nil {
			return fmt.Errorf("mount the shared /dev/shm: %w", err)
		}
	}
	return nil
}

// mountSys mounts /sys, read-only unless the container is privileged. It
// shows the network devices of the mounting thread's namespace, so it
// comes once the thread is in the container's.
func mountSys(spec *Spec) error {
	flags := uintptr(unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
	if !spec.Privileged {
		flags |= unix.MS_RDONLY
	}
	_, err := mountAt(spec.Rootfs, "/sys", "sysfs", flags, "")
	return err
}

// makeDir creates dir, resolved inside rootfs, if it is missing.
func makeDir(rootfs, dir string) error {
	dst, err := secureJoin(rootfs, dir)
	if err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	return nil
}

// mountAt mounts a filesystem of type fstype on dest, resolved inside
// rootfs and created if missing, and returns the host path it used.
func mountAt(rootfs, dest, fstype string, flags uintptr, data string) (string, error) {
	dst, err := secureJoin(rootfs, dest)
	if err != nil {
		return "", fmt.Errorf("mount %s: %w", dest, err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return "", fmt.Errorf("mount %s: %w", dest, err)
	}
	if err := unix.Mount(fstype, dst, fstype, flags, data); err != nil {
		return "", fmt.Errorf("mount %s: %w", dest, err)
	}
	return dst, nil
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

// hostDevices lists the host's device nodes a privileged container gets
// besides the standard ones, as docker's does: every character and block
// device under /dev but the terminals of the host's devpts and those in
// the directories the container has its own of (shm, mqueue).
func hostDevices() []Device {
	var devs []Device
	filepath.WalkDir("/dev", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		switch p {
		case "/dev/pts", "/dev/shm", "/dev/mqueue":
			return filepath.SkipDir
		case "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty", "/dev/console", "/dev/ptmx":
			return nil
		}
		if d.Type()&(fs.ModeDevice|fs.ModeCharDevice) == 0 {
			return nil
		}
		var st unix.Stat_t
		if unix.Lstat(p, &st) != nil {
			return nil
		}
		devs = append(devs, Device{Path: p, Mode: st.Mode, Major: unix.Major(st.Rdev), Minor: unix.Minor(st.Rdev), UID: st.Uid, GID: st.Gid})
		return nil
	})
	return devs
}

// makeDevices makes the nodes of devs, resolved inside rootfs, with their
// parent directories.
func makeDevices(rootfs string, devs []Device) error {
	old := unix.Umask(0)
	defer unix.Umask(old)
	for _, d := range devs {
		dst, err := secureJoin(rootfs, d.Path)
		if err != nil {
			return fmt.Errorf("create device %s: %w", d.Path, err)
		}
		if err := os.MkdirAll(path.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("create device %s: %w", d.Path, err)
		}
		if err := unix.Mknod(dst, d.Mode, int(unix.Mkdev(d.Major, d.Minor))); err != nil {
			if errors.Is(err, unix.EEXIST) {
				// Asked for twice (--device on a privileged container).
				continue
			}
			return fmt.Errorf("create device %s: %w", d.Path, err)
		}
		if err := unix.Chown(dst, int(d.UID), int(d.GID)); err != nil {
			return fmt.Errorf("create device %s: %w", d.Path, err)
		}
	}
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
	if m.Fill {
		if err := fillVolume(dst, m.Source); err != nil {
			return fmt.Errorf("fill volume from the image's %s: %w", m.Dest, err)
		}
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

// setupTTY allocates the container's terminal in its own devpts
// instance, after pivot_root, with size (rows, columns) unless zero, and
// binds it on /dev/console. It returns the master, for the monitor, and
// the slave, which becomes the process's controlling terminal and
// standard streams.
func setupTTY(size [2]uint16) (*os.File, int, error) {
	master, err := unix.Open("/dev/pts/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, -1, fmt.Errorf("open /dev/pts/ptmx: %w", err)
	}
	fail := func(err error) (*os.File, int, error) {
		unix.Close(master)
		return nil, -1, err
	}
	if err := unix.IoctlSetPointerInt(master, unix.TIOCSPTLCK, 0); err != nil {
		return fail(fmt.Errorf("unlock pty: %w", err))
	}
	if size[0] > 0 && size[1] > 0 {
		if err := unix.IoctlSetWinsize(master, unix.TIOCSWINSZ, &unix.Winsize{Row: size[0], Col: size[1]}); err != nil {
			return fail(fmt.Errorf("set terminal size: %w", err))
		}
	}
	slave, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(master), unix.TIOCGPTPEER, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC)
	if errno != 0 {
		return fail(fmt.Errorf("open pty peer: %w", errno))
	}
	n, err := unix.IoctlGetInt(master, unix.TIOCGPTN)
	if err == nil {
		err = unix.Mount("/dev/pts/"+strconv.Itoa(n), "/dev/console", "", unix.MS_BIND, "")
	}
	if err != nil {
		unix.Close(int(slave))
		return fail(fmt.Errorf("bind /dev/console: %w", err))
	}
	return os.NewFile(uintptr(master), "ptmx"), int(slave), nil
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
