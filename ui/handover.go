package ui

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/berth-dev/berth/pty"
)

// sessionFunc runs an interactive session on the real terminal: in is the
// keyboard (raw, and interruptible so nothing keeps reading it after the
// session), out the screen, resize the terminal size now and after every
// change. It returns when the user detaches or the process ends.
type sessionFunc func(ctx context.Context, in io.Reader, out io.Writer, resize <-chan pty.Size) error

// handover is a tea.ExecCommand that gives the terminal to a session. By
// the time Run is called the program has left the alternate screen and
// stopped reading input; Run prints a one-line hint, puts the terminal in
// raw mode, runs the session and restores the terminal, after which the
// program takes it back and redraws.
type handover struct {
	ctx     context.Context
	hint    string
	session sessionFunc
	// raw makes Run put the terminal in raw mode, read it through a
	// pollable duplicate and follow its size; without it the session gets
	// the terminal as it is and does that itself.
	raw    bool
	stdin  io.Reader
	stdout io.Writer
}

// SetStdin sets the keyboard.
func (h *handover) SetStdin(r io.Reader) { h.stdin = r }

// SetStdout sets the screen.
func (h *handover) SetStdout(w io.Writer) { h.stdout = w }

// SetStderr is not used: the session writes everything to the screen.
func (h *handover) SetStderr(io.Writer) {}

// Run hands the terminal over until the session ends.
func (h *handover) Run() error {
	in, out := h.stdin, h.stdout
	if in == nil {
		in = os.Stdin
	}
	if out == nil {
		out = os.Stdout
	}
	// A clean screen: whatever shows after the hint is the session's, its
	// recent output replayed first, not what an earlier session left on
	// the terminal's main screen.
	fmt.Fprint(out, "\x1b[H\x1b[2J")
	if h.hint != "" {
		fmt.Fprintf(out, "\x1b[7m %s \x1b[0m\r\n", h.hint)
	}
	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	if !h.raw {
		return h.session(ctx, in, out, nil)
	}
	var resize <-chan pty.Size
	if f, ok := out.(*os.File); ok && pty.IsTerminal(int(f.Fd())) {
		resize = pty.NotifyResize(ctx, int(f.Fd()))
	}
	if f, ok := in.(*os.File); ok && pty.IsTerminal(int(f.Fd())) {
		restoreMode, err := pty.MakeRaw(int(f.Fd()))
		if err != nil {
			return fmt.Errorf("attach: %w", err)
		}
		defer restoreMode()
		// Read through a pollable duplicate, so that the session's reader
		// stops when the session ends and the program gets every key.
		pf, restoreInput, err := pty.PollableInput(int(f.Fd()))
		if err != nil {
			return fmt.Errorf("attach: %w", err)
		}
		defer restoreInput()
		in = pf
	}
	return h.session(ctx, in, out, resize)
}
