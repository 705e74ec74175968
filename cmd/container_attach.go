package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/berth-dev/berth/pty"
)

// attachStreams runs the client side of an attach session on conn: the
// container's output to stdout and stderr (one stream with a TTY), the
// terminal's input and size to the container when stdin is set. It
// returns the container's exit code; detaching with the detach keys
// returns 0 and leaves the container running.
func attachStreams(ctx context.Context, a *app, conn net.Conn, stdin, tty bool, detachKeys string) (int, error) {
	opts := pty.AttachOptions{Stdout: a.io.Out, Replay: true, TTY: tty}
	if !tty {
		opts.Stderr = a.io.Err
	}
	if stdin {
		in := a.io.In
		if f, ok := in.(*os.File); ok {
			if tty && pty.IsTerminal(int(f.Fd())) {
				restore, err := pty.MakeRaw(int(f.Fd()))
				if err != nil {
					return 0, fmt.Errorf("set terminal raw: %w", err)
				}
				defer restore()
				rctx, cancel := context.WithCancel(ctx)
				defer cancel()
				opts.Resize = pty.NotifyResize(rctx, int(f.Fd()))
			}
			if pf, restore, err := pty.PollableInput(int(f.Fd())); err == nil {
				defer restore()
				in = pf
			}
		}
		opts.Stdin = in
		if tty {
			keys := detachKeys
			if keys == "" {
				keys = pty.DefaultKeys
			}
			k, err := pty.ParseKeys(keys)
			if err != nil {
				return 0, &ExitError{Code: 125, Err: err}
			}
			opts.DetachKeys = k
		}
	}
	code, err := pty.Attach(ctx, conn, opts)
	if errors.Is(err, pty.ErrDetached) {
		return 0, nil
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, &ExitError{Code: 125, Err: fmt.Errorf("attach: %w", err)}
	}
	return code, nil
}
