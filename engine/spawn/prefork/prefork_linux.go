// Package prefork forks the monitor of the container a berth run command
// line is about to create, from the first moments of berth's start-up.
//
// Go initialises a package once all it imports are, taking among the
// packages ready the one whose import path sorts first. On amd64 this one
// imports nothing but unsafe and makes its system calls itself, so it is
// ready from the start and comes first of berth's packages but one, long
// before os and before packages like ansi/parser that merely sort early
// and are ready (elsewhere it imports syscall and comes after it): the
// monitor's own start-up, a Go program's, then overlaps almost all of the
// command's, instead of beginning once berth's packages are initialised.
// That is also why it reads its command line from /proc and formats
// numbers by hand. Package spawn takes the monitor it forked
// (Take) and is the rest of the story: what the descriptors carry, the
// sealed copy of the binary, the forks made later.
package prefork

import "unsafe"

// Descriptors of a monitor, after stdin, stdout and stderr (/dev/null).
const (
	ReadyFd   = 3 // pipe: the monitor writes its start report and closes it
	AttachFd  = 4 // a connected attach client (for a monitor forked with wait, maybe unused)
	CreatedFd = 5 // with wait: the Created message once the container exists
	SealedFd  = 6 // the sealed copy the monitor runs from, flocked
)

// A monitor's argv[0] is MonitorArg0; its arguments are the container ID
// and then either WaitArg, or the store root and AttachArg when a client
// is connected on AttachFd.
const (
	MonitorArg0 = "berth-monitor"
	WaitArg     = "wait"
	AttachArg   = "attach"
)

// InitArg0 is the argv[0] of the init of a container run with --init
// (package pid1).
const InitArg0 = "/dev/init"

// SealedDir holds the read-only copies of berth binaries that monitors
// run from (see spawn.Seal).
const SealedDir = "/run/berth/exe"

// LeanSuffix names the twin of a sealed copy, the same bytes laid out in
// small folios, which helpers map once they have started (see package
// trim) and the init of a container run with --init runs from.
const LeanSuffix = ".lean"

// GlobalValueFlags are berth's global flags that take a value, which
// IsRunCommand skips with their values (cmd/root.go defines them).
var GlobalValueFlags = []string{"root", "log-level", "insecure-registry", "theme"}

// Monitor is a forked monitor: its process, and as descriptors of this
// process the read end of its report pipe, this end of its attach
// socket, and the write end of its created pipe (-1: none).
type Monitor struct {
	ID                    string
	Pid                   int
	Report, Conn, Created int
}

var forked *Monitor

// Take returns the monitor forked at start-up, once; nil if there is none.
func Take() *Monitor {
	m := forked
	forked = nil
	return m
}

// Pending reports whether a monitor forked at start-up waits to be taken.
func Pending() bool { return forked != nil }

// init advises huge pages for the heap of a command or the TUI
// (hugeHeap), and forks the monitor for a berth run command line run as
// root, if the binary's sealed copy exists (the first run of a new binary
// makes it, and forks its monitor later). The store and whether a client
// attaches come with the Created message; any other outcome of the
// command closes the pipe, and the monitor exits.
func init() {
	args, ok := cmdline()
	if ok && len(args) > 0 && args[0] != MonitorArg0 && args[0] != InitArg0 {
		hugeHeap()
	}
	if geteuid() != 0 || !ok || !IsRunCommand(args) {
		return
	}
	// The monitor is not reaped (Reap): it outlives a run's CLI but for
	// a failed creation, which ends the CLI too, and with one P a
	// goroutine blocked in wait4 holds that P until the runtime's
	// monitor thread takes it back, up to 10 ms later.
	forked, _ = fork()
}

// heapMark is an object allocated by hugeHeap, in the heap's first chunk.
var heapMark *[64]byte

// heapChunk is the size and alignment of the pieces in which the Go
// runtime maps its heap (pallocChunkBytes).
const heapChunk = 4 << 20

// hugeHeap advises huge pages (MADV_HUGEPAGE) for the chunk of the heap
// this process allocates from first. The runtime has written to the
// chunk's first 2 MiB before any package is initialised, so those stay
// in small pages; a command whose heap grows into the second 2 MiB gets
// it at one fault instead of one per 4 KiB page touched. That is seldom
// (3 to 7 of 20 runs of berth run): 20 to 60 faults fewer per run. Monitors
// and inits, which live on at a few megabytes, keep small pages: the
// runtime never gives back the part of a huge page it has not used. The
// advice is only advice: a kernel without transparent huge pages refuses
// it, and its error is of no consequence.
func hugeHeap() {
	heapMark = new([64]byte)
	madviseHuge(uintptr(unsafe.Pointer(heapMark))&^(heapChunk-1), heapChunk)
}

