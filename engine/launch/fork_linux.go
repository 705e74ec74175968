//go:build !amd64 && !arm64

package launch

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// forkFlags are the clone flags of every fork: none here, where there is
// no vfork (vfork_linux.go); the child gets a copy of the monitor.
const forkFlags = 0

// fork clones the calling thread into a new process (a copy of the
// monitor, not sharing its memory) that runs ops.
//
//go:noinline
//go:norace
func fork(args *cloneArgs, ops []sysOp, errFd uintptr) (int, syscall.Errno) {
	r, _, e := syscall.RawSyscall6(unix.SYS_CLONE3, uintptr(unsafe.Pointer(args)), unsafe.Sizeof(*args), 0, 0, 0, 0)
	if e != 0 || r != 0 {
		return int(r), e
	}
	run(ops, errFd)
	return 0, 0
}
