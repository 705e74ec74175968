// Package spawn forks container monitors: berth re-executed from a sealed
// copy of its binary with argv[0] "berth-monitor". A monitor forked
// before its container exists (Fork with wait) makes what every
// container needs (its cgroup, its namespaces) while the container is
// created, and learns the store and whether a client attaches once it is
// (Monitor.Created).
//
// berth run forks its monitor before anything else, from this package's
// initialisation (early_linux.go): the package imports only what the os
// package needs anyway (no encoding/json, crypto/rand or path/filepath,
// which initialise later), so it initialises before berth's heavier
// dependencies, and the monitor's start-up, a Go process's, overlaps all
// of the command's own.
package spawn

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// Descriptors of a monitor, after stdin, stdout and stderr (/dev/null).
const (
	ReadyFd   = 3 // pipe: the monitor writes its start report and closes it
	AttachFd  = 4 // a connected attach client (for a monitor forked with wait, maybe unused)
	CreatedFd = 5 // with wait: the Created message once the container exists
	SealedFd  = 6 // the sealed copy the monitor runs from, flocked (see Hold)
)

// MonitorArg0 is a monitor's argv[0]. Its arguments are the container ID
// and then either WaitArg, or the store root and AttachArg when a client
// is connected on AttachFd.
const (
	MonitorArg0 = "berth-monitor"
	WaitArg     = "wait"
	AttachArg   = "attach"
)

// Created is what the starter of a monitor forked with wait sends on
// CreatedFd once the container exists, as "1 ROOT" or "0 ROOT" (see
// ReadCreated). A monitor whose pipe closes without it exits: the
// creation failed.
type Created struct {
	// Root is the store the container is in.
	Root string
	// Attach says whether the client on AttachFd stays connected.
	Attach bool
}

// ReadCreated reads the Created message from f until end of file; ok is
// false if there is none.
func ReadCreated(f *os.File) (c Created, ok bool) {
	var b []byte
	buf := make([]byte, 4096)
	for {
		n, err := f.Read(buf)
		b = append(b, buf[:n]...)
		if err != nil {
			break
		}
	}
	flag, root, found := strings.Cut(string(b), " ")
	if !found || root == "" || (flag != "0" && flag != "1") {
		return c, false
	}
	return Created{Root: root, Attach: flag == "1"}, true
}

// Monitor is a forked monitor as its starter sees it until the monitor
// reports the start.
type Monitor struct {
	// ID is the container's.
	ID string
	// Report is the monitor's start report, read until end of file.
	Report *os.File
	// Conn is the starter's end of the attach connection, or nil.
	Conn *os.File
	// created says the container exists (with wait).
	created *os.File
}

// Fork starts the monitor of container id from a sealed copy of the berth
// binary self. With wait the container is still to be created, and the
// attach socket always exists; otherwise the container is in the store
// at root and the socket exists with attach.
func Fork(self, id, root string, attach, wait bool) (*Monitor, error) {
	what := "container " + id
	exe, err := Seal(self)
	if err != nil {
		return nil, fmt.Errorf("start monitor of %s: %w", what, err)
	}
	defer exe.Close()
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		return nil, fmt.Errorf("start %s: %w", what, err)
	}
	m := &Monitor{ID: id, Report: os.NewFile(uintptr(p[0]), "report")}
	ready := os.NewFile(uintptr(p[1]), "ready")
	defer ready.Close()
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("start %s: %w", what, err)
	}
	defer null.Close()
	// Descriptors 0-6 of the monitor; ^uintptr(0) leaves one closed.
	args := []string{MonitorArg0, id}
	files := []uintptr{null.Fd(), null.Fd(), null.Fd(), ready.Fd(), ^uintptr(0), ^uintptr(0), exe.f.Fd()}
	if attach || wait {
		pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			m.Close()
			return nil, fmt.Errorf("start %s: %w", what, err)
		}
		m.Conn = os.NewFile(uintptr(pair[0]), "attach")
		theirs := os.NewFile(uintptr(pair[1]), "attach-monitor")
		defer theirs.Close()
		files[AttachFd] = theirs.Fd()
	}
	if wait {
		if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
			m.Close()
			return nil, fmt.Errorf("start %s: %w", what, err)
		}
		r := os.NewFile(uintptr(p[0]), "created")
		defer r.Close()
		m.created = os.NewFile(uintptr(p[1]), "created")
		files[CreatedFd] = r.Fd()
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
	pid, err := syscall.ForkExec(exe.Path, args, &syscall.ProcAttr{
		Env:   monitorEnv(),
		Files: files,
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("start monitor of %s: %w", what, err)
	}
	// The monitor outlives this process; reap it if this one lives longer
	// (the TUI), so it leaves no zombie.
	go func() {
		var ws syscall.WaitStatus
		for {
			if _, err := syscall.Wait4(pid, &ws, 0, nil); err != syscall.EINTR {
				return
			}
		}
	}()
	return m, nil
}

// Created tells a monitor forked with wait that its container exists, in
// the store at root, and whether the client stays attached; without it,
// the starter closes its end of the attach socket.
func (m *Monitor) Created(root string, attach bool) error {
	if m.created == nil {
		return errors.New("the monitor was not forked to wait")
	}
	flag := "0"
	if attach {
		flag = "1"
	}
	_, err := m.created.WriteString(flag + " " + root)
	if cerr := m.created.Close(); err == nil {
		err = cerr
	}
	m.created = nil
	if !attach && m.Conn != nil {
		m.Conn.Close()
		m.Conn = nil
	}
	return err
}

// Close releases what the starter holds of the monitor; a monitor that
// still waits for its container exits. Safe on nil.
func (m *Monitor) Close() {
	if m == nil {
		return
	}
	for _, f := range []*os.File{m.Report, m.created, m.Conn} {
		if f != nil {
			f.Close()
		}
	}
	m.Report, m.created, m.Conn = nil, nil, nil
}

// monitorEnv is a monitor's environment: only GOMAXPROCS, set to this
// process's value. A monitor would otherwise work it out at start from
// its cgroup's CPU limit, which means reading /proc/self/cgroup and the
// mount table, a good part of the Go runtime's start-up.
func monitorEnv() []string {
	return []string{"GOMAXPROCS=" + strconv.Itoa(runtime.GOMAXPROCS(0))}
}

// NewID returns a random 64-hex ID whose short form is not all digits
// (docker avoids those, since they read as numbers).
func NewID() (string, error) {
	f, err := os.Open("/dev/urandom")
	if err != nil {
		return "", err
	}
	defer f.Close()
	const digits = "0123456789abcdef"
	for {
		var b [32]byte
		for n := 0; n < len(b); {
			m, err := f.Read(b[n:])
			if err != nil {
				return "", err
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
