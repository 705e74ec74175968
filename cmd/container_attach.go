package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/pty"
	"github.com/berth-dev/berth/ui"
)

// sessionKeys returns the detach sequence of a terminal session:
// --detach-keys when given ("" disables detaching), else detach_keys from
// the config file, else Ctrl-P Ctrl-Q. It is called before anything is
// created or started, so a bad sequence leaves nothing behind; it is an
// engine error (125).
func sessionKeys(c *cobra.Command) ([]byte, error) {
	spec, err := c.Flags().GetString("detach-keys")
	if err != nil {
		return nil, &ExitError{Code: 125, Err: err}
	}
	if !c.Flags().Changed("detach-keys") {
		cfg, err := ui.LoadConfig(ui.ConfigDir())
		if err != nil {
			return nil, &ExitError{Code: 125, Err: err}
		}
		spec = cfg.DetachKeys
	}
	keys, err := pty.ParseKeys(spec)
	if err != nil {
		return nil, &ExitError{Code: 125, Err: err}
	}
	return keys, nil
}

// errNotTTY is docker's refusal of -it when stdin is not a terminal.
var errNotTTY = &ExitError{Code: 1, Err: errors.New("the input device is not a TTY")}

// attachStreams runs the client side of an attach session on conn: the
// container's output to stdout and stderr (one stream with a TTY), the
// terminal's input and size to the container when stdin is set. It
// returns the container's exit code, or detached true when the user typed
// the detach keys, which leaves the container running.
func attachStreams(ctx context.Context, a *app, conn net.Conn, s session) (code int, detached bool, err error) {
	tty := s.tty
	opts := pty.AttachOptions{Replay: true, TTY: tty}
	if s.stdout {
		opts.Stdout = a.io.Out
	}
	if s.stderr && !tty {
		opts.Stderr = a.io.Err
	}
	if s.stdin {
		in := a.io.In
		if f, ok := in.(*os.File); ok {
			if tty && pty.IsTerminal(int(f.Fd())) {
				restore, err := pty.MakeRaw(int(f.Fd()))
				if err != nil {
					return 0, false, fmt.Errorf("set terminal raw: %w", err)
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
			opts.DetachKeys = s.keys
		}
	}
	code, err = pty.Attach(ctx, conn, opts)
	if errors.Is(err, pty.ErrDetached) {
		return 0, true, nil
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, false, &ExitError{Code: 125, Err: fmt.Errorf("attach: %w", err)}
	}
	return code, false, nil
}

func attachCmd(a *app) *cobra.Command {
	var noStdin, sigProxy bool
	c := &cobra.Command{
		Use:   "attach [OPTIONS] CONTAINER",
		Short: "Attach local standard input, output, and error streams to a running container",
		Long: `Attach to a running container's output and, unless --no-stdin, its input.
Recent output is replayed first. Type the detach keys (Ctrl-P Ctrl-Q unless
--detach-keys or the config file say otherwise) to leave the container
running; the container exiting ends the attach with its exit code.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			keys, err := sessionKeys(c)
			if err != nil {
				return err
			}
			eng, err := a.engine()
			if err != nil {
				return err
			}
			ctx := c.Context()
			insp, err := eng.InspectContainer(ctx, args[0])
			if err != nil {
				return err
			}
			stdin := !noStdin && insp.Config.OpenStdin
			if stdin && insp.Config.Tty && !isTerminal(a.io.In) {
				return errNotTTY
			}
			conn, err := eng.DialAttach(ctx, insp.ID)
			if err != nil {
				return err
			}
			return attachRunning(ctx, a, eng, insp.ID, conn, session{stdin: stdin, stdout: true, stderr: true, tty: insp.Config.Tty, sigProxy: sigProxy, keys: keys})
		},
	}
	c.Flags().BoolVar(&noStdin, "no-stdin", false, "do not attach STDIN")
	c.Flags().BoolVar(&sigProxy, "sig-proxy", true, "proxy all received signals to the process")
	c.Flags().String("detach-keys", pty.DefaultKeys, `override the key sequence for detaching a container ("" disables detaching)`)
	return c
}
