package engine

import (
	"context"
	"fmt"

	"github.com/berth-dev/berth/engine/cgroups"
)

// UpdateOptions are the settings berth update changes; nil leaves one as
// it is.
type UpdateOptions struct {
	// Memory is the memory limit in bytes; 0 removes it.
	Memory *int64
	// MemorySwap limits memory plus swap; 0 means twice Memory, -1
	// unlimited.
	MemorySwap *int64
	// CPUShares is the relative CPU weight; 0 means 1024.
	CPUShares *int64
	// NanoCPUs is the CPU limit in billionths of a CPU; 0 removes it.
	NanoCPUs *int64
	// PidsLimit limits processes; 0 or -1 removes the limit.
	PidsLimit *int64
	// CPUPeriod and CPUQuota are the CPU bandwidth in microseconds; 0
	// resets the period to 100 ms and removes the quota.
	CPUPeriod, CPUQuota *int64
	// CpusetCPUs and CpusetMems are the CPUs and memory nodes the
	// container may use; "" gives it all.
	CpusetCPUs, CpusetMems *string
	// MemoryReservation is the soft memory limit; 0 removes it.
	MemoryReservation *int64
	// BlkioWeight is the relative block I/O weight (10..1000); 0 leaves
	// it as it is, as in docker.
	BlkioWeight *uint16
	// Restart is a restart policy, as for create.
	Restart *string
}

// Update changes the limits and restart policy of container ref, as docker
// update does: the record at once, and a running container's cgroup too;
// a new restart policy applies from the container's next exit. A
// container removed on exit (--rm) keeps its policy ("no").
func (e *Engine) Update(ctx context.Context, ref string, o UpdateOptions) error {
	rec, unlock, err := e.lockedRecord(ctx, ref)
	if err != nil {
		return err
	}
	defer unlock()
	id := rec.ID
	h := &rec.HostConfig
	setGiven(&h.Memory, o.Memory)
	setGiven(&h.MemorySwap, o.MemorySwap)
	setGiven(&h.MemoryReservation, o.MemoryReservation)
	setGiven(&h.CpuShares, o.CPUShares)
	setGiven(&h.NanoCpus, o.NanoCPUs)
	setGiven(&h.CpuPeriod, o.CPUPeriod)
	setGiven(&h.CpuQuota, o.CPUQuota)
	setGiven(&h.CpusetCpus, o.CpusetCPUs)
	setGiven(&h.CpusetMems, o.CpusetMems)
	if o.BlkioWeight != nil && *o.BlkioWeight != 0 {
		h.BlkioWeight = *o.BlkioWeight
	}
	if o.PidsLimit != nil {
		h.PidsLimit = nil
		if n := *o.PidsLimit; n > 0 {
			h.PidsLimit = &n
		}
	}
	if o.Restart != nil {
		if h.AutoRemove {
			return invalidf("cannot update the restart policy of a container removed on exit (--rm)")
		}
		if h.RestartPolicy, err = parseRestartPolicy(*o.Restart); err != nil {
			return err
		}
	}
	if err := h.checkLimits(); err != nil {
		return err
	}
	if err := e.st.WriteContainerConfig(id, rec); err != nil {
		return fmt.Errorf("update container %s: %w", id[:12], err)
	}
	if st, err := e.readState(id); err == nil && active(st.Status) {
		cg, err := cgroups.Load(id)
		if err != nil {
			return fmt.Errorf("update container %s: %w", id[:12], err)
		}
		res, err := rec.resources()
		if err == nil {
			err = cg.Update(res)
		}
		if err != nil {
			return fmt.Errorf("update container %s: %w", id[:12], err)
		}
	}
	e.emit("container", "update", id, map[string]string{"name": rec.Name})
	return nil
}

// setGiven sets *dst to *v, if v is not nil.
func setGiven[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// limits returns the cgroup limits h sets, without the device rules.
func (h *HostConfig) limits() cgroups.Resources {
	r := cgroups.Resources{
		MemoryLimit:       h.Memory,
		MemorySwap:        h.MemorySwap,
		MemoryReservation: h.MemoryReservation,
		CPUShares:         h.CpuShares,
		CPUQuota:          float64(h.NanoCpus) / 1e9,
		CFSPeriod:         h.CpuPeriod,
		CFSQuota:          h.CpuQuota,
		CpusetCPUs:        h.CpusetCpus,
		CpusetMems:        h.CpusetMems,
		OOMKillDisable:    h.OomKillDisable,
		BlkioWeight:       h.BlkioWeight,
	}
	if h.PidsLimit != nil {
		r.PidsLimit = *h.PidsLimit
	}
	if s := h.MemorySwappiness; s != nil && *s >= 0 {
		v := uint64(*s)
		r.MemorySwappiness = &v
	}
	return r
}

// takeLimits sets the limits of h that berth update changes to those of
// from.
func (h *HostConfig) takeLimits(from *HostConfig) {
	h.Memory, h.MemorySwap, h.MemoryReservation = from.Memory, from.MemorySwap, from.MemoryReservation
	h.CpuShares, h.NanoCpus, h.CpuPeriod, h.CpuQuota = from.CpuShares, from.NanoCpus, from.CpuPeriod, from.CpuQuota
	h.CpusetCpus, h.CpusetMems, h.PidsLimit = from.CpusetCpus, from.CpusetMems, from.PidsLimit
	h.BlkioWeight = from.BlkioWeight
}

// checkLimits checks the cgroup limits of h, with docker's messages, and
// that its cpuset names CPUs and memory nodes this host has online.
func (h *HostConfig) checkLimits() error {
	switch {
	case h.Memory < 0 || (h.Memory > 0 && h.Memory < 6<<20):
		return invalidf("minimum memory limit allowed is 6MB")
	case h.MemoryReservation < 0 || (h.MemoryReservation > 0 && h.MemoryReservation < 6<<20):
		return invalidf("minimum memory reservation allowed is 6MB")
	case h.Memory > 0 && h.MemoryReservation > h.Memory:
		return invalidf("minimum memory limit can not be less than memory reservation limit, see usage")
	case h.NanoCpus < 0:
		return invalidf("invalid --cpus")
	case h.NanoCpus > 0 && h.CpuPeriod != 0:
		return invalidf("conflicting options: --cpus and --cpu-period cannot both be set")
	case h.NanoCpus > 0 && h.CpuQuota > 0:
		return invalidf("conflicting options: --cpus and --cpu-quota cannot both be set")
	case h.CpuPeriod != 0 && (h.CpuPeriod < 1000 || h.CpuPeriod > 1000000):
		return invalidf("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1 second (i.e. 1000000)")
	case h.CpuQuota < -1 || (h.CpuQuota > 0 && h.CpuQuota < 1000):
		return invalidf("CPU cfs quota can not be less than 1ms (i.e. 1000)")
	case h.MemorySwappiness != nil && (*h.MemorySwappiness < 0 || *h.MemorySwappiness > 100):
		return invalidf("Invalid value: %d, valid memory swappiness range is 0-100", *h.MemorySwappiness)
	case h.BlkioWeight != 0 && (h.BlkioWeight < 10 || h.BlkioWeight > 1000):
		return invalidf("Range of blkio weight is from 10 to 1000")
	}
	if err := cgroups.CheckCpuset(h.CpusetCpus, h.CpusetMems); err != nil {
		return invalidf("%v", err)
	}
	r := h.limits()
	var err error
	if r.BlkioDevices, err = h.blockLimits(); err != nil {
		return err
	}
	if err := r.Validate(); err != nil {
		return invalidf("%v", err)
	}
	return nil
}
