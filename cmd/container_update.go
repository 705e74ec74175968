package cmd

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/engine"
)

// updateCmd is docker update: new limits and restart policy for
// containers, running or not.
func updateCmd(a *app) *cobra.Command {
	var memory, memorySwap, memoryRes, cpus, cpusetCPUs, cpusetMems, restart string
	var pidsLimit, cpuShares, cpuPeriod, cpuQuota int64
	c := &cobra.Command{
		Use:   "update [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Update configuration of one or more containers",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var o engine.UpdateOptions
			flags := c.Flags()
			if flags.Changed("memory") {
				m, err := parseBytes(memory)
				if err != nil {
					return &ExitError{Code: 1, Err: fmt.Errorf("invalid argument %q for \"-m, --memory\" flag: %w", memory, err)}
				}
				o.Memory = &m
			}
			if flags.Changed("memory-swap") {
				m, err := parseSwap(memorySwap)
				if err != nil {
					return &ExitError{Code: 1, Err: err}
				}
				o.MemorySwap = &m
			}
			if flags.Changed("memory-reservation") {
				m, err := parseBytes(memoryRes)
				if err != nil {
					return &ExitError{Code: 1, Err: fmt.Errorf("invalid argument %q for \"--memory-reservation\" flag: %w", memoryRes, err)}
				}
				o.MemoryReservation = &m
			}
			if flags.Changed("cpu-shares") {
				o.CPUShares = &cpuShares
			}
			if flags.Changed("cpu-period") {
				o.CPUPeriod = &cpuPeriod
			}
			if flags.Changed("cpu-quota") {
				o.CPUQuota = &cpuQuota
			}
			if flags.Changed("cpuset-cpus") {
				o.CpusetCPUs = &cpusetCPUs
			}
			if flags.Changed("cpuset-mems") {
				o.CpusetMems = &cpusetMems
			}
			if flags.Changed("cpus") {
				v, err := strconv.ParseFloat(cpus, 64)
				if err != nil || v < 0 {
					return &ExitError{Code: 1, Err: fmt.Errorf("invalid argument %q for \"--cpus\" flag: not a number", cpus)}
				}
				n := int64(v * 1e9)
				o.NanoCPUs = &n
			}
			if flags.Changed("pids-limit") {
				o.PidsLimit = &pidsLimit
			}
			if flags.Changed("restart") {
				o.Restart = &restart
			}
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
	c.Flags().StringVar(&restart, "restart", "", "restart policy to apply when a container exits")
	return c
}
