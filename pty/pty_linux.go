package pty

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// ptmxMajor and ptmxMinor identify the pseudo-terminal multiplexer device,
// both /dev/ptmx and the ptmx node inside every devpts instance.
const (
	ptmxMajor = 5
	ptmxMinor = 2
)

// OpenPTY allocates a new pseudo-terminal from the multiplexer at ptmxPath and
// returns its master and the path of its slave. To allocate the PTY in a
// container's own devpts instance (so the slave is valid inside the
// container), pass that instance's multiplexer, e.g. "<rootfs>/dev/pts/ptmx";
// "/dev/ptmx" allocates from the devpts mounted at /dev/pts.
//
// The slave path is where the slave appears in the caller's view of the
// filesystem ("<dir>/N" for a multiplexer inside devpts, "<dir>/pts/N"
// otherwise); inside a container it is /dev/pts/N. The file at ptmxPath must
// be the ptmx character device (5, 2), else the error wraps ErrNotPTMX, so a
// path that a container replaced with something else is refused. The master
// is non-blocking and registered with the runtime poller, so Close interrupts
// a pending Read; use GetFileSize and SetFileSize rather than f.Fd() to keep
// it that way. The slave is unlocked and ready to open, or use OpenPeer.
func OpenPTY(ptmxPath string) (master *os.File, slavePath string, err error) {
	master, err = os.OpenFile(ptmxPath, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, "", fmt.Errorf("open pty: %w", err)
	}
	defer func() {
		if err != nil {
			master.Close()
		}
	}()
	var (
		n        uint32
		onDevpts bool
		location string // where the multiplexer really is
	)
	err = control(master, func(fd int) error {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			return err
		}
		if st.Mode&unix.S_IFMT != unix.S_IFCHR || unix.Major(st.Rdev) != ptmxMajor || unix.Minor(st.Rdev) != ptmxMinor {
			return ErrNotPTMX
		}
		var fs unix.Statfs_t
		if err := unix.Fstatfs(fd, &fs); err != nil {
			return err
		}
		onDevpts = fs.Type == unix.DEVPTS_SUPER_MAGIC
		// ptmxPath may be a symlink (a container's /dev/ptmx -> pts/ptmx).
		// A thread that entered a container's mount namespace sees the
		// container's /proc, where this process has no /proc/self: the
		// path as given is then the best name there is.
		var err error
		if location, err = os.Readlink("/proc/self/fd/" + strconv.Itoa(fd)); err != nil {
			location = ptmxPath
		}
		if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
			return fmt.Errorf("unlockpt: %w", err)
		}
		n, err = unix.IoctlGetUint32(fd, unix.TIOCGPTN)
		if err != nil {
			return fmt.Errorf("get pty number: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("open pty %s: %w", ptmxPath, err)
	}
	dir := filepath.Dir(location)
	if !onDevpts {
		dir = filepath.Join(dir, "pts")
	}
	return master, filepath.Join(dir, strconv.FormatUint(uint64(n), 10)), nil
}

// OpenPeer opens the slave of the PTY whose master is given, without looking
// up any path (the TIOCGPTPEER ioctl, Linux 4.13+). This is the safe way to
// get the slave from a container's devpts: nothing in the container's
// filesystem can redirect it. The slave is opened read-write, without
// becoming a controlling terminal, close-on-exec, and named /dev/pts/N as
// seen inside the PTY's devpts instance.
func OpenPeer(master *os.File) (*os.File, error) {
	var (
		pfd int
		n   uint32
	)
	err := control(master, func(fd int) error {
		r, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.TIOCGPTPEER,
			uintptr(unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC))
		if errno != 0 {
			return errno
		}
		pfd = int(r)
		var err error
		if n, err = unix.IoctlGetUint32(fd, unix.TIOCGPTN); err != nil {
			unix.Close(pfd)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("open pty peer of %s: %w", master.Name(), err)
	}
	return os.NewFile(uintptr(pfd), "/dev/pts/"+strconv.FormatUint(uint64(n), 10)), nil
}
