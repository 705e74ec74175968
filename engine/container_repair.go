package engine

import (
	"context"
	"os"

	"github.com/berth-dev/berth/engine/cgroups"
)

// RepairContainers puts the store's containers right after a crash, and is
// cheap enough to run whenever berth starts: containers recorded as
// running whose monitor is gone are recorded as exited ("container monitor
// died"), and their cgroups are removed (their processes killed). A
// cgroup named after an ID this store does not hold is left alone: it may
// belong to another store on the host (all share the berth cgroup
// parent), and removing a container removes its cgroup first, so this
// store leaves none behind. Containers mount nothing in
// the host's mount namespace (the rootfs is mounted inside each
// container's own), so there are no host mounts to clean except a killed
// export's, which removing the container unmounts.
func (e *Engine) RepairContainers(ctx context.Context) error {
	ids, err := e.st.ContainerIDs()
	if err != nil {
		return err
	}
	live := map[string]bool{}
	for _, id := range ids {
		st, err := e.readState(id) // records dead monitors
		if err != nil {
			continue
		}
		if active(st.Status) {
			live[id] = true
		}
	}
	// A container being started right now has its monitor lock held
	// before its cgroup exists, so it reads as live here.
	return cgroups.CleanupOrphans(ctx, func(id string) bool {
		if live[id] {
			return true
		}
		if _, err := os.Stat(e.st.Container(id).Dir); err != nil {
			return true // not ours
		}
		unlock, ok, err := e.tryMonitorLock(id)
		if err != nil || !ok {
			return true
		}
		unlock()
		return false
	})
}
