//go:build amd64 || arm64

package launch

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// forkFlags are the clone flags of every fork: the child shares the
// monitor's memory, running on the forking thread's stack while that
// thread waits for its execve, as syscall.ForkExec's child does. That
// spares copying the monitor's page tables at the fork and tearing the
// copy down at the exec.
const forkFlags = unix.CLONE_VM | unix.CLONE_VFORK

// vfork is clone3 with the return address kept out of the shared stack
// (vfork_linux_$GOARCH.s).
func vfork(args *cloneArgs, size uintptr) (pid uintptr, errno uintptr)

// fork clones the calling thread into a new process that runs ops.
//
//go:noinline
//go:norace
func fork(args *cloneArgs, ops []sysOp, errFd uintptr) (int, syscall.Errno) {
	pid, errno := vfork(args, unsafe.Sizeof(*args))
	if errno != 0 || pid != 0 {
		return int(pid), syscall.Errno(errno)
	}
	run(ops, errFd)
	return 0, 0
}
