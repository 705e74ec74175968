package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/engine"
	"github.com/berth-dev/berth/store"
)

// ErrNeedRoot is returned when berth runs without root privileges.
var ErrNeedRoot = errors.New("berth needs root for now: run it as root (for example with sudo)")

// ExitError carries the exit code a command ends with, such as a
// container's exit status or docker's 125 for an engine error.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// IO is where a command reads and writes.
type IO struct {
	In       io.Reader
	Out, Err io.Writer
}

// app holds the global flags and opens the engine on first use, so that
// help and version work without a store.
type app struct {
	io       IO
	root     string
	logLevel string
	debug    bool
	insecure []string
	theme    string
	eng      *engine.Engine
	log      *slog.Logger
	repaired bool
	logFile  *os.File
	ui       UIFunc
}

// UIFunc starts the full-screen interface on an engine; berth with no
// arguments calls it.
type UIFunc func(ctx context.Context, eng *engine.Engine, theme string) error

// engine opens the store and the engine once. The first engine opened on
// a store after the host booted repairs what the previous boot left
// (engine.RepairAfterBoot); otherwise that check costs one stat.
func (a *app) engine() (*engine.Engine, error) {
	if a.eng != nil {
		return a.eng, nil
	}
	if os.Geteuid() != 0 {
		return nil, ErrNeedRoot
	}
	if err := os.MkdirAll(a.root, 0o700); err != nil {
		return nil, fmt.Errorf("create root %s: %w", a.root, err)
	}
	log, err := a.openLog()
	if err != nil {
		return nil, err
	}
	st, err := store.Open(a.root, store.WithLogger(log))
	if err != nil {
		return nil, err
	}
	opts := []engine.Option{engine.WithInsecureRegistries(a.insecure...)}
	a.eng = engine.New(st, log, opts...)
	a.log = log
	// The command's context is not at hand here; the repair is bounded
	// by the store's size.
	if ran, err := a.eng.RepairAfterBoot(context.Background()); err != nil {
		log.Warn("repair after boot", "err", err)
	} else if ran {
		a.repaired = true
	}
	return a.eng, nil
}

// repairedEngine is engine for the commands that show or clean up the
// whole store (the TUI, ps, prune): it runs the engine's repairs once
// first, as a daemon does when it starts. A failed repair is logged and
// does not stop the command.
func (a *app) repairedEngine(ctx context.Context) (*engine.Engine, error) {
	eng, err := a.engine()
	if err != nil || a.repaired {
		return eng, err
	}
	a.repaired = true
	if err := eng.Repair(ctx); err != nil {
		a.log.Warn("repair", "err", err)
	}
	return eng, nil
}

// openLog opens berth.log under the root: berth never logs to the terminal.
func (a *app) openLog() (*slog.Logger, error) {
	level := slog.LevelInfo
	if a.debug {
		level = slog.LevelDebug
	} else if err := level.UnmarshalText([]byte(a.logLevel)); err != nil {
		return nil, fmt.Errorf("parse --log-level %q: use debug, info, warn or error", a.logLevel)
	}
	f, err := os.OpenFile(filepath.Join(a.root, "berth.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	a.logFile = f
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: level})), nil
}

func defaultRoot() string {
	if r := os.Getenv("BERTH_ROOT"); r != "" {
		return r
	}
	return store.DefaultRoot
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		out = append(out, f)
	}
	return out
}

// newRoot returns the root command for command line args, with only the
// top-level command args names, or with all of them if it names none.
func newRoot(a *app, args []string) *cobra.Command {
	root := &cobra.Command{
		Use:           "berth",
		Short:         "A terminal container workstation: TUI, docker-style CLI and daemonless engine",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if a.ui == nil {
				return c.Help()
			}
			eng, err := a.engine()
			if err != nil {
				return err
			}
			// The repair is housekeeping (a container whose monitor died
			// already reads as exited), so it runs beside the first frame
			// rather than before it; what it changes reaches the lists as
			// events.
			// Quitting cancels what is left of it.
			rctx, cancel := context.WithCancel(c.Context())
			var wg sync.WaitGroup
			wg.Go(func() {
				if _, err := a.repairedEngine(rctx); err != nil {
					a.log.Warn("repair", "err", err)
				}
			})
			err = a.ui(c.Context(), eng, a.theme)
			cancel()
			wg.Wait()
			return err
		},
	}
	root.CompletionOptions.DisableDefaultCmd = true
	// berth --version (-v) prints one line, as docker --version does.
	root.Version = Version
	root.SetVersionTemplate("berth version {{.Version}}, build " + commit() + "\n")
	f := root.PersistentFlags()
	f.StringVar(&a.root, "root", defaultRoot(), "store directory (env BERTH_ROOT)")
	f.StringVar(&a.logLevel, "log-level", "info", "log level for berth.log under the root: debug, info, warn, error")
	f.BoolVarP(&a.debug, "debug", "D", false, "log at debug level")
	f.StringSliceVar(&a.insecure, "insecure-registry", splitList(os.Getenv("BERTH_INSECURE_REGISTRIES")), "registry reached over plain HTTP (env BERTH_INSECURE_REGISTRIES)")
	f.StringVar(&a.theme, "theme", "", "TUI theme name or file")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &ExitError{Code: 125, Err: fmt.Errorf("%w\nSee '%s --help'", err, c.CommandPath())}
	})
	cs := commands(a)
	name := commandName(root, args)
	for _, c := range cs {
		if c.name == name {
			root.AddCommand(c.make())
			return root
		}
	}
	for _, c := range cs {
		root.AddCommand(c.make())
	}
	return root
}

// Execute runs the command line args and returns the process exit code.
// Errors are printed as one line on stdio.Err.
func Execute(ctx context.Context, args []string, stdio IO, ui UIFunc) int {
	a := &app{io: stdio, ui: ui}
	root := newRoot(a, args)
	root.SetArgs(args)
	root.SetIn(stdio.In)
	root.SetOut(stdio.Out)
	root.SetErr(stdio.Err)
	err := root.ExecuteContext(ctx)
	if a.logFile != nil {
		a.logFile.Close()
	}
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			fmt.Fprintf(stdio.Err, "Error: %v\n", ee.Err)
		}
		return ee.Code
	}
	fmt.Fprintf(stdio.Err, "Error: %v\n", err)
	return 1
}
