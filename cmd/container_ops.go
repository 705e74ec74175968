package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/engine"
)

func topCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "top CONTAINER [ps OPTIONS]",
		Short: "Display the running processes of a container",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			eng, err := a.engine()
			if err != nil {
				return err
			}
			res, err := eng.Top(c.Context(), args[0], strings.Join(args[1:], " "))
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(a.io.Out, 1, 1, 4, ' ', 0)
			fmt.Fprintln(tw, strings.Join(res.Titles, "\t"))
			for _, p := range res.Processes {
				fmt.Fprintln(tw, strings.Join(p, "\t"))
			}
			return tw.Flush()
		},
	}
}

func diffCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "diff CONTAINER",
		Short: "Inspect changes to files or directories on a container's filesystem",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			eng, err := a.engine()
			if err != nil {
				return err
			}
			changes, err := eng.Diff(c.Context(), args[0])
			if err != nil {
				return err
			}
			for _, ch := range changes {
				fmt.Fprintln(a.io.Out, ch.String())
			}
			return nil
		},
	}
}

func commitCmd(a *app) *cobra.Command {
	var o engine.CommitOptions
	c := &cobra.Command{
		Use:   "commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
		Short: "Create a new image from a container's changes",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(c *cobra.Command, args []string) error {
			eng, err := a.engine()
			if err != nil {
				return err
			}
			if len(args) == 2 {
				o.Ref = args[1]
			}
			sum, err := eng.Commit(c.Context(), args[0], o)
			if err != nil {
				return err
			}
			fmt.Fprintln(a.io.Out, sum.ID)
			return nil
		},
	}
	f := c.Flags()
	f.StringVarP(&o.Message, "message", "m", "", "commit message")
	f.StringVarP(&o.Author, "author", "a", "", "author (e.g. \"Jane Doe <jane@example.com>\")")
	listVarP(f, &o.Changes, "change", "c", "apply Dockerfile instruction to the created image")
	f.BoolVarP(&o.Pause, "pause", "p", true, "pause container during commit")
	return c
}

func exportCmd(a *app) *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "export [OPTIONS] CONTAINER",
		Short: "Export a container's filesystem as a tar archive",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			eng, err := a.engine()
			if err != nil {
				return err
			}
			var w io.Writer = a.io.Out
			if output == "" && isTerminal(a.io.Out) {
				return errors.New("cowardly refusing to save to a terminal. Use the -o flag or redirect")
			}
			if output != "" {
				f, err := os.CreateTemp(dirOf(output), ".berth-export-")
				if err != nil {
					return fmt.Errorf("export: %w", err)
				}
				defer os.Remove(f.Name())
				if err := eng.Export(c.Context(), args[0], f); err != nil {
					f.Close()
					return err
				}
				if err := f.Close(); err != nil {
					return fmt.Errorf("export: %w", err)
				}
				return os.Rename(f.Name(), output)
			}
			return eng.Export(c.Context(), args[0], w)
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "write to a file, instead of STDOUT")
	return c
}

func dirOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		if i == 0 {
			return "/"
		}
		return p[:i]
	}
	return "."
}

// statsRow is one line of `stats`.
type statsRow struct {
	ID       string `json:"ID"`
	Name     string
	CPUPerc  string
	MemUsage string
	MemPerc  string
	NetIO    string
	BlockIO  string
	PIDs     string
}

func statsCmd(a *app) *cobra.Command {
	var noStream, all, noTrunc bool
	var format string
	c := &cobra.Command{
		Use:   "stats [OPTIONS] [CONTAINER...]",
		Short: "Display a live stream of container(s) resource usage statistics",
		RunE: func(c *cobra.Command, args []string) error {
			eng, err := a.engine()
			if err != nil {
				return err
			}
			ctx := c.Context()
			tf, err := newTableFormat(format,
				"{{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}",
				"CONTAINER ID\tNAME\tCPU %\tMEM USAGE / LIMIT\tMEM %\tNET I/O\tBLOCK I/O\tPIDS")
			if err != nil {
				return err
			}
			refs := args
			if len(refs) == 0 {
				cs, err := eng.Containers(ctx, engine.ListContainersOptions{All: all})
				if err != nil {
					return err
				}
				for _, s := range cs {
					refs = append(refs, s.ID)
				}
			}
			prev := map[string]engine.StatsSample{}
			for {
				var rows []any
				for _, ref := range refs {
					s, err := sampleStats(ctx, eng, ref, prev)
					if err != nil {
						if len(args) > 0 {
							return err
						}
						continue
					}
					rows = append(rows, makeStatsRow(s, noTrunc))
				}
				if !noStream && tf.table && isTerminal(a.io.Out) {
					fmt.Fprint(a.io.Out, "\033[2J\033[H")
				}
				if err := tf.print(a.io.Out, rows); err != nil {
					return err
				}
				if noStream {
					return nil
				}
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(time.Second):
				}
			}
		},
	}
	f := c.Flags()
	f.BoolVar(&noStream, "no-stream", false, "disable streaming stats and only pull the first result")
	f.BoolVarP(&all, "all", "a", false, "show all containers (default shows just running)")
	f.BoolVar(&noTrunc, "no-trunc", false, "do not truncate output")
	f.StringVar(&format, "format", "", "format output: table, json, or a Go template")
	return c
}

