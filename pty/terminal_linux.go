package pty

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// IsTerminal reports whether fd refers to a terminal.
func IsTerminal(fd int) bool {
	return term.IsTerminal(fd)
}

// MakeRaw puts the terminal fd into raw mode, as an attaching client does with
// its own terminal so that every key, including Ctrl-C and the detach keys,
// reaches the container. The returned restore function puts back the previous
// mode; call it exactly once when the session ends.
func MakeRaw(fd int) (restore func() error, err error) {
	st, err := term.MakeRaw(fd)
	if err != nil {
		return nil, fmt.Errorf("make terminal raw: %w", err)
	}
	return func() error {
		if err := term.Restore(fd, st); err != nil {
			return fmt.Errorf("restore terminal: %w", err)
		}
		return nil
	}, nil
}

// GetSize returns the window size of the terminal fd.
func GetSize(fd int) (Size, error) {
	ws, err := unix.IoctlGetWinsize(fd, unix.TIOCGWINSZ)
	if err != nil {
		return Size{}, fmt.Errorf("get terminal size: %w", err)
	}
	return Size{Rows: ws.Row, Cols: ws.Col}, nil
}

// SetSize sets the window size of the terminal fd. Setting it on a PTY
// master resizes the terminal the container sees and sends SIGWINCH to its
// foreground process group.
func SetSize(fd int, s Size) error {
	if err := unix.IoctlSetWinsize(fd, unix.TIOCSWINSZ, &unix.Winsize{Row: s.Rows, Col: s.Cols}); err != nil {
		return fmt.Errorf("set terminal size: %w", err)
	}
	return nil
}

// GetFileSize is GetSize for an *os.File. Unlike GetSize(int(f.Fd())) it does
// not switch f to blocking mode, so a pending Read on f can still be
// interrupted by Close or a deadline.
func GetFileSize(f *os.File) (Size, error) {
	var s Size
	err := control(f, func(fd int) error {
		var err error
		s, err = GetSize(fd)
		return err
	})
	return s, err
}

// SetFileSize is SetSize for an *os.File, such as a PTY master held by the
// monitor. Unlike SetSize(int(f.Fd()), s) it does not switch f to blocking
// mode.
func SetFileSize(f *os.File, s Size) error {
	return control(f, func(fd int) error { return SetSize(fd, s) })
}

// control runs fn with f's descriptor without changing its blocking mode.
func control(f *os.File, fn func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return fmt.Errorf("access %s: %w", f.Name(), err)
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return fmt.Errorf("access %s: %w", f.Name(), err)
	}
	return ferr
}

// NotifyResize watches the terminal fd for size changes (SIGWINCH) and sends
// each new size on the returned channel, starting with the current size. A
// size that the receiver has not yet taken is replaced by a newer one, so the
// receiver only ever sees the latest size, and unchanged sizes are not sent
// again. The goroutine that NotifyResize starts ends, and closes the channel,
// when ctx is done.
func NotifyResize(ctx context.Context, fd int) <-chan Size {
	out := make(chan Size, 1)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, unix.SIGWINCH)
	go func() {
		defer close(out)
		defer signal.Stop(sig)
		var last Size
		send := func() {
			s, err := GetSize(fd)
			if err != nil || s == last {
				return
			}
			last = s
			select {
			case <-out: // drop the stale size nobody took yet
			default:
			}
			out <- s
		}
		send()
		for {
			select {
			case <-ctx.Done():
				return
			case <-sig:
				send()
			}
		}
	}()
	return out
}

// PollableInput returns a duplicate of fd (normally 0, the user's terminal)
// in non-blocking mode, registered with the Go runtime's poller so that its
// Read can be interrupted with SetReadDeadline. Wrapping it in a DetachReader
// lets DetachReader.Close really stop reading the terminal, which matters when
// the terminal goes back to another reader (the TUI) after a session. Because
// the non-blocking flag is shared with fd, call restore when the session ends:
// it closes the duplicate and puts fd back into blocking mode.
func PollableInput(fd int) (f *os.File, restore func() error, err error) {
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("duplicate input fd %d: %w", fd, err)
	}
	if err := unix.SetNonblock(dup, true); err != nil {
		unix.Close(dup)
		return nil, nil, fmt.Errorf("set input fd %d non-blocking: %w", fd, err)
	}
	f = os.NewFile(uintptr(dup), fmt.Sprintf("input-%d", fd))
	return f, func() error {
		cerr := f.Close()
		if err := unix.SetNonblock(fd, false); err != nil {
			return fmt.Errorf("set input fd %d blocking: %w", fd, err)
		}
		if cerr != nil {
			return fmt.Errorf("close input fd %d: %w", fd, cerr)
		}
		return nil
	}, nil
}
