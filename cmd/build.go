package cmd

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/engine"
)

func buildCommands(a *app) []command {
	return []command{of(a, "build", buildCmd), of(a, "builder", builderCmd)}
}

// builderCmd is the builder group: the build cache.
func builderCmd(a *app) *cobra.Command {
	group := &cobra.Command{
		Use:   "builder",
		Short: "Manage the build cache",
		Args:  cobra.NoArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	var force bool
	prune := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove the build cache",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			eng, err := a.engine()
			if err != nil {
				return err
			}
			if !force && !confirm(a, "WARNING! This will remove all build cache.\nAre you sure you want to continue? [y/N] ") {
				return nil
			}
			rep, err := eng.PruneBuildCache(c.Context(), time.Time{})
			if err != nil {
				return err
			}
			printDeleted(a.io.Out, "build cache objects", rep.Deleted)
			fmt.Fprintf(a.io.Out, "Total reclaimed space: %s\n", humanBytes(rep.SpaceReclaimed))
			return nil
		},
	}
	prune.Flags().BoolVarP(&force, "force", "f", false, "do not prompt for confirmation")
	group.AddCommand(prune)
	return group
}

func buildCmd(a *app) *cobra.Command {
	var o engine.BuildOptions
	var args []string
	var quiet bool
	c := &cobra.Command{
		Use:   "build [OPTIONS] PATH | -",
		Short: "Build an image from a Dockerfile",
		Long: `Build an image from the Dockerfile in PATH (or -f; "-f -" reads it from
standard input), with PATH as the build context. PATH "-" reads the
Dockerfile from standard input and builds without a context. A step already made with the same instruction, variables, files
and steps before it is taken from the build cache (intermediate images,
listed by images -a, removed by builder prune) unless --no-cache.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, pos []string) error {
			eng, err := a.engine()
			if err != nil {
				return err
			}
			o.ContextDir = pos[0]
			if o.ContextDir == "-" || o.Dockerfile == "-" {
				// The Dockerfile comes on standard input; with PATH "-"
				// there is no context (COPY and ADD have nothing to read).
				if o.DockerfileText, err = io.ReadAll(a.io.In); err != nil {
					return fmt.Errorf("read the Dockerfile from standard input: %w", err)
				}
				if o.ContextDir == "-" {
					empty, err := os.MkdirTemp("", "berth-build-")
					if err != nil {
						return err
					}
					defer os.RemoveAll(empty)
					o.ContextDir = empty
				}
			}
			if o.Dockerfile != "" && o.Dockerfile != "-" && !filepath.IsAbs(o.Dockerfile) {
				if _, err := os.Stat(o.Dockerfile); err != nil {
					o.Dockerfile = filepath.Join(o.ContextDir, o.Dockerfile)
				}
			}
			o.BuildArgs = map[string]string{}
			for _, kv := range args {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					if v, ok = os.LookupEnv(k); !ok {
						continue
					}
				}
				o.BuildArgs[k] = v
			}
			o.Out = a.io.Out
			if quiet {
				o.Out = io.Discard
			}
			sum, err := eng.Build(c.Context(), o)
			if err != nil {
				return err
			}
			if quiet {
				fmt.Fprintln(a.io.Out, sum.ID)
			}
			return nil
		},
	}
	f := c.Flags()
	listVarP(f, &o.Tags, "tag", "t", "name the image (REPO[:TAG]); repeatable")
	f.StringVarP(&o.Dockerfile, "file", "f", "", `the Dockerfile (default PATH/Dockerfile; "-" for standard input)`)
	listVar(f, &args, "build-arg", "set a build-time variable (KEY=VALUE, or KEY to take it from the environment)")
	f.StringVar(&o.Target, "target", "", "build the stage of this name and stop")
	f.StringVar(&o.NetworkMode, "network", "", "network of the RUN steps: bridge (default), host, none or a network's name")
	f.BoolVarP(&quiet, "quiet", "q", false, "print only the image ID")
	f.BoolVar(&o.NoCache, "no-cache", false, "run every step, though the build cache has it")
	return c
}
