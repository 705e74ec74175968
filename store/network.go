package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Network is the record of one network: docker's predefined bridge, host
// and none networks and the networks users create.
type Network struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Driver string `json:"driver"` // bridge, host or null
	// Bridge is the Linux bridge interface of a bridge network.
	Bridge string `json:"bridge,omitempty"`
	// Subnet and Gateway are in CIDR and dotted form ("172.30.0.0/16",
	// "172.30.0.1"); empty for host and none.
	Subnet   string            `json:"subnet,omitempty"`
	Gateway  string            `json:"gateway,omitempty"`
	Internal bool              `json:"internal,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
	Created  time.Time         `json:"created"`
}

// Endpoint is one container's attachment to one network. It exists from
// the time the container is created on (or connected to) the network until
// it is disconnected or removed. The fields after Aliases describe the
// live attachment and are set only while the container runs: an IP
// address in them is leased and no other endpoint of the network holds it.
type Endpoint struct {
	ID        string   `json:"id"`
	Network   string   `json:"network"` // network ID
	Container string   `json:"container"`
	Name      string   `json:"name,omitempty"`     // container name, resolvable by peers
	Hostname  string   `json:"hostname,omitempty"` // the container's own name in its hosts file
	Aliases   []string `json:"aliases,omitempty"`

	IP       string        `json:"ip,omitempty"`
	MAC      string        `json:"mac,omitempty"`
	IfName   string        `json:"ifName,omitempty"`   // interface inside the container
	HostVeth string        `json:"hostVeth,omitempty"` // host end of the veth pair
	PID      int           `json:"pid,omitempty"`      // a process in the container's netns
	PIDStart uint64        `json:"pidStart,omitempty"` // its start time, against PID reuse
	Ports    []PortBinding `json:"ports,omitempty"`    // published ports in force
}

// Active reports whether the endpoint is attached to a running container.
func (ep *Endpoint) Active() bool { return ep.IP != "" }

// PortBinding is one published port: traffic to HostIP:HostPort (HostIP
// empty for every address) goes to the container's ContainerPort.
type PortBinding struct {
	Proto         string `json:"proto"` // tcp or udp
	HostIP        string `json:"hostIP,omitempty"`
	HostPort      uint16 `json:"hostPort"`
	ContainerPort uint16 `json:"containerPort"`
}

// NetworkDB is the whole persisted network state: the network records
// (networks/networks.json) and the endpoints with their leases, the IPAM
// file (networks/ipam.json).
type NetworkDB struct {
	Networks  []Network  `json:"networks"`
	Endpoints []Endpoint `json:"endpoints"`
}

// Network returns the network whose name or ID (or unique ID prefix) is
// ref, or nil.
func (db *NetworkDB) Network(ref string) *Network {
	for i := range db.Networks {
		if db.Networks[i].Name == ref || db.Networks[i].ID == ref {
			return &db.Networks[i]
		}
	}
	var found *Network
	for i := range db.Networks {
		if ref != "" && len(ref) < len(db.Networks[i].ID) && db.Networks[i].ID[:len(ref)] == ref {
			if found != nil {
				return nil
			}
			found = &db.Networks[i]
		}
	}
	return found
}

// Endpoint returns the endpoint of container on network (an ID), or nil.
func (db *NetworkDB) Endpoint(network, container string) *Endpoint {
	for i := range db.Endpoints {
		if db.Endpoints[i].Network == network && db.Endpoints[i].Container == container {
			return &db.Endpoints[i]
		}
	}
	return nil
}

func (s *Store) networkDir() string { return filepath.Join(s.root, "networks") }

func (s *Store) readNetworkDB() (NetworkDB, error) {
	var db NetworkDB
	for _, f := range []struct {
		name string
		v    any
	}{{"networks.json", &db.Networks}, {"ipam.json", &db.Endpoints}} {
		err := readJSON(filepath.Join(s.networkDir(), f.name), f.v)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return db, err
		}
	}
	return db, nil
}

// ReadNetworks returns a consistent snapshot of the network state without
// taking the lock: both files are only ever replaced by rename.
func (s *Store) ReadNetworks() (NetworkDB, error) {
	db, err := s.readNetworkDB()
	if err != nil {
		return db, fmt.Errorf("read networks: %w", err)
	}
	return db, nil
}

// UpdateNetworks runs fn on the network state under the exclusive
// "networks" lock and writes back what fn changed. If fn returns an error
// nothing is written and the error is returned as is. Two processes
// allocating addresses through UpdateNetworks therefore never see the same
// free address.
//
// The network records are written with fsync; the IPAM file is renamed
// into place without fsync: a kill at any point leaves either the old or
// the new file, and leases only describe running containers, which a power
// loss ends anyway (the engine's repair releases what is left). This keeps
// a container start's network cost well under a millisecond.
func (s *Store) UpdateNetworks(fn func(db *NetworkDB) error) error {
	if err := os.MkdirAll(s.networkDir(), 0o700); err != nil {
		return fmt.Errorf("update networks: %w", err)
	}
	unlock, err := s.Lock("networks")
	if err != nil {
		return fmt.Errorf("update networks: %w", err)
	}
	defer unlock()
	db, err := s.readNetworkDB()
	if err != nil {
		return fmt.Errorf("update networks: %w", err)
	}
	before, err := marshalDB(&db)
	if err != nil {
		return fmt.Errorf("update networks: %w", err)
	}
	if err := fn(&db); err != nil {
		return err
	}
	after, err := marshalDB(&db)
	if err != nil {
		return fmt.Errorf("update networks: %w", err)
	}
	if !bytes.Equal(before[1], after[1]) {
		if err := writeFileNoSync(filepath.Join(s.networkDir(), "ipam.json"), after[1]); err != nil {
			return fmt.Errorf("update networks: %w", err)
		}
	}
	if !bytes.Equal(before[0], after[0]) {
		if err := s.writeFile(filepath.Join(s.networkDir(), "networks.json"), after[0]); err != nil {
			return fmt.Errorf("update networks: %w", err)
		}
	}
	return nil
}

func marshalDB(db *NetworkDB) ([2][]byte, error) {
	var out [2][]byte
	for i, v := range []any{db.Networks, db.Endpoints} {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return out, err
		}
		out[i] = append(b, '\n')
	}
	return out, nil
}

// writeFileNoSync replaces path with b by writing path+".tmp" and
// renaming it over path, without fsync. The caller holds the lock that
// guards path, so the fixed staging name cannot clash; a staging file left
// by a killed writer is overwritten by the next one.
func writeFileNoSync(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
