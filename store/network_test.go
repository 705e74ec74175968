package store

import (
	"os"
	"testing"
)

func TestUpdateNetworks(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	add := func(id, ip string) error {
		return s.UpdateNetworks(func(db *NetworkDB) error {
			if db.Network("n") == nil {
				db.Networks = append(db.Networks, Network{ID: "0123abcd", Name: "n", Driver: "bridge"})
			}
			db.Endpoints = append(db.Endpoints, Endpoint{ID: id, Network: "0123abcd", Container: id, IP: ip})
			return nil
		})
	}
	for i, ip := range []string{"10.0.0.2", "10.0.0.3", "10.0.0.4"} {
		if err := add(string(rune('a'+i)), ip); err != nil {
			t.Fatal(err)
		}
	}
	db, err := s.ReadNetworks()
	if err != nil {
		t.Fatal(err)
	}
	if len(db.Endpoints) != 3 || db.Endpoints[2].IP != "10.0.0.4" {
		t.Fatalf("endpoints = %+v, want 3 ending with 10.0.0.4", db.Endpoints)
	}
	if n := db.Network("0123"); n == nil || n.Name != "n" {
		t.Errorf("Network(ID prefix) = %v, want n", n)
	}

	t.Run("torn write falls back to the previous state", func(t *testing.T) {
		cur, _ := s.readIPAM()
		// The next write goes to the other slot; tear it as a kill -9
		// between write and truncate would (new prefix, old tail).
		next := s.ipamPath(cur.Gen + 1)
		if err := os.WriteFile(next, []byte(`{"gen": 99, "endpoints": [{"id": "x"`), 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := s.ReadNetworks()
		if err != nil || len(db.Endpoints) != 3 {
			t.Fatalf("ReadNetworks with a torn slot = %d endpoints, %v, want the 3 of the intact slot", len(db.Endpoints), err)
		}
		if err := add("d", "10.0.0.5"); err != nil {
			t.Fatal(err)
		}
		db, _ = s.ReadNetworks()
		if len(db.Endpoints) != 4 {
			t.Errorf("after a write over the torn slot: %d endpoints, want 4", len(db.Endpoints))
		}
	})
	t.Run("failing update writes nothing", func(t *testing.T) {
		errBoom := os.ErrInvalid
		err := s.UpdateNetworks(func(db *NetworkDB) error {
			db.Endpoints = nil
			return errBoom
		})
		if err != errBoom {
			t.Fatalf("UpdateNetworks = %v, want fn's error", err)
		}
		db, _ := s.ReadNetworks()
		if len(db.Endpoints) != 4 {
			t.Errorf("failed update changed the endpoints: %d, want 4", len(db.Endpoints))
		}
	})
}
