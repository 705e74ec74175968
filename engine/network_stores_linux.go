package engine

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/berth-dev/berth/engine/network"
	"github.com/berth-dev/berth/store"
)

// netStoresDir holds one record per store whose networking made host
// resources (bridges with their routes, iptables chains): the file named
// after the store's interface prefix holds the store's root. It is under
// store.RunRoot, which a reboot empties, as it removes the resources.
const netStoresDir = store.RunRoot + "/netstores"

// register records n's store as the owner of the bridges and chains named
// with n's prefixes, so that they are collected once the store is gone.
func (n netNames) register() error {
	p := filepath.Join(netStoresDir, n.ifPrefix)
	if b, err := os.ReadFile(p); err == nil && string(b) == n.root {
		return nil
	}
	if err := os.MkdirAll(netStoresDir, 0o700); err != nil {
		return fmt.Errorf("record network owner: %w", err)
	}
	if err := os.WriteFile(p, []byte(n.root), 0o600); err != nil {
		return fmt.Errorf("record network owner: %w", err)
	}
	return nil
}

// hostRoutes returns the host's IPv4 routes, which a new network's subnet
// must not overlap, after collecting the bridges of deleted stores: a
// store directory removed with its networking still set up (a test's
// temporary root, say) would otherwise hold its subnets until a reboot.
func (n netNames) hostRoutes() ([]netip.Prefix, error) {
	collectDeadStores(n.root)
	return network.HostRoutes()
}

// collectDeadStores deletes the bridges and iptables chains of recorded
// stores whose root no longer exists, and their records. Stores that
// exist are left alone, running or not. Failures leave the record for the
// next try.
func collectDeadStores(self string) {
	ents, err := os.ReadDir(netStoresDir)
	if err != nil {
		return
	}
	for _, ent := range ents {
		p := filepath.Join(netStoresDir, ent.Name())
		b, err := os.ReadFile(p)
		if err != nil || len(b) == 0 {
			continue
		}
		root := string(b)
		if root == self {
			continue
		}
		if _, err := os.Stat(root); !errors.Is(err, os.ErrNotExist) {
			continue
		}
		names := netNamesOf(root)
		if names.ifPrefix != ent.Name() {
			continue
		}
		if err := names.removeHostResources(); err == nil {
			os.Remove(p)
		}
	}
}

// removeHostResources deletes the bridges and firewall chains named with
// n's prefixes.
func (n netNames) removeHostResources() error {
	links, err := network.LinksWithPrefix(n.ifPrefix)
	if err != nil {
		return err
	}
	var errs []error
	for _, l := range links {
		errs = append(errs, network.DeleteBridge(l))
	}
	if fw, err := n.firewall(); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs = append(errs, fw.Remove(ctx))
		cancel()
	}
	return errors.Join(errs...)
}
