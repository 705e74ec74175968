package cmd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/engine"
	"github.com/berth-dev/berth/pty"
)

// containerCommands returns the container subcommands: the top-level
// docker aliases and the `container` group.
func containerCommands(a *app) []command {
	return []command{of(a, "container", containerGroup), of(a, "create", createCmd), of(a, "run", runCmd),
		of(a, "start", startCmd), of(a, "attach", attachCmd), of(a, "stop", stopCmd), of(a, "kill", killCmd),
		of(a, "restart", restartCmd), of(a, "pause", pauseCmd), of(a, "unpause", unpauseCmd), of(a, "rm", rmCmd),
		of(a, "wait", waitCmd), of(a, "ps", psCmd), of(a, "logs", logsCmd), of(a, "rename", renameCmd),
		of(a, "inspect", inspectCmd), of(a, "top", topCmd), of(a, "stats", statsCmd), of(a, "diff", diffCmd),
		of(a, "commit", commitCmd), of(a, "export", exportCmd), of(a, "cp", cpCmd), of(a, "update", updateCmd), of(a, "events", eventsCmd), of(a, "volume", volumeGroup)}
}

// containerGroup returns the `container` group.
func containerGroup(a *app) *cobra.Command {
	group := &cobra.Command{
		Use:   "container",
		Short: "Manage containers",
		Args:  cobra.NoArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	ls := psCmd(a)
	ls.Use, ls.Aliases = "ls [OPTIONS]", []string{"list", "ps"}
	rm := rmCmd(a)
	rm.Aliases = []string{"remove"}
	group.AddCommand(ls, rm, createCmd(a), runCmd(a), startCmd(a), stopCmd(a), killCmd(a), restartCmd(a),
		pauseCmd(a), unpauseCmd(a), waitCmd(a), logsCmd(a), renameCmd(a), containerPruneCmd(a),
		typedInspectCmd(a, "container", "containers"), topCmd(a), statsCmd(a), diffCmd(a), commitCmd(a), exportCmd(a),
		cpCmd(a), updateCmd(a), attachCmd(a), execCmd(a))
	return group
}

// eachContainer runs fn for every argument, printing each failure on its
// own line, as docker does for commands over several containers; the
// command then exits 1.
func eachContainer(a *app, args []string, fn func(eng *engine.Engine, ref string) error) error {
	eng, err := a.engine()
	if err != nil {
		return err
	}
	var errs []error
	for _, ref := range args {
		if err := fn(eng, ref); err != nil {
			errs = append(errs, err)
		}
	}
	return joinErrors(a, errs)
}

func startCmd(a *app) *cobra.Command {
	var attach, interactive bool
	c := &cobra.Command{
		Use:   "start [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Start one or more stopped containers",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if attach || interactive {
				if len(args) > 1 {
					return errors.New("you cannot start and attach multiple containers at once")
				}
				eng, err := a.engine()
				if err != nil {
					return err
				}
				insp, err := eng.InspectContainer(c.Context(), args[0])
				if err != nil {
					return err
				}
				stdin := interactive && insp.Config.OpenStdin
				var keys []byte
				if stdin && insp.Config.Tty {
					if !isTerminal(a.io.In) {
						return errNotTTY
					}
					if keys, err = sessionKeys(c); err != nil {
						return err
					}
				}
				return runAttached(c.Context(), a, eng, insp.ID, session{stdin: stdin, stdout: true, stderr: true, tty: insp.Config.Tty, sigProxy: true, keys: keys})
			}
			return eachContainer(a, args, func(eng *engine.Engine, ref string) error {
				if err := eng.Start(c.Context(), ref); err != nil {
					return err
				}
				fmt.Fprintln(a.io.Out, ref)
				return nil
			})
		},
	}
	c.Flags().BoolVarP(&attach, "attach", "a", false, "attach STDOUT/STDERR and forward signals")
	c.Flags().BoolVarP(&interactive, "interactive", "i", false, "attach container's STDIN")
	c.Flags().String("detach-keys", pty.DefaultKeys, `override the key sequence for detaching a container ("" disables detaching)`)
	return c
}

// containerOpCmd is a command that applies op to every container named on
// its command line and prints each name it succeeded for, as docker's
// stop, kill and pause do.
func containerOpCmd(a *app, use, short string, op func(ctx context.Context, eng *engine.Engine, ref string) error) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return eachContainer(a, args, func(eng *engine.Engine, ref string) error {
				if err := op(c.Context(), eng, ref); err != nil {
					return err
				}
				fmt.Fprintln(a.io.Out, ref)
				return nil
			})
		},
	}
}

// stopTimeout adds -t/--time (and stop's --timeout) to c and returns what
// the flags set: nil when not given, so the container's own stop timeout
// applies.
func stopTimeout(c *cobra.Command, timeoutFlag bool) func() *time.Duration {
	var secs int
	c.Flags().IntVarP(&secs, "time", "t", 10, "seconds to wait before killing the container")
	if timeoutFlag {
		c.Flags().IntVar(&secs, "timeout", 10, "seconds to wait before killing the container")
	}
	return func() *time.Duration {
		if !c.Flags().Changed("time") && !c.Flags().Changed("timeout") {
			return nil
		}
		d := time.Duration(secs) * time.Second
		return &d
	}
}

