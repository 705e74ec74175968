//go:build linux && !amd64

package prefork

import (
	"runtime"
	"syscall"
)

// Elsewhere than on amd64 the system calls are package syscall's: this
// package is then initialised after it, and the monitor forked a little
// later in berth's start-up.

const (
	oRdonly = syscall.O_RDONLY
	oRdwr   = syscall.O_RDWR
	lockSh  = syscall.LOCK_SH
	eintr   = uintptr(syscall.EINTR)
	eio     = uintptr(syscall.EIO)
	erofs   = uintptr(syscall.EROFS)
)

func geteuid() int { return syscall.Geteuid() }

func open(path string, flags int) (int, error) {
	fd, err := syscall.Open(path, flags|syscall.O_CLOEXEC, 0)
	return fd, errnoErr(err)
}

func read(fd int, b []byte) (int, error) {
	n, err := syscall.Read(fd, b)
	return n, errnoErr(err)
}

func closeFd(fd int) { syscall.Close(fd) }

func readlinkAt(path string, b []byte) (int, error) {
	n, err := syscall.Readlink(path, b)
	return n, errnoErr(err)
}

func stat(path string) (FileID, error) {
	var st syscall.Stat_t
	err := syscall.Stat(path, &st)
	return FileID{Dev: uint64(st.Dev), Ino: st.Ino, Size: st.Size, ModNs: int64(st.Mtim.Sec)*1e9 + int64(st.Mtim.Nsec)}, errnoErr(err)
}

func fstatfsFlags(fd int) (uint64, error) {
	var sfs syscall.Statfs_t
	err := syscall.Fstatfs(fd, &sfs)
	return uint64(sfs.Flags), errnoErr(err)
}

func flock(fd, how int) error { return errnoErr(syscall.Flock(fd, how)) }

func pipe2() (p [2]int, err error) {
	err = syscall.Pipe2(p[:], syscall.O_CLOEXEC)
	return p, errnoErr(err)
}

func socketpair() ([2]int, error) {
	p, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	return p, errnoErr(err)
}

func dupHigh(fd int) (int, error) {
	r, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, 10)
	if e != 0 {
		return -1, Errno(e)
	}
	return int(r), nil
}

func forkExec(path string, argv, env []string, files []int, setsid bool) (int, error) {
	fds := make([]uintptr, len(files))
	for i, f := range files {
		fds[i] = uintptr(f)
		if f < 0 {
			fds[i] = ^uintptr(0)
		}
	}
	pid, err := syscall.ForkExec(path, argv, &syscall.ProcAttr{Env: env, Files: fds, Sys: &syscall.SysProcAttr{Setsid: setsid}})
	return pid, errnoErr(err)
}

func cpuCount() int { return runtime.GOMAXPROCS(0) }

func madviseHuge(addr, n uintptr) {
	syscall.Syscall(syscall.SYS_MADVISE, addr, n, syscall.MADV_HUGEPAGE)
}

func errnoErr(err error) error {
	if e, ok := err.(syscall.Errno); ok {
		return Errno(e)
	}
	return err
}
