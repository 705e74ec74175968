package cmd

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/engine"
)

// Version is berth's version and Commit the commit it was built from,
// both set at build time with -ldflags; without them Commit comes from
// the build's own VCS stamp, if any.
var (
	Version = "dev"
	Commit  = ""
)

// commit returns the commit berth was built from, or "unknown".
func commit() string {
	if Commit != "" {
		return Commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 7 {
				return s.Value[:7]
			}
		}
	}
	return "unknown"
}

func systemCommands(a *app) []command {
	return []command{of(a, "version", versionCmd), of(a, "system", systemCmd), of(a, "info", infoCmd)}
}

func versionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Show the berth version",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			fmt.Fprintf(a.io.Out, "berth version %s\n Go version: %s\n Git commit: %s\n OS/Arch:    %s/%s\n",
				Version, runtime.Version(), commit(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}

func systemCmd(a *app) *cobra.Command {
	system := &cobra.Command{
		Use:   "system",
		Short: "Manage berth",
		Args:  cobra.NoArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	system.AddCommand(dfCmd(a), infoCmd(a), systemPruneCmd(a))
	return system
}

// systemPruneCmd is docker system prune: stopped containers, then unused
// networks, anonymous volumes (with --volumes) and dangling images (all
// unused ones with -a), as the separate prunes do them. --filter narrows
// each of them; the build cache takes only until=, as docker's ignores
// labels.
func systemPruneCmd(a *app) *cobra.Command {
	var all, volumes, force bool
	var filters []string
	c := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused data",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			// As docker's: its volume prune has no until filter; the
			// check comes first, as failing after the rest would leave
			// half a prune.
			parse := parsePruneFilters
			if volumes {
				parse = volumePruneFilter
			}
			f, err := parse(filters)
			if err != nil {
				return err
			}
			eng, err := a.repairedEngine(c.Context())
			if err != nil {
				return err
			}
			if !force {
				q := "WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n"
				if volumes {
					q += "  - all anonymous volumes not used by at least one container\n"
				}
				if all {
					q += "  - all images without at least one container associated to them\n"
				} else {
					q += "  - all dangling images\n"
				}
				q += "  - all build cache\n"
				if len(filters) > 0 {
					q += "\n  Elements to be pruned will be filtered with:\n"
					for _, s := range filters {
						q += "  - " + s + "\n"
					}
				}
				if !confirm(a, q+"\nAre you sure you want to continue? [y/N] ") {
					return nil
				}
			}
			ctx := c.Context()
			containers, err := eng.PruneContainers(ctx, f)
			if err != nil {
				return err
			}
			printDeleted(a.io.Out, "Containers", containers.Deleted)
			networks, err := eng.PruneNetworks(ctx, f)
			printDeleted(a.io.Out, "Networks", networks)
			if err != nil {
				return err
			}
			var vols engine.PruneReport
			if volumes {
				if vols, err = eng.PruneVolumes(ctx, false, f); err != nil {
					return err
				}
				printDeleted(a.io.Out, "Volumes", vols.Deleted)
			}
			images, err := eng.PruneImages(ctx, all, f)
			if err != nil {
				return err
			}
			deleted := make([]string, len(images.Deleted))
			for i, d := range images.Deleted {
				deleted[i] = "deleted: " + d
			}
			printDeleted(a.io.Out, "Images", deleted)
			cache, err := eng.PruneBuildCache(ctx, f.Until)
			if err != nil {
				return err
			}
			printDeleted(a.io.Out, "build cache objects", cache.Deleted)
			total := containers.SpaceReclaimed + vols.SpaceReclaimed + images.SpaceReclaimed + cache.SpaceReclaimed
			fmt.Fprintf(a.io.Out, "Total reclaimed space: %s\n", humanBytes(total))
			return nil
		},
	}
	c.Flags().BoolVarP(&all, "all", "a", false, "remove all unused images, not just dangling ones")
	c.Flags().BoolVar(&volumes, "volumes", false, "prune anonymous volumes")
	c.Flags().BoolVarP(&force, "force", "f", false, "do not prompt for confirmation")
	listVar(c.Flags(), &filters, "filter", "provide filter values (until=TIME, label=KEY[=VALUE], label!=KEY[=VALUE])")
	return c
}

// printDeleted lists what a prune deleted under "Deleted TITLE:", as
// docker does; nothing if it deleted nothing.
func printDeleted(w io.Writer, title string, ids []string) {
	if len(ids) == 0 {
		return
	}
	fmt.Fprintf(w, "Deleted %s:\n", title)
	for _, id := range ids {
		fmt.Fprintln(w, id)
	}
	fmt.Fprintln(w)
}
