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
	if o.Memory != nil {
		if m := *o.Memory; m < 0 || (m > 0 && m < 6<<20) {
			return invalidf("minimum memory limit allowed is 6MB")
		}
		h.Memory = *o.Memory
	}
	if o.MemorySwap != nil {
		h.MemorySwap = *o.MemorySwap
	}
	if o.CPUShares != nil {
		h.CpuShares = *o.CPUShares
	}
	if o.NanoCPUs != nil {
		if *o.NanoCPUs < 0 {
			return invalidf("invalid --cpus")
		}
		h.NanoCpus = *o.NanoCPUs
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
	if err := rec.resources().Validate(); err != nil {
		return invalidf("%v", err)
	}
	if err := e.st.WriteContainerConfig(id, rec); err != nil {
		return fmt.Errorf("update container %s: %w", id[:12], err)
	}
	if st, err := e.readState(id); err == nil && active(st.Status) {
		cg, err := cgroups.Load(id)
		if err != nil {
			return fmt.Errorf("update container %s: %w", id[:12], err)
		}
		if err := cg.Update(rec.resources()); err != nil {
			return fmt.Errorf("update container %s: %w", id[:12], err)
		}
	}
	e.emit("container", "update", id, map[string]string{"name": rec.Name})
	return nil
}
