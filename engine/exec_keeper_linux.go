package engine

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/pty"
)

// ExecKeeperArg is the argument berth is re-executed with to run
// ExecKeeperMain: the command line must route "berth __exec-keeper" to it.
const ExecKeeperArg = "__exec-keeper"

// execKeeperFd is the descriptor of the keeper's socket.
const execKeeperFd = 3

// Detach lets the process run on after its session ends, as detaching from
// docker exec does: its terminal or output pipes are handed to a small
// keeper process (berth re-executed, in its own session) that holds them
// and discards the output until the process and everything it started
// have closed them, so the process neither gets SIGHUP nor blocks on a
// full terminal. p is closed. Detach of a process started with
// ExecOptions.Detach, or after Close, only closes p.
func (p *ExecProcess) Detach() error {
	var fds []*os.File
	for _, f := range []*os.File{p.PTY, p.Stdout, p.Stderr} {
		if f != nil {
			fds = append(fds, f)
		}
	}
	if len(fds) == 0 {
		return p.Close()
	}
	defer p.Close()
	select {
	case <-p.done:
		return nil // nothing left to keep
	default:
	}
	if p.self == "" {
		return fmt.Errorf("detach from exec process %d: no berth binary to run the keeper", p.Pid)
	}
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("detach from exec process %d: %w", p.Pid, err)
	}
	child := os.NewFile(uintptr(pair[1]), "keeper")
	parent := os.NewFile(uintptr(pair[0]), "keeper")
	defer parent.Close()
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		child.Close()
		return fmt.Errorf("detach from exec process %d: %w", p.Pid, err)
	}
	defer null.Close()
	cmd := &exec.Cmd{
		Path:        p.self,
		Args:        []string{"berth-exec-keeper", ExecKeeperArg},
		Env:         []string{},
		Stdin:       null,
		Stdout:      null,
		Stderr:      null,
		ExtraFiles:  []*os.File{child},
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	err = cmd.Start()
	child.Close()
	if err != nil {
		return fmt.Errorf("detach from exec process %d: start keeper: %w", p.Pid, err)
	}
	// The keeper may outlive this process; while this one lives (the
	// TUI), it reaps the keeper when it ends, so no zombie is left.
	go cmd.Wait()
	fc, err := net.FileConn(parent)
	if err != nil {
		return fmt.Errorf("detach from exec process %d: %w", p.Pid, err)
	}
	conn := fc.(*net.UnixConn)
	defer conn.Close()
	for _, f := range fds {
		if err := pty.SendFd(conn, f); err != nil {
			return fmt.Errorf("detach from exec process %d: hand over output: %w", p.Pid, err)
		}
	}
	conn.CloseWrite()
	// The keeper answers once it holds every descriptor.
	var ack [1]byte
	if n, _ := conn.Read(ack[:]); n != 1 {
		return fmt.Errorf("detach from exec process %d: the keeper did not take over", p.Pid)
	}
	return nil
}

// ExecKeeperMain is the keeper of a detached exec process (see
// ExecProcess.Detach): it receives descriptors on fd 3 until the sender
// closes its end, acknowledges with one byte, and reads each to its end,
// discarding the output. It returns when all of them have ended.
func ExecKeeperMain() error {
	f := os.NewFile(execKeeperFd, "keeper")
	fc, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("exec keeper: %w", err)
	}
	conn := fc.(*net.UnixConn)
	var fds []*os.File
	for {
		fd, err := pty.RecvFd(conn)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, pty.ErrNoFd) {
				break
			}
			conn.Close()
			return fmt.Errorf("exec keeper: %w", err)
		}
		fds = append(fds, fd)
	}
	conn.Write([]byte{1})
	conn.Close()
	var wg sync.WaitGroup
	for _, fd := range fds {
		wg.Go(func() {
			io.Copy(io.Discard, fd)
			fd.Close()
		})
	}
	wg.Wait()
	return nil
}
