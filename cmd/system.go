package cmd

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Version is berth's version, set at build time with -ldflags.
var Version = "dev"

func systemCommands(a *app) []command {
	return []command{of(a, "version", versionCmd), of(a, "system", systemCmd), of(a, "info", infoCmd)}
}

func versionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Show the berth version",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			commit := "unknown"
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" {
						commit = s.Value
					}
				}
			}
			fmt.Fprintf(a.io.Out, "berth version %s\n Go version: %s\n Git commit: %s\n OS/Arch:    %s/%s\n",
				Version, runtime.Version(), commit, runtime.GOOS, runtime.GOARCH)
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
	system.AddCommand(dfCmd(a), infoCmd(a))
	return system
}