// IsRunCommand reports whether args (os.Args) are a berth run command
// line: the program is named berth, and its first argument that is
// neither a flag nor a global flag's value is "run", or "container" and
// then "run".
func IsRunCommand(args []string) bool {
	if len(args) < 2 || base(args[0]) != "berth" {
		return false
	}
	var words []string
	for i := 1; i < len(args) && len(words) < 2; i++ {
		a := args[i]
		switch {
		case a == "--":
			return false
		case len(a) > 2 && a[:2] == "--" && !contains(a, '='):
			for _, f := range GlobalValueFlags {
				if a[2:] == f {
					i++
				}
			}
		case len(a) > 0 && a[0] == '-':
		default:
			words = append(words, a)
		}
	}
	return len(words) > 0 && words[0] == "run" || len(words) > 1 && words[0] == "container" && words[1] == "run"
}

// FileID is what tells a binary from another: its device, inode, size and
// modification time (in nanoseconds).
type FileID struct {
	Dev, Ino    uint64
	Size, ModNs int64
}

// Errno is the error number of a failed system call. Package spawn hands
// it on as a syscall.Errno.
type Errno uintptr

func (e Errno) Error() string { return "errno " + string(appendDec(nil, uint64(e))) }

// SealedKey names the sealed copy of the binary id, in hex.
func SealedKey(id FileID) string {
	b := []byte("berth")
	for _, v := range []uint64{id.Dev, id.Ino, uint64(id.Size), uint64(id.ModNs)} {
		b = append(b, '-')
		b = appendHex(b, v)
	}
	return string(b)
}

// fork forks the monitor from the binary's sealed copy, forked with wait.
func fork() (*Monitor, error) {
	self, err := readlink("/proc/self/exe")
	if err != nil {
		return nil, err
	}
	st, err := stat(self)
	if err != nil {
		return nil, err
	}
	path := SealedDir + "/" + SealedKey(st)
	exe, err := OpenSealed(path)
	if err != nil {
		return nil, err
	}
	defer closeFd(exe)
	id, err := NewID()
	if err != nil {
		return nil, err
	}
	return Fork(path, exe, id, "", false, true)
}

// Fork starts the monitor of container id from the sealed copy at path,
// open (and locked) as exe. With wait the container is still to be
// created, and the attach socket always exists; otherwise the container
// is in the store at root and the socket exists with attach. The
// Monitor's Conn and Created are -1 when there is none.
func Fork(path string, exe int, id, root string, attach, wait bool) (*Monitor, error) {
	m := &Monitor{ID: id, Report: -1, Conn: -1, Created: -1}
	// The monitor's ends, each numbered 10 or above (forkExec).
	var theirs []int
	defer func() {
		for _, fd := range theirs {
			closeFd(fd)
		}
	}()
	fail := func(err error) (*Monitor, error) {
		for _, fd := range []int{m.Report, m.Conn, m.Created} {
			if fd >= 0 {
				closeFd(fd)
			}
		}
		return nil, err
	}
	// give makes fd one of the monitor's ends, moved to 10 or above.
	give := func(fd int) (int, error) {
		if fd < 10 {
			high, err := dupHigh(fd)
			closeFd(fd)
			if err != nil {
				return -1, err
			}
			fd = high
		}
		theirs = append(theirs, fd)
		return fd, nil
	}
	null, err := open("/dev/null", oRdwr)
	if err == nil {
		null, err = give(null)
	}
	if err != nil {
		return fail(err)
	}
	p, err := pipe2()
	if err != nil {
		return fail(err)
	}
	m.Report = p[0]
	report, err := give(p[1])
	if err != nil {
		return fail(err)
	}
	sealed, err := dupHigh(exe)
	if err != nil {
		return fail(err)
	}
	theirs = append(theirs, sealed)
	// Descriptors 0-6 of the monitor; -1 leaves one closed.
	args := []string{MonitorArg0, id}
	files := []int{null, null, null, report, -1, -1, sealed}
	if attach || wait {
		pair, err := socketpair()
		if err != nil {
			return fail(err)
		}
		m.Conn = pair[0]
		if files[AttachFd], err = give(pair[1]); err != nil {
			return fail(err)
		}
	}
	if wait {
		p, err := pipe2()
		if err != nil {
			return fail(err)
		}
		m.Created = p[1]
		if files[CreatedFd], err = give(p[0]); err != nil {
			return fail(err)
		}
		args = append(args, WaitArg)
	} else {
		args = append(args, root)
		if attach {
			args = append(args, AttachArg)
		}
	}
	// Not os/exec, whose first start in a process probes for pidfd
	// support with a throwaway clone: a quarter of a millisecond on the
	// path of every run.
	pid, err := forkExec(path, args, []string{MonitorEnv()}, files, true)
	if err != nil {
		return fail(err)
	}
	m.Pid = pid
	return m, nil
}

