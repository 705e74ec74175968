package network

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/berth-dev/berth/store"
)

const ipamHelperEnv = "BERTH_TEST_IPAM_HELPER"

// TestMain lets the test binary act as a second process leasing
// addresses from the same store.
func TestMain(m *testing.M) {
	if root := os.Getenv(ipamHelperEnv); root != "" {
		if err := leaseMany(root, os.Getenv("BERTH_TEST_IPAM_TAG"), 60); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// leaseMany creates n endpoints on network "net" and leases each an
// address, one store update per lease, as container starts do.
func leaseMany(root, tag string, n int) error {
	st, err := store.Open(root)
	if err != nil {
		return err
	}
	for i := range n {
		err := st.UpdateNetworks(func(db *store.NetworkDB) error {
			nw := db.Network("net")
			if nw == nil {
				return fmt.Errorf("network net missing")
			}
			db.Endpoints = append(db.Endpoints, store.Endpoint{ID: RandomID(), Network: nw.ID, Container: tag + strconv.Itoa(i)})
			_, err := Lease(db, nw, &db.Endpoints[len(db.Endpoints)-1])
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func TestLeaseConcurrentProcesses(t *testing.T) {
	root := t.TempDir()
	st, err := store.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	err = st.UpdateNetworks(func(db *store.NetworkDB) error {
		db.Networks = append(db.Networks, store.Network{ID: RandomID(), Name: "net", Driver: "bridge", Bridge: "btestipam", Subnet: "10.77.0.0/24", Gateway: "10.77.0.1"})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var cmds []*exec.Cmd
	for _, tag := range []string{"a", "b", "c"} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), ipamHelperEnv+"="+root, "BERTH_TEST_IPAM_TAG="+tag)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("helper process: %v", err)
		}
	}
	db, err := st.ReadNetworks()
	if err != nil {
		t.Fatal(err)
	}
	if len(db.Endpoints) != 180 {
		t.Fatalf("%d endpoints recorded, want 180: an update was lost", len(db.Endpoints))
	}
	seen := map[string]string{}
	for _, ep := range db.Endpoints {
		if ep.IP == "" {
			t.Fatalf("endpoint of %s has no address", ep.Container)
		}
		if other, dup := seen[ep.IP]; dup {
			t.Errorf("address %s leased to both %s and %s", ep.IP, other, ep.Container)
		}
		seen[ep.IP] = ep.Container
	}
}

func TestLeaseRelease(t *testing.T) {
	db := &store.NetworkDB{Networks: []store.Network{{ID: "n1", Name: "net", Driver: "bridge", Bridge: "b", Subnet: "10.77.0.0/30", Gateway: "10.77.0.1"}}}
	db.Endpoints = []store.Endpoint{{ID: "e1", Network: "n1", Container: "c1"}, {ID: "e2", Network: "n1", Container: "c2"}}
	ip, err := Lease(db, &db.Networks[0], &db.Endpoints[0])
	if err != nil || ip.String() != "10.77.0.2" {
		t.Fatalf("Lease = %v, %v, want 10.77.0.2", ip, err)
	}
	if _, err := Lease(db, &db.Networks[0], &db.Endpoints[1]); err == nil {
		t.Fatalf("Lease in a full /30 = nil error, want ErrPoolExhausted")
	}
	Release(&db.Endpoints[0])
	if ip, err := Lease(db, &db.Networks[0], &db.Endpoints[1]); err != nil || ip.String() != "10.77.0.2" {
		t.Errorf("Lease after Release = %v, %v, want the freed 10.77.0.2", ip, err)
	}
}
