package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/berth-dev/berth/engine/cgroups"
	"github.com/berth-dev/berth/store"
)

// repairedDir holds one marker per store repaired since the host booted.
// It is under store.RunRoot, on /run, which a reboot empties.
const repairedDir = store.RunRoot + "/repaired"

// Repair runs RepairContainers and then RepairNetworks, and returns their
// errors joined. Commands that show or clean the whole store (the TUI,
// ps, prune) run it first, as a daemon would on its start.
func (e *Engine) Repair(ctx context.Context) error {
	return errors.Join(e.RepairContainers(ctx), e.RepairNetworks(ctx))
}

// RepairAfterBoot runs Repair if it has not run on this store since the
// host booted, which costs one stat when it has: after a reboot every
// container recorded as running is dead, and its leases, DNAT rules and
// cgroups are stale. It reports whether it repaired.
func (e *Engine) RepairAfterBoot(ctx context.Context) (bool, error) {
	marker := filepath.Join(repairedDir, e.st.RunName())
	if _, err := os.Stat(marker); err == nil {
		return false, nil
	}
	unlock, err := e.st.Lock("repair-boot")
	if err != nil {
		return false, err
	}
	defer unlock()
	if _, err := os.Stat(marker); err == nil {
		return false, nil // repaired by another process meanwhile
	}
	// A repair that fails (no iptables, say) is recorded all the same:
	// retrying it on every command would slow every command down, and the
	// commands that run Repair retry it.
	rerr := e.Repair(ctx)
	if err := os.MkdirAll(repairedDir, 0o700); err != nil {
		return true, errors.Join(rerr, fmt.Errorf("record repair: %w", err))
	}
	if err := os.WriteFile(marker, []byte(e.st.Root()+"\n"), 0o600); err != nil {
		return true, errors.Join(rerr, fmt.Errorf("record repair: %w", err))
	}
	return true, rerr
}

// RepairContainers puts the store's containers right after a crash, and is
// cheap enough to run whenever berth starts: containers left incomplete
// by a power loss are removed, containers recorded as
// running whose monitor is gone are recorded as exited ("container monitor
// died"), and their cgroups are removed (their processes killed). A
// cgroup named after an ID this store does not hold is left alone: it may
// belong to another store on the host (all share the berth cgroup
// parent), and removing a container removes its cgroup first, so this
// store leaves none behind. Containers mount nothing in
// the host's mount namespace (the rootfs is mounted inside each
// container's own), so there are no host mounts to clean except a killed
// export's, which removing the container unmounts. The runtime
// directories of removed containers, and of stores that are gone, go too.
func (e *Engine) RepairContainers(ctx context.Context) error {
	if err := e.st.RemoveIncompleteContainers(); err != nil {
		return err
	}
	if err := e.st.CollectRunDirs(); err != nil {
		e.log.Warn("repair", "err", err)
	}
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
