package cmd

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/engine"
)

// volumeRow is one line of `volume ls`.
type volumeRow struct {
	Driver     string
	Name       string
	Mountpoint string
	Labels     string
	Scope      string
}

// volumeGroup returns the `volume` group.
func volumeGroup(a *app) *cobra.Command {
	group := &cobra.Command{
		Use:   "volume",
		Short: "Manage volumes",
		Args:  cobra.NoArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	var labels []string
	create := &cobra.Command{
		Use:   "create [OPTIONS] [VOLUME]",
		Short: "Create a volume",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			eng, err := a.engine()
			if err != nil {
				return err
			}
			name := ""
			if len(args) == 1 {
				name = args[0]
			}
			var lm map[string]string
			for _, l := range labels {
				if lm == nil {
					lm = map[string]string{}
				}
				k, v, _ := strings.Cut(l, "=")
				lm[k] = v
			}
			v, err := eng.CreateVolume(c.Context(), name, lm)
			if err != nil {
				return err
			}
			fmt.Fprintln(a.io.Out, v.Name)
			return nil
		},
	}
	listVar(create.Flags(), &labels, "label", "set metadata for a volume")
	create.Flags().StringP("driver", "d", "local", "specify volume driver name (only local)")

	var quiet bool
	var format string
	var filters []string
	ls := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List volumes",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			eng, err := a.engine()
			if err != nil {
				return err
			}
			vs, err := eng.Volumes(c.Context())
			if err != nil {
				return err
			}
			if vs, err = engine.FilterVolumes(vs, filters); err != nil {
				return err
			}
			if quiet {
				for _, v := range vs {
					fmt.Fprintln(a.io.Out, v.Name)
				}
				return nil
			}
			tf, err := newTableFormat(format, "{{.Driver}}\t{{.Name}}", "DRIVER\tVOLUME NAME")
			if err != nil {
				return err
			}
			rows := make([]any, 0, len(vs))
			for _, v := range vs {
				var ls []string
				for k, val := range v.Labels {
					ls = append(ls, k+"="+val)
				}
				sort.Strings(ls)
				rows = append(rows, volumeRow{Driver: v.Driver, Name: v.Name, Mountpoint: v.Mountpoint, Labels: strings.Join(ls, ","), Scope: v.Scope})
			}
			return tf.print(a.io.Out, rows)
		},
	}
	ls.Flags().BoolVarP(&quiet, "quiet", "q", false, "only display volume names")
	listVarP(ls.Flags(), &filters, "filter", "f", "filter output based on conditions provided (dangling=true|false, name=, label=, driver=)")
	ls.Flags().StringVar(&format, "format", "", "format output: table, json, or a Go template")

	inspect := typedInspectCmd(a, "volume", "volumes")

	var force bool
	rm := &cobra.Command{
		Use:     "rm [OPTIONS] VOLUME [VOLUME...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more volumes",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			eng, err := a.engine()
			if err != nil {
				return err
			}
			var errs []error
			for _, n := range args {
				if err := eng.RemoveVolume(c.Context(), n, force); err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintln(a.io.Out, n)
			}
			return joinErrors(a, errs)
		},
	}
	rm.Flags().BoolVarP(&force, "force", "f", false, "do not fail on volumes that do not exist")

	var pruneForce, pruneAll bool
	var pruneFilters []string
	prune := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused anonymous volumes (with -a, all unused volumes)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			f, err := volumePruneFilter(pruneFilters)
			if err != nil {
				return err
			}
			eng, err := a.engine()
			if err != nil {
				return err
			}
			if !pruneForce && !confirm(a, "WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ") {
				return nil
			}
			rep, err := eng.PruneVolumes(c.Context(), pruneAll, f)
			if err != nil {
				return err
			}
			printDeleted(a.io.Out, "Volumes", rep.Deleted)
			fmt.Fprintf(a.io.Out, "Total reclaimed space: %s\n", humanBytes(rep.SpaceReclaimed))
			return nil
		},
	}
	prune.Flags().BoolVarP(&pruneForce, "force", "f", false, "do not prompt for confirmation")
	prune.Flags().BoolVarP(&pruneAll, "all", "a", false, "remove all unused volumes, not just anonymous ones")
	listVar(prune.Flags(), &pruneFilters, "filter", "provide filter values (label=KEY[=VALUE], label!=KEY[=VALUE])")
	group.AddCommand(create, ls, inspect, rm, prune)
	return group
}

// volumePruneFilter parses the --filter values of a prune that includes
// volumes: docker's volume prune takes labels, not until=.
func volumePruneFilter(filters []string) (engine.PruneFilter, error) {
	f, err := parsePruneFilters(filters)
	if err != nil {
		return f, err
	}
	if i := slices.IndexFunc(filters, func(s string) bool { return strings.HasPrefix(s, "until=") }); i >= 0 {
		return f, fmt.Errorf("invalid filter '%s': %w: until is not supported for volumes", filters[i], engine.ErrInvalid)
	}
	return f, nil
}
