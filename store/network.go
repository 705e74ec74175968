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
	// ExtraHosts are the container's --add-host entries, for its hosts
	// file.
	ExtraHosts []string `json:"extraHosts,omitempty"`

	// StaticIP is the address the container asked for (--ip): leased at
	// each of its starts, and kept from other containers meanwhile.
	StaticIP string `json:"staticIP,omitempty"`
	// StaticMAC is the MAC the container asked for (--mac-address) on
	// its first network, given at each of its starts.
	StaticMAC string        `json:"staticMAC,omitempty"`
	IP        string        `json:"ip,omitempty"`
	MAC       string        `json:"mac,omitempty"`
	IfName    string        `json:"ifName,omitempty"`   // interface inside the container
	HostVeth  string        `json:"hostVeth,omitempty"` // host end of the veth pair
	PID       int           `json:"pid,omitempty"`      // the process holding the endpoint: the container's monitor
	PIDStart  uint64        `json:"pidStart,omitempty"` // its start time, against PID reuse
	Ports     []PortBinding `json:"ports,omitempty"`    // published ports in force
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
// file (networks/ipam.{0,1}.json, see ipamSlot).
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

// The IPAM file is kept in two slots, networks/ipam.0.json and
// ipam.1.json, each holding a generation number. A write goes in place
// into the slot of the older generation and a reader takes the valid slot
// of the newest: a write killed halfway leaves an invalid slot (a torn
// JSON document) next to the intact previous one, and no write creates or
// renames a file, which on a busy ext4 costs ten times the write itself.
// Address leases change on every container start and exit, so this is
// the hot path of bridge networking.
type ipamSlot struct {
	Gen       uint64     `json:"gen"`
	Endpoints []Endpoint `json:"endpoints"`
}

func (s *Store) ipamPath(slot uint64) string {
	return filepath.Join(s.networkDir(), fmt.Sprintf("ipam.%d.json", slot%2))
}

// readIPAM returns the newest valid slot; none yields generation 0.
func (s *Store) readIPAM() (ipamSlot, error) {
	var best ipamSlot
	for i := uint64(0); i < 2; i++ {
		b, err := os.ReadFile(s.ipamPath(i))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return best, err
		}
		var sl ipamSlot
		if json.Unmarshal(b, &sl) != nil || sl.Gen%2 != i {
			continue // torn by a killed writer, or being written now
		}
		if sl.Gen > best.Gen {
			best = sl
		}
	}
	return best, nil
}

// writeIPAM writes sl into its slot in place.
func (s *Store) writeIPAM(sl ipamSlot) error {
	b, err := json.MarshalIndent(sl, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	f, err := os.OpenFile(s.ipamPath(sl.Gen), os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteAt(b, 0)
	if err == nil {
		err = f.Truncate(int64(len(b)))
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (s *Store) readNetworkDB() (NetworkDB, uint64, error) {
	var db NetworkDB
	err := readJSON(filepath.Join(s.networkDir(), "networks.json"), &db.Networks)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return db, 0, err
	}
	sl, err := s.readIPAM()
	if err != nil {
		return db, 0, err
	}
	db.Endpoints = sl.Endpoints
	return db, sl.Gen, nil
}

// ReadNetworks returns a consistent snapshot of the network state without
// taking the lock: the records are replaced by rename and the IPAM file
// is read from its newest intact slot.
func (s *Store) ReadNetworks() (NetworkDB, error) {
	db, _, err := s.readNetworkDB()
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
// The network records are written with fsync; the IPAM file is written
// without: a kill at any point leaves the previous or the new state, and
// leases only describe running containers, which a power loss ends
// anyway (the engine's repair releases what is left). This keeps a
// container start's network bookkeeping to a few tens of microseconds.
func (s *Store) UpdateNetworks(fn func(db *NetworkDB) error) error {
	unlock, err := s.Lock("networks")
	if err != nil {
		return fmt.Errorf("update networks: %w", err)
	}
	defer unlock()
	db, gen, err := s.readNetworkDB()
	if err != nil {
		return fmt.Errorf("update networks: %w", err)
	}
	beforeN, err := json.Marshal(db.Networks)
	if err != nil {
		return fmt.Errorf("update networks: %w", err)
	}
	beforeE, err := json.Marshal(db.Endpoints)
	if err != nil {
		return fmt.Errorf("update networks: %w", err)
	}
	if err := fn(&db); err != nil {
		return err
	}
	afterN, err := json.Marshal(db.Networks)
	if err != nil {
		return fmt.Errorf("update networks: %w", err)
	}
	afterE, err := json.Marshal(db.Endpoints)
	if err != nil {
		return fmt.Errorf("update networks: %w", err)
	}
	if !bytes.Equal(beforeN, afterN) || !bytes.Equal(beforeE, afterE) {
		if err := os.MkdirAll(s.networkDir(), 0o700); err != nil {
			return fmt.Errorf("update networks: %w", err)
		}
	}
	if !bytes.Equal(beforeE, afterE) {
		if err := s.writeIPAM(ipamSlot{Gen: gen + 1, Endpoints: db.Endpoints}); err != nil {
			return fmt.Errorf("update networks: %w", err)
		}
	}
	if !bytes.Equal(beforeN, afterN) {
		b, err := json.MarshalIndent(db.Networks, "", "  ")
		if err != nil {
			return fmt.Errorf("update networks: %w", err)
		}
		if err := s.writeFile(filepath.Join(s.networkDir(), "networks.json"), append(b, '\n')); err != nil {
			return fmt.Errorf("update networks: %w", err)
		}
	}
	return nil
}