func sampleStats(ctx context.Context, eng *engine.Engine, ref string, prev map[string]engine.StatsSample) (engine.StatsSample, error) {
	var s engine.StatsSample
	var err error
	if p, ok := prev[ref]; ok {
		s, err = eng.StatsSince(ctx, ref, p)
	} else {
		s, err = eng.Stats(ctx, ref)
	}
	if err == nil {
		prev[ref] = s
	}
	return s, err
}

func makeStatsRow(s engine.StatsSample, noTrunc bool) statsRow {
	id := s.ID
	if !noTrunc {
		id = shortID(id)
	}
	return statsRow{
		ID:       id,
		Name:     s.Name,
		CPUPerc:  fmt.Sprintf("%.2f%%", s.CPUPercent),
		MemUsage: binaryBytes(s.MemUsage) + " / " + binaryBytes(s.MemLimit),
		MemPerc:  fmt.Sprintf("%.2f%%", s.MemPercent),
		NetIO:    humanBytes(int64(s.NetRx)) + " / " + humanBytes(int64(s.NetTx)),
		BlockIO:  humanBytes(int64(s.BlockRead)) + " / " + humanBytes(int64(s.BlockWrite)),
		PIDs:     fmt.Sprint(s.Pids),
	}
}

// binaryBytes formats n in binary units as docker stats does: 1.5MiB.
func binaryBytes(n uint64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	f := float64(n)
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	return fmt.Sprintf("%.4g%s", f, units[i])
}

func eventsCmd(a *app) *cobra.Command {
	var since, until, format string
	var filters []string
	c := &cobra.Command{
		Use:   "events [OPTIONS]",
		Short: "Get real time events from the engine",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			eng, err := a.engine()
			if err != nil {
				return err
			}
			now := time.Now()
			from, err := parseTimeArg(since, now)
			if err != nil {
				return fmt.Errorf("invalid value for --since: %w", err)
			}
			to, err := parseTimeArg(until, now)
			if err != nil {
				return fmt.Errorf("invalid value for --until: %w", err)
			}
			var tmpl = ""
			if format != "" && format != "json" {
				tmpl = format
			}
			var tf tableFormat
			if tmpl != "" {
				if tf, err = newTableFormat(tmpl, "", ""); err != nil {
					return err
				}
			}
			ch, err := eng.EventsBetween(c.Context(), from, to)
			if err != nil {
				return err
			}
			for ev := range ch {
				if !matchEvent(ev, filters) {
					continue
				}
				switch {
				case format == "json":
					if err := (tableFormat{json: true}).print(a.io.Out, []any{ev}); err != nil {
						return err
					}
				case tmpl != "":
					if err := tf.print(a.io.Out, []any{ev}); err != nil {
						return err
					}
				default:
					fmt.Fprintln(a.io.Out, eventLine(ev))
				}
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&since, "since", "", "show all events created since timestamp")
	f.StringVar(&until, "until", "", "stream events until this timestamp")
	f.StringVar(&format, "format", "", "format the output using the given Go template, or json")
	listVarP(f, &filters, "filter", "f", "filter output based on conditions provided (type=, event=, container=)")
	return c
}

func matchEvent(ev engine.Event, filters []string) bool {
	for _, f := range filters {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "type":
			if ev.Type != v {
				return false
			}
		case "event", "action":
			if ev.Action != v {
				return false
			}
		case "container", "image", "volume", "network":
			if ev.Type != k || (!strings.HasPrefix(ev.ID, v) && ev.Attributes["name"] != v) {
				return false
			}
		}
	}
	return true
}

// eventLine formats an event as docker events prints it.
func eventLine(ev engine.Event) string {
	var attrs []string
	for _, k := range sortedKeys(ev.Attributes) {
		attrs = append(attrs, k+"="+ev.Attributes[k])
	}
	s := ev.Time.Local().Format("2006-01-02T15:04:05.000000000-07:00") + " " + ev.Type + " " + ev.Action + " " + ev.ID
	if len(attrs) > 0 {
		s += " (" + strings.Join(attrs, ", ") + ")"
	}
	return s
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}
