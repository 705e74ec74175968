package prefork

import "unsafe"

// The system calls of linux/amd64, made directly: importing syscall (or
// runtime) would have Go initialise this package only after it, and
// before it every package whose path sorts first and that is ready (see
// the package comment). A pointer converted to uintptr in the arguments
// of a call to an assembly function stays alive through the call.

const (
	oRdonly     = 0x0
	oRdwr       = 0x2
	oCloexec    = 0x80000
	lockSh      = 1
	madvHuge    = 14           // MADV_HUGEPAGE
	fDupfdClo   = 1030         // F_DUPFD_CLOEXEC
	atFdcwd     = ^uintptr(99) // AT_FDCWD, -100
	afUnix      = 1
	sockStream  = 1
	sockCloexec = 0x80000

	sysRead        = 0
	sysClose       = 3
	sysSocketpair  = 53
	sysWait4       = 61
	sysFcntl       = 72
	sysFlock       = 73
	sysGeteuid     = 107
	sysFstatfs     = 138
	sysOpenat      = 257
	sysNewfstatat  = 262
	sysReadlinkat  = 267
	sysPipe2       = 293
	sysMadvise     = 28
	sysGetaffinity = 204

	eintr = 4
	eio   = 5
	erofs = 30
)

func rawSyscall6(trap, a1, a2, a3, a4, a5, a6 uintptr) (r1, errno uintptr)

// forkArgs is what rawForkExec reads, at fixed offsets. Its pointers keep
// what they point to alive.
type forkArgs struct {
	path, argv, envp unsafe.Pointer // 0, 8, 16
	fds              [7]uintptr     // 24: the source of descriptor i, or -1
	setsid           uintptr        // 80
	err              uintptr        // 88: the exec's errno, set by the child
}

func rawForkExec(a *forkArgs) (r uintptr)

func geteuid() int {
	r, _ := rawSyscall6(sysGeteuid, 0, 0, 0, 0, 0, 0)
	return int(r)
}

func open(path string, flags int) (int, error) {
	p := cstring(path)
	r, e := rawSyscall6(sysOpenat, atFdcwd, uintptr(unsafe.Pointer(p)), uintptr(flags|oCloexec), 0, 0, 0)
	return int(r), errnoErr(e)
}

func read(fd int, b []byte) (int, error) {
	r, e := rawSyscall6(sysRead, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)), 0, 0, 0)
	return int(r), errnoErr(e)
}

func closeFd(fd int) {
	rawSyscall6(sysClose, uintptr(fd), 0, 0, 0, 0, 0)
}

func readlinkAt(path string, b []byte) (int, error) {
	p := cstring(path)
	r, e := rawSyscall6(sysReadlinkat, atFdcwd, uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)), 0, 0)
	return int(r), errnoErr(e)
}

// stat returns the FileID of the file at path (struct stat of amd64:
// st_dev, st_ino, st_size and st_mtim at words 0, 1, 6, 11 and 12).
func stat(path string) (FileID, error) {
	p := cstring(path)
	var st [18]uint64
	_, e := rawSyscall6(sysNewfstatat, atFdcwd, uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(&st)), 0, 0, 0)
	return FileID{Dev: st[0], Ino: st[1], Size: int64(st[6]), ModNs: int64(st[11])*1e9 + int64(st[12])}, errnoErr(e)
}

// fstatfsFlags returns the f_flags of the file system of fd (word 10 of
// struct statfs).
func fstatfsFlags(fd int) (uint64, error) {
	var sfs [15]uint64
	_, e := rawSyscall6(sysFstatfs, uintptr(fd), uintptr(unsafe.Pointer(&sfs)), 0, 0, 0, 0)
	return sfs[10], errnoErr(e)
}

func flock(fd, how int) error {
	_, e := rawSyscall6(sysFlock, uintptr(fd), uintptr(how), 0, 0, 0, 0)
	return errnoErr(e)
}

func pipe2() (p [2]int, err error) {
	var fds [2]int32
	_, e := rawSyscall6(sysPipe2, uintptr(unsafe.Pointer(&fds)), oCloexec, 0, 0, 0, 0)
	return [2]int{int(fds[0]), int(fds[1])}, errnoErr(e)
}

func socketpair() (p [2]int, err error) {
	var fds [2]int32
	_, e := rawSyscall6(sysSocketpair, afUnix, sockStream|sockCloexec, 0, uintptr(unsafe.Pointer(&fds)), 0, 0)
	return [2]int{int(fds[0]), int(fds[1])}, errnoErr(e)
}

// dupHigh returns a close-on-exec copy of fd numbered 10 or above.
func dupHigh(fd int) (int, error) {
	r, e := rawSyscall6(sysFcntl, uintptr(fd), fDupfdClo, 10, 0, 0, 0)
	return int(r), errnoErr(e)
}

// forkExec starts path with argv and env, its descriptor i being files[i]
// (-1: closed), in a session of its own with setsid, and returns its PID.
// Every descriptor of files is 10 or above.
func forkExec(path string, argv, env []string, files []int, setsid bool) (int, error) {
	p := cstring(path)
	av, ev := cstrings(argv), cstrings(env)
	a := forkArgs{path: unsafe.Pointer(p), argv: unsafe.Pointer(&av[0]), envp: unsafe.Pointer(&ev[0])}
	for i := range a.fds {
		a.fds[i] = ^uintptr(0)
		if i < len(files) && files[i] >= 0 {
			a.fds[i] = uintptr(files[i])
		}
	}
	if setsid {
		a.setsid = 1
	}
	pid := rawForkExec(&a)
	if pid >= ^uintptr(4095) { // -errno
		return 0, Errno(-pid)
	}
	if a.err != 0 {
		// The child exited; reap it.
		for {
			if _, e := rawSyscall6(sysWait4, pid, 0, 0, 0, 0, 0); e != eintr {
				break
			}
		}
		return 0, Errno(a.err)
	}
	return int(pid), nil
}

// cpuCount returns the number of CPUs this thread may run on.
func cpuCount() int {
	var set [128]uint64
	r, e := rawSyscall6(sysGetaffinity, 0, unsafe.Sizeof(set), uintptr(unsafe.Pointer(&set)), 0, 0, 0)
	if e != 0 {
		return 1
	}
	n := 0
	for _, w := range set[:r/8] {
		for ; w != 0; w &= w - 1 {
			n++
		}
	}
	return n
}

func errnoErr(e uintptr) error {
	if e == 0 {
		return nil
	}
	return Errno(e)
}

// cstring returns s as a NUL-terminated C string.
func cstring(s string) *byte {
	b := make([]byte, len(s)+1)
	copy(b, s)
	return &b[0]
}

// cstrings returns ss as a NULL-terminated array of C strings.
func cstrings(ss []string) []*byte {
	a := make([]*byte, len(ss)+1)
	for i, s := range ss {
		a[i] = cstring(s)
	}
	return a
}

func madviseHuge(addr, n uintptr) {
	rawSyscall6(sysMadvise, addr, n, madvHuge, 0, 0, 0)
}
