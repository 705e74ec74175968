package cmd

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/engine"
)

// dfCmd is `system df`.
func dfCmd(a *app) *cobra.Command {
	var verbose bool
	var format string
	c := &cobra.Command{
		Use:   "df [OPTIONS]",
		Short: "Show disk usage",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			eng, err := a.engine()
			if err != nil {
				return err
			}
			du, err := eng.DiskUsage(c.Context())
			if err != nil {
				return err
			}
			if verbose {
				return printDiskUsageVerbose(a.io.Out, du)
			}
			type row struct {
				Type, TotalCount, Active, Size, Reclaimable string
			}
			mk := func(t string, u engine.UsageRow) any {
				rec := humanBytes(u.Reclaimable)
				if u.Size > 0 {
					rec += fmt.Sprintf(" (%d%%)", u.Reclaimable*100/u.Size)
				}
				return row{Type: t, TotalCount: fmt.Sprint(u.Total), Active: fmt.Sprint(u.Active), Size: humanBytes(u.Size), Reclaimable: rec}
			}
			rows := []any{mk("Images", du.Images), mk("Containers", du.Containers), mk("Local Volumes", du.Volumes), mk("Build Cache", du.BuildCache)}
			tf, err := newTableFormat(format, "{{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}", "TYPE\tTOTAL\tACTIVE\tSIZE\tRECLAIMABLE")
			if err != nil {
				return err
			}
			return tf.print(a.io.Out, rows)
		},
	}
	c.Flags().BoolVarP(&verbose, "verbose", "v", false, "show detailed information on space usage")
	c.Flags().StringVar(&format, "format", "", "format output: table, json, 'table TEMPLATE' or a Go template")
	return c
}

func printDiskUsageVerbose(w io.Writer, du engine.DiskUsage) error {
	tw := tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
	fmt.Fprintln(tw, "Images space usage:")
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\tSHARED SIZE\tUNIQUE SIZE\tCONTAINERS")
	for _, iu := range du.ImageDetails {
		for _, r := range imageRows([]engine.ImageSummary{iu.ImageSummary}, false) {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", r.Repository, r.Tag, r.ID, r.CreatedSince, r.Size,
				humanBytes(iu.SharedSize), humanBytes(iu.UniqueSize), iu.Containers)
		}
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "Containers space usage:")
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "CONTAINER ID\tIMAGE\tSIZE\tSTATUS\tNAMES")
	for _, cu := range du.ContainerDetails {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", shortID(cu.ID), cu.Image, humanBytes(cu.Size), cu.Status, strings.TrimPrefix(cu.Name, "/"))
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "Local Volumes space usage:")
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "VOLUME NAME\tLINKS\tSIZE")
	for _, vu := range du.VolumeDetails {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", vu.Name, vu.Links, humanBytes(vu.Size))
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "Build cache usage: 0B")
	return tw.Flush()
}

// infoCmd is `info`.
func infoCmd(a *app) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "info [OPTIONS]",
		Short: "Display system-wide information",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			eng, err := a.engine()
			if err != nil {
				return err
			}
			in, err := eng.Info(c.Context())
			if err != nil {
				return err
			}
			if format != "" {
				return printInspect(a.io.Out, format, []any{in})
			}
			w := a.io.Out
			fmt.Fprintf(w, "Client:\n Version:    %s\n Context:    default\n\n", Version)
			fmt.Fprintf(w, "Server:\n")
			fmt.Fprintf(w, " Containers: %d\n  Running: %d\n  Paused: %d\n  Stopped: %d\n", in.Containers, in.ContainersRunning, in.ContainersPaused, in.ContainersStopped)
			fmt.Fprintf(w, " Images: %d\n", in.Images)
			fmt.Fprintf(w, " Server Version: %s (daemonless)\n", Version)
			fmt.Fprintf(w, " Storage Driver: %s\n  Backing Filesystem: %s\n", in.StorageDriver, in.BackingFilesystem)
			fmt.Fprintf(w, " Cgroup Version: %s\n", in.CgroupVersion)
			fmt.Fprintf(w, " Kernel Version: %s\n Operating System: %s\n OSType: %s\n Architecture: %s\n", in.KernelVersion, in.OperatingSystem, in.OSType, in.Architecture)
			fmt.Fprintf(w, " CPUs: %d\n Total Memory: %s\n Name: %s\n", in.NCPU, humanBinary(in.MemTotal), in.Name)
			fmt.Fprintf(w, " Berth Root Dir: %s\n Parallel Layer Pulls: %d\n", in.RootDir, in.ParallelPulls)
			fmt.Fprintf(w, " Insecure Registries:\n")
			for _, r := range in.InsecureRegistries {
				fmt.Fprintf(w, "  %s\n", r)
			}
			return nil
		},
	}
	c.Flags().StringVarP(&format, "format", "f", "", "format output with a Go template")
	return c
}

// humanBinary formats n in binary units as docker info prints memory:
// 23.54GiB.
func humanBinary(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	f := float64(n)
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	return fmt.Sprintf("%.4g%s", f, units[i])
}
