package cmd

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/engine"
)

func buildCommands(a *app) []command {
	return []command{of(a, "build", buildCmd)}
}

func buildCmd(a *app) *cobra.Command {
	var o engine.BuildOptions
	var args []string
	var quiet, noCache bool
	c := &cobra.Command{
		Use:   "build [OPTIONS] PATH",
		Short: "Build an image from a Dockerfile",
		Long: `Build an image from the Dockerfile in PATH (or -f), with PATH as the build
context. Every step runs: berth keeps no build cache (--no-cache is accepted
and changes nothing). The images of the steps are removed at the end; only
the result stays.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, pos []string) error {
			eng, err := a.engine()
			if err != nil {
				return err
			}
			o.ContextDir = pos[0]
			if o.Dockerfile != "" && !filepath.IsAbs(o.Dockerfile) {
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
	f.StringArrayVarP(&o.Tags, "tag", "t", nil, "name the image (REPO[:TAG]); repeatable")
	f.StringVarP(&o.Dockerfile, "file", "f", "", "the Dockerfile (default PATH/Dockerfile)")
	f.StringArrayVar(&args, "build-arg", nil, "set a build-time variable (KEY=VALUE, or KEY to take it from the environment)")
	f.StringVar(&o.Target, "target", "", "build the stage of this name and stop")
	f.StringVar(&o.NetworkMode, "network", "", "network of the RUN steps: bridge (default), host, none or a network's name")
	f.BoolVarP(&quiet, "quiet", "q", false, "print only the image ID")
	f.BoolVar(&noCache, "no-cache", false, "accepted for docker's sake: berth keeps no build cache")
	return c
}
