package cmd

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/berth-dev/berth/engine"
)

// updateCmd is docker update: new limits and restart policy for
// containers, running or not.
func updateCmd(a *app) *cobra.Command {
	var memory, memorySwap, memoryRes, cpus, cpusetCPUs, cpusetMems, restart string
	var pidsLimit, cpuShares, cpuPeriod, cpuQuota int64
	var blkioWeight uint16
	c := &cobra.Command{
		Use:   "update [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Update configuration of one or more containers",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var o engine.UpdateOptions
			flags := c.Flags()
			var err error
			if o.Memory, err = changedBytes(flags, "memory", "-m, --memory"); err != nil {
				return err
			}
			if flags.Changed("memory-swap") {
				m, err := parseSwap(memorySwap)
				if err != nil {
					return &ExitError{Code: 1, Err: err}
				}
				o.MemorySwap = &m
			}
			if o.MemoryReservation, err = changedBytes(flags, "memory-reservation", "--memory-reservation"); err != nil {
				return err
			}
			o.CPUShares = changed(flags, "cpu-shares", &cpuShares)
			o.CPUPeriod = changed(flags, "cpu-period", &cpuPeriod)
			o.CPUQuota = changed(flags, "cpu-quota", &cpuQuota)
			o.CpusetCPUs = changed(flags, "cpuset-cpus", &cpusetCPUs)
			o.CpusetMems = changed(flags, "cpuset-mems", &cpusetMems)
			if flags.Changed("cpus") {
				v, err := strconv.ParseFloat(cpus, 64)
				if err != nil || v < 0 {
					return &ExitError{Code: 1, Err: fmt.Errorf("invalid argument %q for \"--cpus\" flag: not a number", cpus)}
				}
				n := int64(v * 1e9)
				o.NanoCPUs = &n
			}
			o.PidsLimit = changed(flags, "pids-limit", &pidsLimit)
			o.BlkioWeight = changed(flags, "blkio-weight", &blkioWeight)
			o.Restart = changed(flags, "restart", &restart)
			if o == (engine.UpdateOptions{}) {
				return &ExitError{Code: 1, Err: fmt.Errorf("you must provide one or more flags when using this command")}
			}
			return eachContainer(a, args, func(eng *engine.Engine, ref string) error {
				if err := eng.Update(c.Context(), ref, o); err != nil {
					return err
				}
				fmt.Fprintln(a.io.Out, ref)
				return nil
			})
		},
	}
	c.Flags().StringVarP(&memory, "memory", "m", "", "memory limit (e.g. 64m, 1g; 0 for none)")
	c.Flags().StringVar(&memorySwap, "memory-swap", "", "swap limit equal to memory plus swap: -1 to enable unlimited swap")
	c.Flags().StringVar(&cpus, "cpus", "", "number of CPUs (0 for no limit)")
	c.Flags().StringVar(&memoryRes, "memory-reservation", "", "memory soft limit (0 for none)")
	c.Flags().Int64VarP(&cpuShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	c.Flags().Int64Var(&cpuPeriod, "cpu-period", 0, "limit CPU CFS (Completely Fair Scheduler) period, in microseconds")
	c.Flags().Int64Var(&cpuQuota, "cpu-quota", 0, "limit CPU CFS (Completely Fair Scheduler) quota, in microseconds")
	c.Flags().StringVar(&cpusetCPUs, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	c.Flags().StringVar(&cpusetMems, "cpuset-mems", "", "memory nodes (MEMs) in which to allow execution (0-3, 0,1)")
	c.Flags().Int64Var(&pidsLimit, "pids-limit", 0, "tune container pids limit (-1 for unlimited)")
	c.Flags().Uint16Var(&blkioWeight, "blkio-weight", 0, "block IO (relative weight), between 10 and 1000, or 0 to disable")
	c.Flags().StringVar(&restart, "restart", "", "restart policy to apply when a container exits")
	return c
}

// changed returns v if the flag name was given, else nil.
func changed[T any](flags *pflag.FlagSet, name string, v *T) *T {
	if flags.Changed(name) {
		return v
	}
	return nil
}

// changedBytes parses the size the flag name (shown as label in errors)
// was given, or returns nil if it was not.
func changedBytes(flags *pflag.FlagSet, name, label string) (*int64, error) {
	if !flags.Changed(name) {
		return nil, nil
	}
	v := flags.Lookup(name).Value.String()
	n, err := parseBytes(v)
	if err != nil {
		return nil, &ExitError{Code: 1, Err: fmt.Errorf("invalid argument %q for \"%s\" flag: %w", v, label, err)}
	}
	return &n, nil
}
