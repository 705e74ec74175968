package cmd

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/engine"
)

// psRow is one line of `ps`, with the fields docker's --format offers.
type psRow struct {
	ID           string
	Image        string
	Command      string
	CreatedAt    string
	RunningFor   string
	Ports        string
	State        string
	Status       string
	Names        string
	Labels       string
	Size         string
	Mounts       string
	Networks     string
	LocalVolumes string
}

func psCmd(a *app) *cobra.Command {
	var all, quiet, latest, noTrunc, size bool
	var last int
	var filters []string
	var format string
	c := &cobra.Command{
		Use:   "ps [OPTIONS]",
		Short: "List containers",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			eng, err := a.repairedEngine(c.Context())
			if err != nil {
				return err
			}
			// A format that shows .Size asks for the sizes, as in docker.
			size = size || strings.Contains(format, ".Size")
			o := engine.ListContainersOptions{All: all, Last: last, Filters: filters, Size: size}
			if latest {
				o.Last = 1
			}
			cs, err := eng.Containers(c.Context(), o)
			if err != nil {
				return err
			}
			if quiet {
				for _, s := range cs {
					id := s.ID
					if !noTrunc {
						id = shortID(id)
					}
					fmt.Fprintln(a.io.Out, id)
				}
				return nil
			}
			row := "{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"
			header := "CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES"
			if size {
				row, header = row+"\t{{.Size}}", header+"\tSIZE"
			}
			tf, err := newTableFormat(format, row, header)
			if err != nil {
				return err
			}
			rows := make([]any, 0, len(cs))
			for _, s := range cs {
				rows = append(rows, makePsRow(s, noTrunc, size))
			}
			return tf.print(a.io.Out, rows)
		},
	}
	f := c.Flags()
	f.BoolVarP(&all, "all", "a", false, "show all containers (default shows just running)")
	f.BoolVarP(&quiet, "quiet", "q", false, "only display container IDs")
	f.BoolVarP(&latest, "latest", "l", false, "show the latest created container (includes all states)")
	f.IntVarP(&last, "last", "n", 0, "show n last created containers (includes all states)")
	f.BoolVar(&noTrunc, "no-trunc", false, "don't truncate output")
	f.BoolVarP(&size, "size", "s", false, "display total file sizes")
	listVarP(f, &filters, "filter", "f", "filter output based on conditions provided (status=, name=, ancestor=, id=, label=, exited=, health=, network=, volume=, before=, since=, publish=, expose=)")
	f.StringVar(&format, "format", "", "format output: table, json, or a Go template")
	return c
}

// makePsRow formats s as a row of ps; with size, its Size is docker's
// "2B (virtual 1.24MB)".
func makePsRow(s engine.ContainerSummary, noTrunc, size bool) psRow {
	id, cmd := s.ID, s.Command
	if !noTrunc {
		id = shortID(id)
		if len(cmd) > 22 {
			cmd = cmd[:19] + "…\""
		}
	}
	var labels []string
	for k, v := range s.Labels {
		labels = append(labels, k+"="+v)
	}
	sort.Strings(labels)
	// Mounts names each volume, or a bind's source path, cut to 15
	// characters unless --no-trunc; LocalVolumes counts the volumes of
	// the local driver (docker's formatter).
	var mounts []string
	local := 0
	for _, m := range s.Mounts {
		name := m.Name
		if name == "" {
			name = m.Source
		}
		if r := []rune(name); !noTrunc && len(r) > 15 {
			name = string(r[:14]) + "…"
		}
		mounts = append(mounts, name)
		if m.Driver == "local" {
			local++
		}
	}
	var sizes string
	if size {
		sizes = humanBytes(s.SizeRw)
		if s.SizeRootFs > 0 {
			sizes += " (virtual " + humanBytes(s.SizeRootFs) + ")"
		}
	}
	return psRow{
		ID:           id,
		Image:        s.Image,
		Command:      cmd,
		CreatedAt:    s.Created.Local().Format("2006-01-02 15:04:05 -0700 MST"),
		RunningFor:   humanDuration(time.Since(s.Created)) + " ago",
		Ports:        s.Ports,
		State:        s.State,
		Status:       s.Status,
		Names:        s.Name,
		Labels:       strings.Join(labels, ","),
		Size:         sizes,
		Mounts:       strings.Join(mounts, ","),
		Networks:     strings.Join(s.Networks, ","),
		LocalVolumes: strconv.Itoa(local),
	}
}
