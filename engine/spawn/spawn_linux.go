// Package spawn forks container monitors: berth re-executed from a sealed
// copy of its binary with argv[0] "berth-monitor". A monitor forked
// before its container exists (Fork with wait) makes what every
// container needs (its cgroup, its namespaces) while the container is
// created, and learns the store and whether a client attaches once it is
// (Monitor.Created).
//
// berth run forks its monitor before anything else, from the
// initialisation of package prefork, which Go initialises among the first
// packages; Early hands that monitor over.
package spawn

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/berth-dev/berth/engine/spawn/prefork"
)

// Descriptors of a monitor, after stdin, stdout and stderr (/dev/null).
const (
	ReadyFd   = prefork.ReadyFd   // pipe: the monitor writes its start report and closes it
	AttachFd  = prefork.AttachFd  // a connected attach client (for a monitor forked with wait, maybe unused)
	CreatedFd = prefork.CreatedFd // with wait: the Created message once the container exists
	SealedFd  = prefork.SealedFd  // the sealed copy the monitor runs from, flocked (see Hold)
)

// MonitorArg0 is a monitor's argv[0]. Its arguments are the container ID
// and then either WaitArg, or the store root and AttachArg when a client
// is connected on AttachFd.
const (
	MonitorArg0 = prefork.MonitorArg0
	WaitArg     = prefork.WaitArg
	AttachArg   = prefork.AttachArg
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
	exe, err := Seal(self)
	if err != nil {
		return nil, fmt.Errorf("start monitor of container %s: %w", id, err)
	}
	defer exe.Close()
	m, err := prefork.Fork(exe.Path, int(exe.f.Fd()), id, root, attach, wait)
	if err != nil {
		return nil, fmt.Errorf("start monitor of container %s: %w", id, sysErr(err))
	}
	go reap(m.Pid)
	return fromPrefork(m), nil
}

// fromPrefork is the Monitor of the descriptors prefork returns.
func fromPrefork(m *prefork.Monitor) *Monitor {
	file := func(fd int, name string) *os.File {
		if fd < 0 {
			return nil
		}
		return os.NewFile(uintptr(fd), name)
	}
	return &Monitor{ID: m.ID, Report: file(m.Report, "report"), Conn: file(m.Conn, "attach"), created: file(m.Created, "created")}
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

// NewID returns a random 64-hex ID whose short form is not all digits
// (docker avoids those, since they read as numbers).
func NewID() (string, error) {
	id, err := prefork.NewID()
	return id, sysErr(err)
}

// reap waits for the monitor pid, which outlives this process unless this
// one lives longer (the TUI), so that it leaves no zombie then.
func reap(pid int) {
	var ws syscall.WaitStatus
	for {
		if _, err := syscall.Wait4(pid, &ws, 0, nil); err != syscall.EINTR {
			return
		}
	}
}

// sysErr turns prefork's errors into the syscall.Errno they are, whose
// messages and errors.Is answers (fs.ErrNotExist...) berth expects.
func sysErr(err error) error {
	if e, ok := err.(prefork.Errno); ok {
		return syscall.Errno(e)
	}
	return err
}
