package cmd

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/engine"
	"github.com/berth-dev/berth/pty"
)

// execCommands returns exec and the hidden entry point of its keeper.
func execCommands(a *app) []command {
	return []command{of(a, "exec", execCmd), {engine.ExecKeeperArg, execKeeperCmd}}
}

// execFlags are the flags of exec.
type execFlags struct {
	interactive bool
	tty         bool
	detach      bool
	env         []string
	envFiles    []string
	workdir     string
	user        string
	privileged  bool
}

func execCmd(a *app) *cobra.Command {
	var f execFlags
	c := &cobra.Command{
		Use:   "exec [OPTIONS] CONTAINER COMMAND [ARG...]",
		Short: "Execute a command in a running container",
		Long: `Execute a command in a running container.

The command runs in the container's namespaces and cgroup, with the
container's environment, user and working directory unless the flags
say otherwise. Without -t its stdin, stdout and stderr stay separate
streams, so it can be piped; with -t it gets a terminal. Type the detach
keys (Ctrl-P Ctrl-Q unless --detach-keys says otherwise) to leave a
terminal session; the command keeps running.

Exit status: the command's own; 126 if it cannot be executed, 127 if it
is not found, 125 if berth failed, 1 if the container is missing, not
running or paused.`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			return runExec(c, a, &f, args)
		},
	}
	fs := c.Flags()
	fs.SetInterspersed(false)
	fs.BoolVarP(&f.interactive, "interactive", "i", false, "keep STDIN open even if not attached")
	fs.BoolVarP(&f.tty, "tty", "t", false, "allocate a pseudo-TTY")
	fs.BoolVarP(&f.detach, "detach", "d", false, "detached mode: run command in the background")
	listVarP(fs, &f.env, "env", "e", "set environment variables (KEY=VALUE, or KEY to pass the host's)")
	listVar(fs, &f.envFiles, "env-file", "read in a file of environment variables")
	fs.StringVarP(&f.workdir, "workdir", "w", "", "working directory inside the container")
	fs.StringVarP(&f.user, "user", "u", "", "username or UID (format: <name|uid>[:<group|gid>])")
	fs.String("detach-keys", pty.DefaultKeys, `override the key sequence for detaching from the command ("" disables detaching)`)
	fs.BoolVar(&f.privileged, "privileged", false, "give extended privileges to the command")
	return c
}

// runExec runs berth exec. Errors carry docker's exit codes.
func runExec(c *cobra.Command, a *app, f *execFlags, args []string) error {
	ref, cmdArgs := args[0], args[1:]
	var keys []byte
	if f.tty && f.interactive && !f.detach {
		var err error
		if keys, err = sessionKeys(c); err != nil {
			return err
		}
	}
	in, _ := a.io.In.(*os.File)
	if f.tty && f.interactive && !f.detach && (in == nil || !pty.IsTerminal(int(in.Fd()))) {
		return errNotTTY
	}
	o := engine.ExecOptions{
		Cmd:        cmdArgs,
		WorkingDir: f.workdir,
		User:       f.user,
		TTY:        f.tty,
		Stdin:      f.interactive,
		// A detached process with a terminal gets one, held by a
		// keeper (see below); without, its streams are /dev/null.
		Detach:     f.detach && !f.tty,
		Privileged: f.privileged,
	}
	for _, file := range f.envFiles {
		env, err := readEnvFile(file)
		if err != nil {
			return &ExitError{Code: 125, Err: err}
		}
		o.Env = append(o.Env, env...)
	}
	o.Env = append(o.Env, resolveEnv(f.env)...)
	if f.tty {
		for _, t := range []any{in, a.io.Out} {
			if tf, ok := t.(*os.File); ok && tf != nil && pty.IsTerminal(int(tf.Fd())) {
				if s, err := pty.GetSize(int(tf.Fd())); err == nil {
					o.Size = s
					break
				}
			}
		}
	}
	eng, err := a.engine()
	if err != nil {
		return &ExitError{Code: 125, Err: err}
	}
	ctx := c.Context()
	p, err := eng.Exec(ctx, ref, o)
	if err != nil {
		return execError(err)
	}
	defer p.Close()
	if f.detach {
		if err := p.Detach(); err != nil {
			return &ExitError{Code: 125, Err: err}
		}
		return nil
	}
	if !f.tty {
		// Without a terminal, signals to berth are meant for the command,
		// as Ctrl-C in a pipeline is.
		stop := forwardSignals(p)
		defer stop()
		ctx = context.WithoutCancel(ctx)
	}
	var stdin *os.File
	if f.interactive {
		stdin = in
		if stdin == nil && a.io.In != nil {
			// Not a file (tests): copy it through a pipe.
			r, w, err := os.Pipe()
			if err != nil {
				return &ExitError{Code: 125, Err: err}
			}
			defer r.Close()
			go func() {
				io.Copy(w, a.io.In)
				w.Close()
			}()
			stdin = r
		}
	}
	code, err := p.Session(ctx, stdin, a.io.Out, a.io.Err, keys)
	switch {
	case errors.Is(err, pty.ErrDetached):
		if derr := p.Detach(); derr != nil {
			return &ExitError{Code: 125, Err: derr}
		}
		return nil
	case err != nil:
		return &ExitError{Code: 125, Err: err}
	case code != 0:
		return &ExitError{Code: code}
	}
	return nil
}

// forwardSignals passes the signals a user sends to berth exec on to the
// process until the returned function is called.
func forwardSignals(p *engine.ExecProcess) (stop func()) {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case s := <-sigs:
				if s == syscall.SIGWINCH {
					continue // a terminal resize, not for a process without one
				}
				p.Signal(s)
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(done)
		<-finished
	}
}

// execError gives an exec failure docker's exit code: the process's 126
// or 127, 1 for a container that is missing, stopped or paused, and 125
// for anything else.
func execError(err error) error {
	var ee *engine.ExecError
	var se *engine.StateError
	switch {
	case errors.As(err, &ee):
		return &ExitError{Code: ee.Code, Err: err}
	case errors.As(err, &se), errors.Is(err, engine.ErrNotFound):
		return &ExitError{Code: 1, Err: err}
	}
	return &ExitError{Code: 125, Err: err}
}

// execKeeperCmd is the hidden entry point of the keeper that holds a
// detached exec process's terminal (engine.ExecProcess.Detach).
func execKeeperCmd() *cobra.Command {
	return &cobra.Command{
		Use:    engine.ExecKeeperArg,
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return engine.ExecKeeperMain()
		},
	}
}
