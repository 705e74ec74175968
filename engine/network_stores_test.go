package engine

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/berth-dev/berth/engine/network"
	"github.com/berth-dev/berth/store"
)

func TestDeadStoreNetworksCollected(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create bridges")
	}
	open := func(root string) *Engine {
		st, err := store.Open(root)
		if err != nil {
			t.Fatal(err)
		}
		e := New(st, nil)
		t.Cleanup(func() { e.ResetNetworking(context.Background()) })
		return e
	}
	dir := t.TempDir()
	gone := open(filepath.Join(dir, "gone"))
	if _, err := gone.CreateNetwork(t.Context(), "n1", NetworkCreateOptions{}); err != nil {
		t.Fatalf("CreateNetwork on the store to delete: %v", err)
	}
	names := gone.netNames()
	if links, err := network.LinksWithPrefix(names.ifPrefix); err != nil || len(links) == 0 {
		t.Fatalf("bridges of the store = %v, %v, want its network's bridge", links, err)
	}
	if err := os.RemoveAll(gone.st.Root()); err != nil {
		t.Fatal(err)
	}

	live := open(filepath.Join(dir, "live"))
	if _, err := live.CreateNetwork(t.Context(), "n2", NetworkCreateOptions{}); err != nil {
		t.Fatalf("CreateNetwork on another store: %v", err)
	}
	if links, err := network.LinksWithPrefix(names.ifPrefix); err != nil || len(links) != 0 {
		t.Errorf("bridges of the deleted store after another store picked a subnet = %v, %v, want none", links, err)
	}
	if _, err := os.Stat(filepath.Join(netStoresDir, names.ifPrefix)); !os.IsNotExist(err) {
		t.Errorf("record of the deleted store: %v, want it removed", err)
	}
	if links, err := network.LinksWithPrefix(live.netNames().ifPrefix); err != nil || len(links) == 0 {
		t.Errorf("bridges of the live store = %v, %v, want its network's bridge kept", links, err)
	}
}
