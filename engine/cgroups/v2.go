package cgroups

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
)

// applyV2 writes r to the v2 control files of the cgroup. Every limit of
// an enabled controller is written, a zero field as "max"; in fresh
// directories (see apply) a zero field is left alone.
func (c *Cgroup) applyV2(r Resources, fresh bool) error {
	on := subtreeControl(filepath.Dir(c.unified))
	need := func(ctrl string, needed bool) (bool, error) {
		if slices.Contains(on, ctrl) {
			return true, nil
		}
		if needed {
			return false, fmt.Errorf("%s controller: %w", ctrl, ErrUnsupported)
		}
		return false, nil
	}
	d := c.unified
	// v2 has neither: the kernel's swappiness is global, and a cgroup
	// at its memory.max always gets the OOM killer.
	if r.MemorySwappiness != nil {
		return fmt.Errorf("memory swappiness: %w", ErrUnsupported)
	}
	if r.OOMKillDisable {
		return fmt.Errorf("disabling the OOM killer: %w", ErrUnsupported)
	}
	if ok, err := need("memory", r.MemoryLimit > 0 || r.MemoryReservation > 0); err != nil {
		return err
	} else if ok && !(fresh && r.memoryDefault()) {
		mem := "max"
		if r.MemoryLimit > 0 {
			mem = strconv.FormatInt(r.MemoryLimit, 10)
		}
		if err := writeFile(d, "memory.max", mem); err != nil {
			return fmt.Errorf("set memory limit: %w", err)
		}
		// memory.swap.max is swap alone; it is missing without swap
		// accounting, and docker then ignores the swap limit.
		if exists(d, "memory.swap.max") {
			sw := "max"
			if l := r.memswLimit(); l >= 0 {
				sw = strconv.FormatInt(l-r.MemoryLimit, 10)
			}
			if err := writeFile(d, "memory.swap.max", sw); err != nil {
				return fmt.Errorf("set swap limit: %w", err)
			}
		}
		if !(fresh && r.MemoryReservation == 0) {
			if err := writeFile(d, "memory.low", strconv.FormatInt(r.MemoryReservation, 10)); err != nil {
				return fmt.Errorf("set memory reservation: %w", err)
			}
		}
	}
	if ok, err := need("cpu", !r.cpuDefault()); err != nil {
		return err
	} else if ok && !(fresh && r.cpuDefault()) {
		q, period := r.cfs()
		quota := "max"
		if q > 0 {
			quota = strconv.FormatInt(q, 10)
		}
		if err := writeFile(d, "cpu.max", quota+" "+strconv.FormatInt(period, 10)); err != nil {
			return fmt.Errorf("set cpu quota: %w", err)
		}
		if err := writeFile(d, "cpu.weight", strconv.FormatUint(sharesToWeight(r.CPUShares), 10)); err != nil {
			return fmt.Errorf("set cpu weight: %w", err)
		}
	}
	if ok, err := need("pids", r.PidsLimit > 0); err != nil {
		return err
	} else if ok && !(fresh && r.PidsLimit <= 0) {
		if err := writeFile(d, "pids.max", pidsMax(r.PidsLimit)); err != nil {
			return fmt.Errorf("set pids limit: %w", err)
		}
	}
	if ok, err := need("cpuset", r.CpusetCPUs != "" || r.CpusetMems != ""); err != nil {
		return err
	} else if ok && !(fresh && r.CpusetCPUs == "" && r.CpusetMems == "") {
		// An empty list takes the parent's CPUs and nodes.
		if err := writeFile(d, "cpuset.cpus", r.CpusetCPUs); err != nil {
			return fmt.Errorf("set cpuset.cpus: %w", err)
		}
		if err := writeFile(d, "cpuset.mems", r.CpusetMems); err != nil {
			return fmt.Errorf("set cpuset.mems: %w", err)
		}
	}
	if ok, err := need("io", r.blkioSet()); err != nil {
		return err
	} else if ok {
		if err := setBlkioV2(d, r); err != nil {
			return err
		}
	}
	if err := c.setDevicesV2(r.Devices); err != nil {
		return err
	}
	return nil
}

// sharesToWeight converts v1 cpu.shares (2..262144) to v2 cpu.weight
// (1..10000) with runc's formula; 0 gives the v2 default, 100.
func sharesToWeight(shares int64) uint64 {
	if shares == 0 {
		return 100
	}
	return uint64(1 + ((shares-2)*9999)/262142)
}