// MonitorEnv is a monitor's environment: only GOMAXPROCS, the number of
// CPUs this process may run on (elsewhere than on amd64, its GOMAXPROCS). Set, it spares the monitor's runtime a
// goroutine that follows its cgroup's CPU limit for the rest of its life.
func MonitorEnv() string {
	return "GOMAXPROCS=" + string(appendDec(nil, uint64(cpuCount())))
}

// ErrNotSealed is OpenSealed's error for a copy that is not on a
// read-only mount (after a reboot).
var ErrNotSealed = Errno(erofs)

// OpenSealed opens the sealed copy at path, checks that it is on a
// read-only mount (IsSealed) and takes a shared lock on it.
func OpenSealed(path string) (int, error) {
	fd, err := open(path, oRdonly)
	if err != nil {
		return -1, err
	}
	if !IsSealed(fd) {
		closeFd(fd)
		return -1, ErrNotSealed
	}
	if err := flock(fd, lockSh); err != nil {
		closeFd(fd)
		return -1, err
	}
	return fd, nil
}

// OpenLean opens, read-only and close-on-exec, the lean twin of the
// sealed copy this process runs from, and returns the copy's path with
// it. The twin must be on a read-only mount (IsSealed) and as large as
// the copy; ErrNotSealed says it is not, or that this process does not
// run from a sealed copy.
func OpenLean() (exe string, fd int, err error) {
	exe, err = readlink("/proc/self/exe")
	if err != nil {
		return "", -1, err
	}
	if len(exe) <= len(SealedDir) || exe[:len(SealedDir)+1] != SealedDir+"/" {
		return "", -1, ErrNotSealed
	}
	self, err := stat(exe)
	if err != nil {
		return "", -1, err
	}
	lean := exe + LeanSuffix
	twin, err := stat(lean)
	if err != nil {
		return "", -1, err
	}
	if twin.Size != self.Size {
		return "", -1, ErrNotSealed
	}
	fd, err = open(lean, oRdonly)
	if err != nil {
		return "", -1, err
	}
	if !IsSealed(fd) {
		closeFd(fd)
		return "", -1, ErrNotSealed
	}
	return exe, fd, nil
}

// IsSealed reports whether the open file fd is on a read-only mount.
func IsSealed(fd int) bool {
	const stRdonly = 1 // ST_RDONLY, the read-only flag of statfs(2)
	flags, err := fstatfsFlags(fd)
	return err == nil && flags&stRdonly != 0
}

// NewID returns a random 64-hex ID whose short form is not all digits
// (docker avoids those, since they read as numbers).
func NewID() (string, error) {
	fd, err := open("/dev/urandom", oRdonly)
	if err != nil {
		return "", err
	}
	defer closeFd(fd)
	const digits = "0123456789abcdef"
	for {
		var b [32]byte
		for n := 0; n < len(b); {
			m, err := read(fd, b[n:])
			if err != nil {
				return "", err
			}
			if m == 0 {
				return "", Errno(eio)
			}
			n += m
		}
		id := make([]byte, 64)
		for i, c := range b {
			id[2*i], id[2*i+1] = digits[c>>4], digits[c&15]
		}
		for _, c := range id[:12] {
			if c >= 'a' {
				return string(id), nil
			}
		}
	}
}

// cmdline returns this process's arguments, from /proc/self/cmdline.
func cmdline() ([]string, bool) {
	fd, err := open("/proc/self/cmdline", oRdonly)
	if err != nil {
		return nil, false
	}
	defer closeFd(fd)
	var b []byte
	buf := make([]byte, 4096)
	for {
		n, err := read(fd, buf)
		if err != nil {
			return nil, false
		}
		if n == 0 {
			break
		}
		b = append(b, buf[:n]...)
	}
	var args []string
	for start, i := 0, 0; i < len(b); i++ {
		if b[i] == 0 {
			args = append(args, string(b[start:i]))
			start = i + 1
		}
	}
	return args, true
}

// readlink returns the target of the symbolic link path.
func readlink(path string) (string, error) {
	for n := 256; ; n *= 2 {
		b := make([]byte, n)
		m, err := readlinkAt(path, b)
		if err != nil {
			return "", err
		}
		if m < n {
			return string(b[:m]), nil
		}
	}
}

func base(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}

func contains(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

func appendHex(b []byte, v uint64) []byte {
	const digits = "0123456789abcdef"
	var buf [16]byte
	i := len(buf)
	for {
		i--
		buf[i] = digits[v&15]
		v >>= 4
		if v == 0 {
			break
		}
	}
	return append(b, buf[i:]...)
}

func appendDec(b []byte, v uint64) []byte {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(b, buf[i:]...)
}
