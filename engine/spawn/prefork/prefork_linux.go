// Package prefork forks the monitor of the container a berth run command
// line is about to create, from the first moments of berth's start-up.
//
// It imports nothing but syscall and runtime, so Go initialises it among
// the first packages (16th of about 130), before os and everything above
// it: the monitor's own start-up, a Go program's, then overlaps almost all
// of the command's, instead of beginning once half of berth's packages
// are initialised. That is also why it reads its command line from /proc
// and formats numbers by hand. Package spawn takes the monitor it forked
// (Take) and is the rest of the story: what the descriptors carry, the
// sealed copy of the binary, the forks made later.
package prefork

import (
	"runtime"
	"syscall"
)

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

// SealedDir holds the read-only copies of berth binaries that monitors
// run from (see spawn.Seal).
const SealedDir = "/run/berth/exe"

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

// init forks the monitor for a berth run command line run as root, if
// the binary's sealed copy exists (the first run of a new binary makes
// it, and forks its monitor later). The store and whether a client
// attaches come with the Created message; any other outcome of the
// command closes the pipe, and the monitor exits.
func init() {
	if syscall.Geteuid() != 0 {
		return
	}
	args, ok := cmdline()
	if !ok || !IsRunCommand(args) {
		return
	}
	// The monitor is not reaped (Reap): it outlives a run's CLI but for
	// a failed creation, which ends the CLI too, and with one P a
	// goroutine blocked in wait4 holds that P until the runtime's
	// monitor thread takes it back, up to 10 ms later.
	if forked, _ = fork(); forked != nil {
		// What is left of the run is one line of work, which a second P
		// only slows: the scheduler starts threads to spin for work, and
		// two P's contend for the CPUs with the monitor's start. The
		// monitor got this process's default (MonitorEnv).
		runtime.GOMAXPROCS(1)
	}
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

// SealedKey names the sealed copy of the binary with stat data st: its
// device, inode, size and modification time, in hex.
func SealedKey(st *syscall.Stat_t) string {
	b := []byte("berth")
	for _, v := range []uint64{st.Dev, st.Ino, uint64(st.Size), uint64(st.Mtim.Sec)*1e9 + uint64(st.Mtim.Nsec)} {
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
	var st syscall.Stat_t
	if err := syscall.Stat(self, &st); err != nil {
		return nil, err
	}
	path := SealedDir + "/" + SealedKey(&st)
	exe, err := OpenSealed(path)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(exe)
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
	var theirs []int
	defer func() {
		for _, fd := range theirs {
			syscall.Close(fd)
		}
	}()
	fail := func(err error) (*Monitor, error) {
		for _, fd := range []int{m.Report, m.Conn, m.Created} {
			if fd >= 0 {
				syscall.Close(fd)
			}
		}
		return nil, err
	}
	null, err := syscall.Open("/dev/null", syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return fail(err)
	}
	theirs = append(theirs, null)
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		return fail(err)
	}
	m.Report = p[0]
	theirs = append(theirs, p[1])
	// Descriptors 0-6 of the monitor; ^uintptr(0) leaves one closed.
	args := []string{MonitorArg0, id}
	files := []uintptr{uintptr(null), uintptr(null), uintptr(null), uintptr(p[1]), ^uintptr(0), ^uintptr(0), uintptr(exe)}
	if attach || wait {
		pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			return fail(err)
		}
		m.Conn = pair[0]
		theirs = append(theirs, pair[1])
		files[AttachFd] = uintptr(pair[1])
	}
	if wait {
		if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
			return fail(err)
		}
		m.Created = p[1]
		theirs = append(theirs, p[0])
		files[CreatedFd] = uintptr(p[0])
		args = append(args, WaitArg)
	} else {
		args = append(args, root)
		if attach {
			args = append(args, AttachArg)
		}
	}
	// syscall.ForkExec, not os/exec, whose first start in a process
	// probes for pidfd support with a throwaway clone: a quarter of a
	// millisecond on the path of every run.
	pid, err := syscall.ForkExec(path, args, &syscall.ProcAttr{
		Env:   []string{MonitorEnv()},
		Files: files,
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		return fail(err)
	}
	m.Pid = pid
	return m, nil
}

// Reap waits for the monitor pid, which outlives this process unless this
// one lives longer (the TUI), so that it leaves no zombie then.
func Reap(pid int) {
	var ws syscall.WaitStatus
	for {
		if _, err := syscall.Wait4(pid, &ws, 0, nil); err != syscall.EINTR {
			return
		}
	}
}

// MonitorEnv is a monitor's environment: only GOMAXPROCS, set to this
// process's value. A monitor would otherwise work it out at start from
// its cgroup's CPU limit, which means reading /proc/self/cgroup and the
// mount table, a good part of the Go runtime's start-up.
func MonitorEnv() string {
	return "GOMAXPROCS=" + string(appendDec(nil, uint64(runtime.GOMAXPROCS(0))))
}

// ErrNotSealed is OpenSealed's error for a copy that is not on a
// read-only mount (after a reboot).
var ErrNotSealed = syscall.EROFS

// OpenSealed opens the sealed copy at path, checks that it is on a
// read-only mount (IsSealed) and takes a shared lock on it.
func OpenSealed(path string) (int, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if !IsSealed(fd) {
		syscall.Close(fd)
		return -1, ErrNotSealed
	}
	if err := syscall.Flock(fd, syscall.LOCK_SH); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	return fd, nil
}

// IsSealed reports whether the open file fd is on a read-only mount.
func IsSealed(fd int) bool {
	const stRdonly = 1 // ST_RDONLY, the read-only flag of statfs(2)
	var sfs syscall.Statfs_t
	return syscall.Fstatfs(fd, &sfs) == nil && sfs.Flags&stRdonly != 0
}

// NewID returns a random 64-hex ID whose short form is not all digits
// (docker avoids those, since they read as numbers).
func NewID() (string, error) {
	fd, err := syscall.Open("/dev/urandom", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return "", err
	}
	defer syscall.Close(fd)
	const digits = "0123456789abcdef"
	for {
		var b [32]byte
		for n := 0; n < len(b); {
			m, err := syscall.Read(fd, b[n:])
			if err != nil {
				return "", err
			}
			if m == 0 {
				return "", syscall.EIO
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
	fd, err := syscall.Open("/proc/self/cmdline", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, false
	}
	defer syscall.Close(fd)
	var b []byte
	buf := make([]byte, 4096)
	for {
		n, err := syscall.Read(fd, buf)
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
		m, err := syscall.Readlink(path, b)
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