func stopCmd(a *app) *cobra.Command {
	var timeout func() *time.Duration
	c := containerOpCmd(a, "stop [OPTIONS] CONTAINER [CONTAINER...]", "Stop one or more running containers",
		func(ctx context.Context, eng *engine.Engine, ref string) error { return eng.Stop(ctx, ref, timeout()) })
	timeout = stopTimeout(c, true)
	return c
}

func restartCmd(a *app) *cobra.Command {
	var timeout func() *time.Duration
	c := containerOpCmd(a, "restart [OPTIONS] CONTAINER [CONTAINER...]", "Restart one or more containers",
		func(ctx context.Context, eng *engine.Engine, ref string) error {
			return eng.Restart(ctx, ref, timeout())
		})
	timeout = stopTimeout(c, false)
	return c
}

func killCmd(a *app) *cobra.Command {
	var sig string
	c := containerOpCmd(a, "kill [OPTIONS] CONTAINER [CONTAINER...]", "Kill one or more running containers",
		func(ctx context.Context, eng *engine.Engine, ref string) error { return eng.Kill(ctx, ref, sig) })
	c.Flags().StringVarP(&sig, "signal", "s", "KILL", "signal to send to the container")
	return c
}

func pauseCmd(a *app) *cobra.Command {
	return containerOpCmd(a, "pause CONTAINER [CONTAINER...]", "Pause all processes within one or more containers",
		func(ctx context.Context, eng *engine.Engine, ref string) error { return eng.Pause(ctx, ref) })
}

func unpauseCmd(a *app) *cobra.Command {
	return containerOpCmd(a, "unpause CONTAINER [CONTAINER...]", "Unpause all processes within one or more containers",
		func(ctx context.Context, eng *engine.Engine, ref string) error { return eng.Unpause(ctx, ref) })
}

func rmCmd(a *app) *cobra.Command {
	var o engine.RemoveOptions
	c := &cobra.Command{
		Use:   "rm [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Remove one or more containers",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return eachContainer(a, args, func(eng *engine.Engine, ref string) error {
				if err := eng.Remove(c.Context(), ref, o); err != nil {
					return err
				}
				fmt.Fprintln(a.io.Out, ref)
				return nil
			})
		},
	}
	c.Flags().BoolVarP(&o.Force, "force", "f", false, "force the removal of a running container (uses SIGKILL)")
	c.Flags().BoolVarP(&o.Volumes, "volumes", "v", false, "remove anonymous volumes associated with the container")
	return c
}

func waitCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "wait CONTAINER [CONTAINER...]",
		Short: "Block until one or more containers stop, then print their exit codes",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return eachContainer(a, args, func(eng *engine.Engine, ref string) error {
				code, err := eng.Wait(c.Context(), ref)
				if err != nil {
					return err
				}
				fmt.Fprintln(a.io.Out, code)
				return nil
			})
		},
	}
}

func renameCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "rename CONTAINER NEW_NAME",
		Short: "Rename a container",
		Args:  cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			eng, err := a.engine()
			if err != nil {
				return err
			}
			return eng.Rename(c.Context(), args[0], args[1])
		},
	}
}

// parsePruneFilters parses docker's prune --filter values: until=TIME
// (a time or a duration before now), label=KEY[=VALUE] and
// label!=KEY[=VALUE].
func parsePruneFilters(filters []string) (engine.PruneFilter, error) {
	var f engine.PruneFilter
	for _, s := range filters {
		k, v, ok := strings.Cut(s, "=")
		switch {
		case ok && k == "until" && v != "":
			t, err := parseTimeArg(v, time.Now())
			if err != nil {
				return f, fmt.Errorf("invalid filter '%s': %w: %w", s, engine.ErrInvalid, err)
			}
			f.Until = t
		case ok && k == "label" && v != "":
			f.Labels = append(f.Labels, v)
		case ok && k == "label!" && v != "":
			f.NotLabels = append(f.NotLabels, v)
		default:
			return f, fmt.Errorf("invalid filter '%s': %w: use until=, label= or label!=", s, engine.ErrInvalid)
		}
	}
	return f, nil
}

func containerPruneCmd(a *app) *cobra.Command {
	var force bool
	var filters []string
	c := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove all stopped containers",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			f, err := parsePruneFilters(filters)
			if err != nil {
				return err
			}
			eng, err := a.repairedEngine(c.Context())
			if err != nil {
				return err
			}
			if !force && !confirm(a, "WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ") {
				return nil
			}
			rep, err := eng.PruneContainers(c.Context(), f)
			if err != nil {
				return err
			}
			printDeleted(a.io.Out, "Containers", rep.Deleted)
			fmt.Fprintf(a.io.Out, "Total reclaimed space: %s\n", humanBytes(rep.SpaceReclaimed))
			return nil
		},
	}
	listVar(c.Flags(), &filters, "filter", "provide filter values (until=TIME, label=KEY[=VALUE], label!=KEY[=VALUE])")
	c.Flags().BoolVarP(&force, "force", "f", false, "do not prompt for confirmation")
	return c
}

// confirm asks a yes/no question on the terminal.
func confirm(a *app, q string) bool {
	fmt.Fprint(a.io.Out, q)
	var answer string
	fmt.Fscanln(a.io.In, &answer)
	answer = strings.ToLower(strings.TrimSpace(answer))
	return answer == "y" || answer == "yes"
}
