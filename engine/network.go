package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/engine/network"
	"github.com/berth-dev/berth/store"
)

// DefaultBridge is the network of containers run with --network bridge,
// docker's default network.
const DefaultBridge = "bridge"

// netNames are the host-wide names (interfaces, iptables chains) of one
// store's networks. The store at the default root uses berth0, berth-<id>,
// vberth<random> and BERTH-*; a store elsewhere (tests, a second
// installation) uses names tagged with a hash of its root, so two stores
// on one host never share a bridge or rewrite each other's rules.
type netNames struct {
	root     string // the store's root
	ifPrefix string // every bridge name starts with it
	chain    string // iptables chain prefix
	veth     string // host veth prefix
}

func (e *Engine) netNames() netNames { return netNamesOf(e.st.Root()) }

// netNamesOf returns the names of the store at root.
func netNamesOf(root string) netNames {
	if root == store.DefaultRoot {
		return netNames{root: root, ifPrefix: "berth", chain: "BERTH", veth: "vberth"}
	}
	h := sha256.Sum256([]byte(root))
	tag := hex.EncodeToString(h[:3])
	return netNames{root: root, ifPrefix: "bt" + tag, chain: "BT" + strings.ToUpper(tag), veth: "vb" + tag}
}

// defaultBridge returns the Linux bridge of DefaultBridge.
func (n netNames) defaultBridge() string { return n.ifPrefix + "0" }

// userBridge returns the Linux bridge of user network id: the prefix, a
// dash and the ID's start, 15 characters in all (the kernel's limit).
func (n netNames) userBridge(id string) string {
	p := n.ifPrefix + "-"
	return p + id[:15-len(p)]
}

func (n netNames) firewall() (*network.Firewall, error) {
	return network.NewFirewall(network.WithChains(n.chain, n.ifPrefix))
}

// NetworkCreateOptions configures CreateNetwork.
type NetworkCreateOptions struct {
	// Subnet is an IPv4 CIDR; empty picks a free private one.
	Subnet string
	// Gateway is the bridge's address; empty takes the subnet's first.
	Gateway string
	Labels  map[string]string
}

// NetworkIPAMConfig is one subnet of a network, docker's IPAM.Config.
type NetworkIPAMConfig struct {
	Subnet  string
	Gateway string
}

// NetworkIPAM is docker's IPAM section of network inspect.
type NetworkIPAM struct {
	Driver  string
	Options map[string]string
	Config  []NetworkIPAMConfig
}

// NetworkContainer is a running container attached to a network, as
// network inspect shows it.
type NetworkContainer struct {
	Name        string
	EndpointID  string
	MacAddress  string
	IPv4Address string
	IPv6Address string
}

// Network is a network in docker's inspect shape.
type Network struct {
	Name       string
	ID         string `json:"Id"`
	Created    time.Time
	Scope      string
	Driver     string
	EnableIPv6 bool
	IPAM       NetworkIPAM
	Internal   bool
	Attachable bool
	Ingress    bool
	ConfigFrom struct{ Network string }
	ConfigOnly bool
	Containers map[string]NetworkContainer
	Options    map[string]string
	Labels     map[string]string
}

// EndpointSettings is a container's attachment to one network, docker's
// NetworkSettings.Networks entry.
type EndpointSettings struct {
	// IPAMConfig holds the address the container asked for (--ip); nil
	// if it asked for none.
	IPAMConfig  *EndpointIPAMConfig
	Aliases     []string
	NetworkID   string
	EndpointID  string
	Gateway     string
	IPAddress   string
	IPPrefixLen int
	MacAddress  string
}

// EndpointIPAMConfig is the address a container asked for on a network.
type EndpointIPAMConfig struct {
	IPv4Address string
}

// ipamConfig returns the EndpointSettings.IPAMConfig of address ip.
func ipamConfig(ip string) *EndpointIPAMConfig {
	if ip == "" {
		return nil
	}
	return &EndpointIPAMConfig{IPv4Address: ip}
}

// PortMapping is one published port of a running container.
type PortMapping struct {
	ContainerPort uint16
	Proto         string
	HostIP        string // "0.0.0.0" for every address
	HostPort      uint16
}

// String formats m as docker's `port` command: "80/tcp -> 0.0.0.0:8080".
func (m PortMapping) String() string {
	return fmt.Sprintf("%d/%s -> %s", m.ContainerPort, m.Proto, network.PortSpec{HostIP: parseAddr(m.HostIP), HostPort: m.HostPort}.HostAddr())
}

func parseAddr(s string) netip.Addr {
	a, err := netip.ParseAddr(s)
	if err != nil || a.IsUnspecified() {
		return netip.Addr{}
	}
	return a
}

// NetworkNotFoundError is returned for a network reference that names no
// network: "network web not found".
type NetworkNotFoundError struct {
	Ref string
}

func (e *NetworkNotFoundError) Error() string { return "network " + e.Ref + " not found" }

// Unwrap returns ErrNotFound.
func (e *NetworkNotFoundError) Unwrap() error { return ErrNotFound }

func networkNotFound(ref string) error { return &NetworkNotFoundError{Ref: ref} }

// netError gives a network error its class (ErrInvalid, ErrConflict) for
// errors.Is without adding the class's words to the message.
type netError struct {
	err, class error
}

func (e *netError) Error() string   { return e.err.Error() }
func (e *netError) Unwrap() []error { return []error{e.err, e.class} }

func netInvalid(format string, args ...any) error {
	return &netError{err: fmt.Errorf(format, args...), class: ErrInvalid}
}

func netConflict(format string, args ...any) error {
	return &netError{err: fmt.Errorf(format, args...), class: ErrConflict}
}

func predefined(name string) bool {
	return name == DefaultBridge || name == "host" || name == "none"
}

// ensureDefaults adds the predefined networks to db if missing. The
// default bridge gets its subnet here, chosen to overlap no host route.
func (n netNames) ensureDefaults(db *store.NetworkDB) error {
	now := time.Now().UTC()
	if db.Network(DefaultBridge) == nil {
		routes, err := n.hostRoutes()
		if err != nil {
			return err
		}
		sub, err := network.PickSubnet(append(routes, network.UsedSubnets(db)...))
		if err != nil {
			return fmt.Errorf("create network %s: %w", DefaultBridge, err)
		}
		db.Networks = append(db.Networks, store.Network{
			ID: network.RandomID(), Name: DefaultBridge, Driver: "bridge", Bridge: n.defaultBridge(),
			Subnet: sub.String(), Gateway: network.DefaultGateway(sub).String(), Created: now,
		})
	}
	for _, p := range [][2]string{{"host", "host"}, {"none", "null"}} {
		if db.Network(p[0]) == nil {
			db.Networks = append(db.Networks, store.Network{ID: network.RandomID(), Name: p[0], Driver: p[1], Created: now})
		}
	}
	return nil
}

// ParsePortBindings turns -p values into the PortBindings of a container
// (keyed "PORT/PROTO", as docker stores them). An invalid value gives an
// error wrapping ErrInvalid: invalid port specification: "99999".
func ParsePortBindings(specs []string) (map[string][]PortBinding, error) {
	ps, err := network.ParsePortSpecs(specs)
	if err != nil {
		return nil, netInvalid("%w", err)
	}
	out := map[string][]PortBinding{}
	for _, p := range ps {
		b := PortBinding{}
		if p.HostIP.IsValid() {
			b.HostIP = p.HostIP.String()
		}
		if p.HostPort != 0 {
			b.HostPort = strconv.Itoa(int(p.HostPort))
		}
		k := fmt.Sprintf("%d/%s", p.ContainerPort, p.Proto)
		out[k] = append(out[k], b)
	}
	return out, nil
}

// portSpecs returns the ports a container publishes: its PortBindings,
// and with PublishAllPorts every exposed port not bound explicitly, on a
// free host port.
func portSpecs(c *containerRecord) ([]network.PortSpec, error) {
	var out []network.PortSpec
	keys := make([]string, 0, len(c.HostConfig.PortBindings))
	for k := range c.HostConfig.PortBindings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		exp, err := network.ParseExposed([]string{k})
		if err != nil || len(exp) != 1 {
			return nil, netInvalid("%w: %q", network.ErrInvalidPortSpec, k)
		}
		binds := c.HostConfig.PortBindings[k]
		if len(binds) == 0 {
			binds = []PortBinding{{}}
		}
		for _, b := range binds {
			s := exp[0]
			s.HostIP = parseAddr(b.HostIP)
			if b.HostIP != "" && !s.HostIP.IsValid() && b.HostIP != "0.0.0.0" && b.HostIP != "::" {
				return nil, netInvalid("%w: %q: host address %q", network.ErrInvalidPortSpec, k, b.HostIP)
			}
			if b.HostPort != "" {
				n, err := strconv.Atoi(b.HostPort)
				if err != nil || n < 1 || n > 65535 {
					return nil, netInvalid("%w: %q", network.ErrInvalidPortSpec, b.HostPort)
				}
				s.HostPort = uint16(n)
			}
			out = append(out, s)
		}
	}
	if c.HostConfig.PublishAllPorts {
		var exposed []string
		for k := range c.Config.ExposedPorts {
			if _, bound := c.HostConfig.PortBindings[k]; !bound {
				exposed = append(exposed, k)
			}
		}
		exp, err := network.ParseExposed(exposed)
		if err != nil {
			return nil, netInvalid("%w", err)
		}
		out = append(out, exp...)
	}
	return out, nil
}

// bridgeNetworkFor returns the implementation of a bridge network mode:
// "bridge" or the name or ID of a user network. It reports false for
// anything else.
func (e *Engine) bridgeNetworkFor(mode string) (containerNetwork, bool) {
	if mode == DefaultBridge {
		return &bridgeNetwork{e: e, mode: mode}, true
	}
	db, err := e.st.ReadNetworks()
	if err != nil {
		return nil, false
	}
	if n := db.Network(mode); n != nil && n.Driver == "bridge" {
		return &bridgeNetwork{e: e, mode: mode}, true
	}
	return nil, false
}

// bridgeNetwork wires a container into a bridge network and every other
// network it was connected to. The monitor holds one per start: Attach
// keeps the published ports' reservations, Detach releases them.
type bridgeNetwork struct {
	e    *Engine
	mode string
	pub  *network.Published
}

var _ containerNetwork = (*bridgeNetwork)(nil)

// NewNamespace reports true: bridge containers have their own namespace.
func (b *bridgeNetwork) NewNamespace() bool { return true }

// Attach publishes the container's ports (failing before anything else
// if one is taken), leases an address on each of its networks, wires a
// veth pair per network into netns, writes its hosts and resolv.conf and
// those of its peers. The endpoints are held by pid, the container's
// monitor. On error nothing is left behind.
func (b *bridgeNetwork) Attach(ctx context.Context, c *containerRecord, pid int, netns string) error {
	specs, err := portSpecs(c)
	if err != nil {
		return err
	}
	var pub *network.Published
	if len(specs) > 0 {
		if pub, err = network.Publish(specs); err != nil {
			return netConflict("publish ports of %s: %w", c.Name, err)
		}
	}
	fail := func(err error) error {
		if pub != nil {
			pub.Close()
		}
		return err
	}
	start, err := network.ProcStart(pid)
	if err != nil {
		return fail(fmt.Errorf("attach network: process %d: %w", pid, err))
	}
	names := b.e.netNames()
	var eps []store.Endpoint
	var nets []store.Network
	var snap store.NetworkDB
	staleForwards := false
	err = b.e.st.UpdateNetworks(func(db *store.NetworkDB) error {
		if err := names.ensureDefaults(db); err != nil {
			return err
		}
		primary := db.Network(b.mode)
		if primary == nil || primary.Driver != "bridge" {
			return networkNotFound(b.mode)
		}
		if primary.Name == DefaultBridge {
			if err := names.reelectDefault(db, primary); err != nil {
				return err
			}
		}
		if pub != nil {
			staleForwards = releaseDeadForwards(db)
		}
		if db.Endpoint(primary.ID, c.ID) == nil {
			db.Endpoints = append(db.Endpoints, store.Endpoint{ID: network.RandomID(), Network: primary.ID, Container: c.ID, Aliases: c.Aliases, StaticIP: c.IPv4Address, StaticMAC: c.Config.MacAddress})
		}
		idx := containerEndpoints(db, c.ID, primary.ID)
		for n, i := range idx {
			ep := &db.Endpoints[i]
			nw := db.Network(ep.Network)
			network.Release(ep)
			if _, err := network.Lease(db, nw, ep); err != nil {
				return err
			}
			ep.HostVeth = network.VethName(names.veth)
			ep.Name, ep.Hostname = c.Name, c.Config.Hostname
			ep.ExtraHosts = c.HostConfig.ExtraHosts
			ep.IfName = "eth" + strconv.Itoa(n)
			ep.PID, ep.PIDStart = pid, start
			if n == 0 && pub != nil {
				for _, p := range pub.Ports() {
					pb := store.PortBinding{Proto: p.Proto, HostPort: p.HostPort, ContainerPort: p.ContainerPort}
					if p.HostIP.IsValid() {
						pb.HostIP = p.HostIP.String()
					}
					ep.Ports = append(ep.Ports, pb)
				}
			}
			eps = append(eps, *ep)
			nets = append(nets, *nw)
		}
		snap = store.NetworkDB{Networks: db.Networks, Endpoints: append([]store.Endpoint(nil), db.Endpoints...)}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	undo := func(err error) error {
		b.e.detachEndpoints(ctx, c.ID, vethsDelete)
		return fail(err)
	}
	needRules := pub != nil || staleForwards
	for i, ep := range eps {
		br, err := network.BridgeOf(&nets[i])
		if err != nil {
			return undo(err)
		}
		created, err := b.e.ensureBridge(ctx, br)
		if err != nil {
			return undo(err)
		}
		needRules = needRules || created
		l := network.Link{Bridge: br.Name, HostVeth: ep.HostVeth, IfName: ep.IfName, MAC: ep.MAC, Gateway: br.Gateway, DefaultRoute: i == 0}
		ip, _ := netip.ParseAddr(ep.IP)
		l.Addr = netip.PrefixFrom(ip, br.Subnet.Bits())
		if err := network.Attach(netns, l); err != nil {
			return undo(fmt.Errorf("attach %s to network %s: %w", c.Name, nets[i].Name, err))
		}
	}
	if needRules {
		if err := b.e.applyFirewall(ctx, false); err != nil {
			return undo(err)
		}
	}
	p := b.e.st.Container(c.ID)
	if err := network.WriteInPlace(p.ResolvConf, []byte(withDNS(string(network.HostResolvConf()), c.HostConfig))); err != nil {
		return undo(err)
	}
	if err := b.e.refreshHostsFrom(&snap, c.ID, nets); err != nil {
		return undo(err)
	}
	if pub != nil {
		ip, _ := netip.ParseAddr(eps[0].IP)
		pub.Serve(ip)
	}
	b.pub = pub
	return nil
}

// Detach releases the container's leases and published ports and takes
// its names out of its peers' hosts files. The monitor calls it once the
// container's namespaces are gone: the veth pairs go with the network
// namespace (the kernel deletes them without anyone waiting; deleting
// one here takes an RCU grace period, 10 to 20 ms). Idempotent.
func (b *bridgeNetwork) Detach(ctx context.Context, c *containerRecord) error {
	err := b.e.detachEndpoints(ctx, c.ID, vethsGone)
	if b.pub != nil {
		b.pub.Close()
		b.pub = nil
	}
	return err
}

// Release detaches the container and forgets its endpoints. Idempotent.
func (b *bridgeNetwork) Release(ctx context.Context, c *containerRecord) error {
	return b.e.releaseEndpoints(ctx, c.ID)
}

// containerEndpoints returns the indexes in db.Endpoints of container
// id's endpoints whose network exists, the one on network primary first.
// Endpoints on removed networks are dropped from db.
func containerEndpoints(db *store.NetworkDB, id, primary string) []int {
	kept := db.Endpoints[:0]
	for _, ep := range db.Endpoints {
		if ep.Container == id && db.Network(ep.Network) == nil {
			continue
		}
		kept = append(kept, ep)
	}
	db.Endpoints = kept
	var idx []int
	for i := range db.Endpoints {
		if db.Endpoints[i].Container == id {
			if db.Endpoints[i].Network == primary {
				idx = append([]int{i}, idx...)
			} else {
				idx = append(idx, i)
			}
		}
	}
	return idx
}

// alive reports whether the process holding the endpoint (the container's
// monitor) still runs.
func alive(ep *store.Endpoint) bool {
	if ep.PID <= 0 {
		return false
	}
	start, err := network.ProcStart(ep.PID)
	return err == nil && start == ep.PIDStart
}

// releaseDeadForwards releases the live endpoints with published ports
// whose process is gone (a monitor killed before its Detach), so their
// DNAT rules are not rebuilt ahead of a new container's. It reports
// whether it released any.
func releaseDeadForwards(db *store.NetworkDB) bool {
	changed := false
	for i := range db.Endpoints {
		ep := &db.Endpoints[i]
		if ep.Active() && len(ep.Ports) > 0 && !alive(ep) {
			network.Release(ep)
			changed = true
		}
	}
	return changed
}

// reelectDefault gives the default bridge nw (in db) a new subnet if its
// bridge is not up, no running container holds an address on it and
// another interface routes its subnet (network.CheckRoutes): while the
// bridge was gone, after a reboot or a reset, its subnet looked free to
// every other store and program on the host, and one took it. The default
// bridge's subnet is berth's choice, as docker0's is docker's, so it is
// chosen again rather than shared; the subnet of a user network is the
// user's, and ensureBridge refuses it instead. A bridge left down by a
// start that crashed halfway still has the old address: it is deleted, to
// be made afresh.
func (n netNames) reelectDefault(db *store.NetworkDB, nw *store.Network) error {
	for i := range db.Endpoints {
		if ep := &db.Endpoints[i]; ep.Network == nw.ID && ep.Active() && alive(ep) {
			return nil
		}
	}
	br, err := network.BridgeOf(nw)
	if err != nil {
		return err
	}
	if up, err := network.BridgeUp(br.Name); err != nil || up {
		return err
	}
	if err := network.CheckRoutes(br); !errors.Is(err, network.ErrOverlap) {
		return err
	}
	routes, err := n.hostRoutes()
	if err != nil {
		return err
	}
	sub, err := network.PickSubnet(append(routes, network.UsedSubnets(db)...))
	if err != nil {
		return fmt.Errorf("renumber network %s: %w", nw.Name, err)
	}
	if err := network.DeleteBridge(br.Name); err != nil {
		return err
	}
	nw.Subnet, nw.Gateway = sub.String(), network.DefaultGateway(sub).String()
	return nil
}

// ensureBridge makes sure the bridge of a network is up, and reports
// whether it had to set it up. The common case costs one netlink request.
// Otherwise (first use, after a reboot, after a crash halfway) it
// configures the bridge, installs the firewall rules with their jumps and
// only then sets the bridge up, under a lock so that two processes do not
// race on it. It refuses, with an error wrapping ErrConflict, a subnet
// that another interface routes meanwhile: the bridge would never get
// its containers' traffic.
func (e *Engine) ensureBridge(ctx context.Context, br network.Bridge) (bool, error) {
	if up, err := network.BridgeUp(br.Name); err != nil || up {
		return false, err
	}
	unlock, err := e.st.Lock("bridge-" + br.Name)
	if err != nil {
		return false, err
	}
	defer unlock()
	if up, err := network.BridgeUp(br.Name); err != nil || up {
		return false, err
	}
	if err := network.CheckRoutes(br); err != nil {
		if errors.Is(err, network.ErrOverlap) {
			err = netConflict("bridge %s: %w", br.Name, err)
		}
		return false, err
	}
	if err := e.netNames().register(); err != nil {
		return false, err
	}
	if err := network.EnsureBridge(br); err != nil {
		return false, err
	}
	if err := e.applyFirewall(ctx, true); err != nil {
		return false, err
	}
	return true, network.SetBridgeUp(br.Name)
}

// applyFirewall rebuilds berth's iptables chains from the current
// records. Under the "firewall" lock the records are read after the lock
// is taken, so the last writer always installs the latest state.
func (e *Engine) applyFirewall(ctx context.Context, jumps bool) error {
	fw, err := e.netNames().firewall()
	if err != nil {
		return err
	}
	unlock, err := e.st.Lock("firewall")
	if err != nil {
		return err
	}
	defer unlock()
	db, err := e.st.ReadNetworks()
	if err != nil {
		return err
	}
	if jumps {
		return fw.Apply(ctx, network.RulesOf(&db))
	}
	return fw.Sync(ctx, network.RulesOf(&db))
}

// vethPolicy says which veths detachEndpoints deletes.
type vethPolicy int

const (
	// vethsOfLive deletes the veths of endpoints whose holder (the
	// container's monitor) still runs.
	vethsOfLive vethPolicy = iota
	// vethsDelete deletes every veth (undoing a failed attach).
	vethsDelete
	// vethsGone deletes none: the container's network namespace is gone
	// or going, and its veths with it.
	vethsGone
)

// detachEndpoints releases every live endpoint of container id. A veth
// whose namespace still lives is deleted (as veths says) before its
// address is released, so the address is never in use twice on a
// bridge; that takes a second update. The common case, a container that
// exited, is one update of the records.
func (e *Engine) detachEndpoints(ctx context.Context, id string, veths vethPolicy) error {
	var nets []store.Network
	var live []string
	hadPorts := false
	var snap store.NetworkDB
	release := func(keepLive bool) func(db *store.NetworkDB) error {
		return func(db *store.NetworkDB) error {
			live = live[:0]
			for i := range db.Endpoints {
				ep := &db.Endpoints[i]
				if ep.Container != id || !ep.Active() {
					continue
				}
				if keepLive && (veths == vethsDelete || veths == vethsOfLive && alive(ep)) {
					live = append(live, ep.HostVeth)
					continue
				}
				hadPorts = hadPorts || len(ep.Ports) > 0
				if n := db.Network(ep.Network); n != nil {
					nets = append(nets, *n)
				}
				network.Release(ep)
			}
			snap = store.NetworkDB{Networks: db.Networks, Endpoints: append([]store.Endpoint(nil), db.Endpoints...)}
			return nil
		}
	}
	var errs []error
	errs = append(errs, e.st.UpdateNetworks(release(true)))
	if len(live) > 0 {
		for _, v := range live {
			errs = append(errs, network.Detach(v))
		}
		errs = append(errs, e.st.UpdateNetworks(release(false)))
	}
	if hadPorts {
		errs = append(errs, e.applyFirewall(ctx, false))
	}
	errs = append(errs, e.refreshHostsFrom(&snap, "", nets))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("detach network of %s: %w", id, err)
	}
	return nil
}

// releaseEndpoints detaches container id and removes its endpoints.
func (e *Engine) releaseEndpoints(ctx context.Context, id string) error {
	derr := e.detachEndpoints(ctx, id, vethsOfLive)
	err := e.st.UpdateNetworks(func(db *store.NetworkDB) error {
		kept := db.Endpoints[:0]
		for _, ep := range db.Endpoints {
			if ep.Container != id {
				kept = append(kept, ep)
			}
		}
		db.Endpoints = kept
		return nil
	})
	return errors.Join(derr, err)
}

// refreshHosts rewrites the hosts file of container self (if not empty)
// and of every running container on the user networks among nets, so
// that each resolves its peers by name, alias and short ID. The default
// bridge has no name resolution, as in docker.
func (e *Engine) refreshHosts(self string, nets []store.Network) error {
	return e.refreshHostsFrom(nil, self, nets)
}

// refreshHostsFrom is refreshHosts on a snapshot of the records already
// at hand (nil reads them).
func (e *Engine) refreshHostsFrom(db *store.NetworkDB, self string, nets []store.Network) error {
	user := map[string]bool{}
	for _, n := range nets {
		if n.Name != DefaultBridge {
			user[n.ID] = true
		}
	}
	if self == "" && len(user) == 0 {
		return nil
	}
	if db == nil {
		snap, err := e.st.ReadNetworks()
		if err != nil {
			return err
		}
		db = &snap
	}
	targets := map[string]bool{}
	if self != "" {
		targets[self] = true
	}
	for _, ep := range db.Endpoints {
		if ep.Active() && user[ep.Network] {
			targets[ep.Container] = true
		}
	}
	var errs []error
	for id := range targets {
		errs = append(errs, network.WriteInPlace(e.st.Container(id).Hosts, hostsFor(db, id)))
	}
	return errors.Join(errs...)
}

// hostsFor returns the hosts file of container id from db.
func hostsFor(db *store.NetworkDB, id string) []byte {
	var self, peers []network.HostEntry
	var extra []string
	nets := map[string]bool{}
	for _, ep := range db.Endpoints {
		if ep.Container != id || !ep.Active() {
			continue
		}
		extra = ep.ExtraHosts
		var names []string
		if ep.IfName == "eth0" && ep.Hostname != "" {
			names = append(names, ep.Hostname)
		}
		// On a user network a container resolves its own name and
		// aliases too, as docker's resolver answers them.
		if n := db.Network(ep.Network); n != nil && n.Name != DefaultBridge {
			nets[ep.Network] = true
			for _, a := range append([]string{ep.Name}, ep.Aliases...) {
				if a != "" && a != ep.Hostname {
					names = append(names, a)
				}
			}
		}
		if len(names) > 0 {
			self = append(self, network.HostEntry{IP: parseAddr(ep.IP), Names: names})
		}
	}
	for _, ep := range db.Endpoints {
		if ep.Container == id || !ep.Active() || !nets[ep.Network] {
			continue
		}
		names := []string{}
		if ep.Name != "" {
			names = append(names, ep.Name)
		}
		names = append(names, ep.Aliases...)
		if len(ep.Container) >= 12 {
			names = append(names, ep.Container[:12])
		}
		peers = append(peers, network.HostEntry{IP: parseAddr(ep.IP), Names: names})
	}
	sort.Slice(peers, func(i, j int) bool { return peers[i].IP.Less(peers[j].IP) })
	return append(network.Hosts(self, peers), hostsEntries(extra, bridgeGateway(db))...)
}

// CreateNetwork creates a bridge network and its Linux bridge and returns
// its ID. Errors: ErrConflict for a taken name, ErrInvalid for a bad name,
// subnet or gateway or a subnet overlapping another network or a host
// route. On error nothing is left behind.
func (e *Engine) CreateNetwork(ctx context.Context, name string, o NetworkCreateOptions) (string, error) {
	if err := store.CheckName(name); err != nil {
		return "", netInvalid("create network %q: invalid name, only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name)
	}
	var sub netip.Prefix
	var gw netip.Addr
	var err error
	if o.Subnet != "" {
		if sub, err = network.ParseSubnet(o.Subnet); err != nil {
			return "", netInvalid("create network %s: %w", name, err)
		}
	} else if o.Gateway != "" {
		return "", netInvalid("create network %s: --gateway needs --subnet", name)
	}
	if o.Gateway != "" {
		if gw, err = netip.ParseAddr(o.Gateway); err != nil {
			return "", netInvalid("create network %s: invalid gateway %q", name, o.Gateway)
		}
		if err := network.CheckGateway(sub, gw); err != nil {
			return "", netInvalid("create network %s: %w", name, err)
		}
	}
	names := e.netNames()
	routes, err := names.hostRoutes()
	if err != nil {
		return "", err
	}
	var rec store.Network
	err = e.st.UpdateNetworks(func(db *store.NetworkDB) error {
		if err := names.ensureDefaults(db); err != nil {
			return err
		}
		if db.Network(name) != nil && (db.Network(name).Name == name) {
			return netConflict("network with name %s already exists", name)
		}
		used := network.UsedSubnets(db)
		if sub.IsValid() {
			if err := network.CheckSubnet(sub, used); err != nil {
				return netInvalid("create network %s: subnet %s: %w of another network", name, sub, err)
			}
			if err := network.CheckSubnet(sub, routes); err != nil {
				return netInvalid("create network %s: subnet %s: %w, a route of this host", name, sub, err)
			}
		} else {
			if sub, err = network.PickSubnet(append(routes, used...)); err != nil {
				return fmt.Errorf("create network %s: %w", name, err)
			}
		}
		if !gw.IsValid() {
			gw = network.DefaultGateway(sub)
		}
		id := network.RandomID()
		rec = store.Network{
			ID: id, Name: name, Driver: "bridge", Bridge: names.userBridge(id),
			Subnet: sub.String(), Gateway: gw.String(), Labels: o.Labels, Created: time.Now().UTC(),
		}
		db.Networks = append(db.Networks, rec)
		return nil
	})
	if err != nil {
		return "", err
	}
	br, _ := network.BridgeOf(&rec)
	if _, err := e.ensureBridge(ctx, br); err != nil {
		network.DeleteBridge(br.Name)
		e.dropNetwork(rec.ID)
		e.applyFirewall(ctx, false)
		return "", err
	}
	e.emit("network", "create", rec.ID, map[string]string{"name": name, "type": "bridge"})
	return rec.ID, nil
}

func (e *Engine) dropNetwork(id string) error {
	return e.st.UpdateNetworks(func(db *store.NetworkDB) error {
		kept := db.Networks[:0]
		for _, n := range db.Networks {
			if n.ID != id {
				kept = append(kept, n)
			}
		}
		db.Networks = kept
		return nil
	})
}

// networkDB returns the records with the predefined networks in place.
func (e *Engine) networkDB() (store.NetworkDB, error) {
	db, err := e.st.ReadNetworks()
	if err != nil {
		return db, err
	}
	if db.Network(DefaultBridge) != nil {
		return db, nil
	}
	if err := e.st.UpdateNetworks(e.netNames().ensureDefaults); err != nil {
		return db, err
	}
	return e.st.ReadNetworks()
}

// Networks lists every network, sorted by name.
func (e *Engine) Networks(ctx context.Context) ([]Network, error) {
	db, err := e.networkDB()
	if err != nil {
		return nil, err
	}
	out := make([]Network, 0, len(db.Networks))
	for i := range db.Networks {
		out = append(out, inspectOf(&db, &db.Networks[i]))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// InspectNetwork returns the network named ref (name, ID or unique ID
// prefix), or an error wrapping ErrNotFound.
func (e *Engine) InspectNetwork(ctx context.Context, ref string) (Network, error) {
	db, n, err := e.lookupNetwork(ref)
	if err != nil {
		return Network{}, err
	}
	return inspectOf(&db, n), nil
}

// lookupNetwork reads the network database and finds network ref in it
// (name, ID or unique ID prefix); an unknown one is an error wrapping
// ErrNotFound.
func (e *Engine) lookupNetwork(ref string) (store.NetworkDB, *store.Network, error) {
	db, err := e.networkDB()
	if err != nil {
		return db, nil, err
	}
	n := db.Network(ref)
	if n == nil {
		return db, nil, networkNotFound(ref)
	}
	return db, n, nil
}

func inspectOf(db *store.NetworkDB, n *store.Network) Network {
	out := Network{
		Name: n.Name, ID: n.ID, Created: n.Created, Scope: "local", Driver: n.Driver,
		IPAM:       NetworkIPAM{Driver: "default", Config: []NetworkIPAMConfig{}},
		Containers: map[string]NetworkContainer{}, Options: map[string]string{}, Labels: n.Labels,
	}
	if out.Labels == nil {
		out.Labels = map[string]string{}
	}
	if n.Subnet != "" {
		out.IPAM.Config = append(out.IPAM.Config, NetworkIPAMConfig{Subnet: n.Subnet, Gateway: n.Gateway})
		out.Options["com.docker.network.bridge.name"] = n.Bridge
	}
	bits := 0
	if p, err := netip.ParsePrefix(n.Subnet); err == nil {
		bits = p.Bits()
	}
	for _, ep := range db.Endpoints {
		if ep.Network == n.ID && ep.Active() {
			out.Containers[ep.Container] = NetworkContainer{
				Name: ep.Name, EndpointID: ep.ID, MacAddress: ep.MAC,
				IPv4Address: ep.IP + "/" + strconv.Itoa(bits),
			}
		}
	}
	return out
}

// RemoveNetwork removes a user network and its bridge. Predefined
// networks give ErrInvalid, a network with running containers
// ErrConflict, an unknown one ErrNotFound. Endpoints of stopped
// containers on it are dropped, as docker does.
func (e *Engine) RemoveNetwork(ctx context.Context, ref string) error {
	var rec store.Network
	err := e.st.UpdateNetworks(func(db *store.NetworkDB) error {
		n := db.Network(ref)
		if n == nil {
			return networkNotFound(ref)
		}
		if predefined(n.Name) {
			return netInvalid("%s is a pre-defined network and cannot be removed", n.Name)
		}
		kept := db.Endpoints[:0]
		for _, ep := range db.Endpoints {
			if ep.Network == n.ID {
				if ep.Active() && alive(&ep) {
					return netConflict("error while removing network: network %s id %s has active endpoints", n.Name, n.ID)
				}
				continue
			}
			kept = append(kept, ep)
		}
		db.Endpoints = kept
		rec = *n
		kept2 := db.Networks[:0]
		for _, o := range db.Networks {
			if o.ID != rec.ID {
				kept2 = append(kept2, o)
			}
		}
		db.Networks = kept2
		return nil
	})
	if err != nil {
		return err
	}
	errs := []error{network.DeleteBridge(rec.Bridge), e.applyFirewall(ctx, false)}
	e.emit("network", "destroy", rec.ID, map[string]string{"name": rec.Name, "type": "bridge"})
	return errors.Join(errs...)
}

// PruneNetworks removes every user network no running container uses
// that f matches (by its creation time and labels) and returns their
// names.
func (e *Engine) PruneNetworks(ctx context.Context, f PruneFilter) ([]string, error) {
	db, err := e.networkDB()
	if err != nil {
		return nil, err
	}
	var out []string
	var errs []error
	for _, n := range db.Networks {
		if predefined(n.Name) || !f.match(n.Created, n.Labels) {
			continue
		}
		err := e.RemoveNetwork(ctx, n.ID)
		switch {
		case err == nil:
			out = append(out, n.Name)
		case !errors.Is(err, ErrConflict):
			errs = append(errs, err)
		}
	}
	sort.Strings(out)
	return out, errors.Join(errs...)
}

// ConnectNetwork connects a container to a network, reachable by its
// name and aliases from the network's other containers, at address ip
// ("" for a free one). A running container gets its new interface at
// once, a stopped one at its next start. Errors: ErrNotFound for an
// unknown network or container, ErrConflict if already connected or the
// container uses host or none networking, ErrInvalid for an address the
// network cannot give.
func (e *Engine) ConnectNetwork(ctx context.Context, netRef, ctrRef string, aliases []string, ip string) error {
	id, err := e.ResolveContainer(ctx, ctrRef)
	if err != nil {
		return err
	}
	rec, err := e.readRecord(id)
	if err != nil {
		return err
	}
	if m := rec.HostConfig.NetworkMode; m == "host" || m == "none" {
		return netConflict("container %s uses network mode %s and cannot be connected to other networks", rec.Name, m)
	}
	names := e.netNames()
	var ep store.Endpoint
	var nw store.Network
	var pid int
	var start uint64
	var idx int
	err = e.st.UpdateNetworks(func(db *store.NetworkDB) error {
		if err := names.ensureDefaults(db); err != nil {
			return err
		}
		n := db.Network(netRef)
		if n == nil || n.Driver != "bridge" {
			return networkNotFound(netRef)
		}
		if db.Endpoint(n.ID, id) != nil {
			return netConflict("endpoint with name %s already exists in network %s", rec.Name, n.Name)
		}
		if ip != "" {
			if predefined(n.Name) {
				return netInvalid("user specified IP address is supported on user defined networks only")
			}
			if _, err := network.CheckAddress(n, ip); err != nil {
				return netInvalid("%v", err)
			}
			for _, o := range db.Endpoints {
				if o.Network == n.ID && (o.IP == ip || o.StaticIP == ip) {
					return netConflict("address %s is already in use on network %s", ip, n.Name)
				}
			}
		}
		ifs := 0
		for i := range db.Endpoints {
			o := &db.Endpoints[i]
			if o.Container == id && o.Active() && alive(o) {
				pid, start = o.PID, o.PIDStart
				ifs++
			}
		}
		db.Endpoints = append(db.Endpoints, store.Endpoint{ID: network.RandomID(), Network: n.ID, Container: id, Name: rec.Name, Hostname: rec.Config.Hostname, Aliases: aliases, StaticIP: ip})
		idx = len(db.Endpoints) - 1
		nw = *n
		if pid == 0 {
			return nil
		}
		p := &db.Endpoints[idx]
		if _, err := network.Lease(db, n, p); err != nil {
			return err
		}
		p.HostVeth = network.VethName(names.veth)
		p.IfName = freeIfName(db, id)
		p.PID, p.PIDStart = pid, start
		ep = *p
		return nil
	})
	if err != nil {
		return err
	}
	if pid != 0 {
		br, err := network.BridgeOf(&nw)
		if err == nil {
			_, err = e.ensureBridge(ctx, br)
		}
		var netns string
		if err == nil {
			netns, err = e.containerNetNS(id)
		}
		if err == nil {
			ip, _ := netip.ParseAddr(ep.IP)
			err = network.Attach(netns, network.Link{Bridge: br.Name, HostVeth: ep.HostVeth, IfName: ep.IfName, MAC: ep.MAC,
				Addr: netip.PrefixFrom(ip, br.Subnet.Bits()), Gateway: br.Gateway})
		}
		if err != nil {
			e.removeEndpoint(nw.ID, id)
			return fmt.Errorf("connect %s to network %s: %w", rec.Name, nw.Name, err)
		}
		if err := e.refreshHosts(id, []store.Network{nw}); err != nil {
			return err
		}
	}
	e.emit("network", "connect", nw.ID, map[string]string{"name": nw.Name, "container": id})
	return nil
}

// freeIfName returns the lowest ethN not used by container id's live
// endpoints.
func freeIfName(db *store.NetworkDB, id string) string {
	used := map[string]bool{}
	for _, ep := range db.Endpoints {
		if ep.Container == id && ep.Active() {
			used[ep.IfName] = true
		}
	}
	for i := 0; ; i++ {
		if n := "eth" + strconv.Itoa(i); !used[n] {
			return n
		}
	}
}

// removeEndpoint deletes the endpoint of container id on network nid,
// deleting its veth first if it is live.
func (e *Engine) removeEndpoint(nid, id string) error {
	var veth string
	err := e.st.UpdateNetworks(func(db *store.NetworkDB) error {
		kept := db.Endpoints[:0]
		for _, ep := range db.Endpoints {
			if ep.Network == nid && ep.Container == id {
				veth = ep.HostVeth
				continue
			}
			kept = append(kept, ep)
		}
		db.Endpoints = kept
		return nil
	})
	if veth != "" {
		err = errors.Join(err, network.Detach(veth))
	}
	return err
}

// DisconnectNetwork disconnects a container from a network: a running
// container loses its interface at once and its peers stop resolving it.
// Errors: ErrNotFound for an unknown network or container, ErrInvalid if
// the container is not connected to it. force is accepted for docker's
// -f; disconnecting never needs it here.
func (e *Engine) DisconnectNetwork(ctx context.Context, netRef, ctrRef string, force bool) error {
	id, err := e.ResolveContainer(ctx, ctrRef)
	if err != nil {
		return err
	}
	db, n, err := e.lookupNetwork(netRef)
	if err != nil {
		return err
	}
	ep := db.Endpoint(n.ID, id)
	if ep == nil {
		return netInvalid("container %s is not connected to network %s", ctrRef, n.Name)
	}
	hadPorts := len(ep.Ports) > 0
	if err := e.removeEndpoint(n.ID, id); err != nil {
		return fmt.Errorf("disconnect %s from network %s: %w", ctrRef, n.Name, err)
	}
	var errs []error
	if hadPorts {
		errs = append(errs, e.applyFirewall(ctx, false))
	}
	errs = append(errs, e.refreshHosts(id, []store.Network{*n}))
	e.emit("network", "disconnect", n.ID, map[string]string{"name": n.Name, "container": id})
	return errors.Join(errs...)
}

// ContainerPorts returns the published ports of running container ref,
// sorted by container port.
func (e *Engine) ContainerPorts(ctx context.Context, ref string) ([]PortMapping, error) {
	id, err := e.ResolveContainer(ctx, ref)
	if err != nil {
		return nil, err
	}
	db, err := e.st.ReadNetworks()
	if err != nil {
		return nil, err
	}
	return portMappings(&db, id), nil
}

// portMappings returns the ports container id publishes while it runs,
// sorted by container port, protocol and host port.
func portMappings(db *store.NetworkDB, id string) []PortMapping {
	var out []PortMapping
	for _, ep := range db.Endpoints {
		if ep.Container != id || !ep.Active() {
			continue
		}
		for _, p := range ep.Ports {
			hip := p.HostIP
			if hip == "" {
				hip = "0.0.0.0"
			}
			out = append(out, PortMapping{ContainerPort: p.ContainerPort, Proto: p.Proto, HostIP: hip, HostPort: p.HostPort})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ContainerPort != out[j].ContainerPort {
			return out[i].ContainerPort < out[j].ContainerPort
		}
		if out[i].Proto != out[j].Proto {
			return out[i].Proto < out[j].Proto
		}
		return out[i].HostPort < out[j].HostPort
	})
	return out
}

// portsString formats the ports of a container as docker ps does: its
// published ports ("0.0.0.0:8080->80/tcp") and, while it runs, the
// exposed ports it does not publish ("443/tcp").
func portsString(db *store.NetworkDB, rec *containerRecord, running bool) string {
	if !running {
		return ""
	}
	var parts []string
	published := map[string]bool{}
	for _, m := range portMappings(db, rec.ID) {
		k := fmt.Sprintf("%d/%s", m.ContainerPort, m.Proto)
		published[k] = true
		parts = append(parts, fmt.Sprintf("%s:%d->%s", m.HostIP, m.HostPort, k))
	}
	var exposed []string
	for k := range rec.Config.ExposedPorts {
		if !published[k] {
			exposed = append(exposed, k)
		}
	}
	sort.Strings(exposed)
	return strings.Join(append(parts, exposed...), ", ")
}

// networkSettings returns docker's NetworkSettings of container rec:
// the published ports while it runs (exposed ports it does not publish
// map to null), its networks, and docker's top-level address fields from
// its endpoint on the default bridge.
func networkSettings(db *store.NetworkDB, rec *containerRecord, pid int) NetworkSettings {
	ns := NetworkSettings{Ports: map[string][]PortBinding{}, Networks: map[string]EndpointSettings{}}
	if pid > 0 && rec.HostConfig.NetworkMode != "host" {
		ns.SandboxKey = fmt.Sprintf("/proc/%d/ns/net", pid)
	}
	if pid > 0 {
		for k := range rec.Config.ExposedPorts {
			ns.Ports[k] = nil
		}
		for _, m := range portMappings(db, rec.ID) {
			k := fmt.Sprintf("%d/%s", m.ContainerPort, m.Proto)
			ns.Ports[k] = append(ns.Ports[k], PortBinding{HostIP: m.HostIP, HostPort: strconv.Itoa(int(m.HostPort))})
		}
	}
	switch mode := rec.HostConfig.NetworkMode; {
	case mode == "host" || mode == "none":
		ns.Networks[mode] = EndpointSettings{NetworkID: networkID(db, mode)}
		return ns
	case strings.HasPrefix(mode, "container:"):
		// The other container's network; docker lists none here.
		ns.SandboxKey = ""
		return ns
	}
	for name, s := range endpointSettings(db, rec.ID) {
		ns.Networks[name] = s
		if name == DefaultBridge {
			ns.EndpointID, ns.Gateway, ns.IPAddress, ns.IPPrefixLen, ns.MacAddress = s.EndpointID, s.Gateway, s.IPAddress, s.IPPrefixLen, s.MacAddress
		}
	}
	if len(ns.Networks) == 0 {
		// Not started yet: its endpoint is made at the first start.
		name := rec.HostConfig.NetworkMode
		if n := db.Network(name); n != nil {
			name = n.Name
		}
		ns.Networks[name] = EndpointSettings{IPAMConfig: ipamConfig(rec.IPv4Address), Aliases: rec.Aliases, NetworkID: networkID(db, name)}
	}
	return ns
}

// CheckPorts reports whether the host ports o publishes explicitly are
// free, so that run can refuse a port in use before it creates anything.
// The start binds them again and holds them, so a port taken in between
// still fails the start. It returns an error wrapping ErrConflict (bind
// 0.0.0.0:8080/tcp: port is already allocated) or, for a bad binding,
// ErrInvalid.
func (e *Engine) CheckPorts(o CreateOptions) error {
	specs, err := portSpecs(&containerRecord{HostConfig: HostConfig{PortBindings: o.PortBindings}})
	if err != nil {
		return err
	}
	var fixed []network.PortSpec
	for _, s := range specs {
		if s.HostPort != 0 {
			fixed = append(fixed, s)
		}
	}
	if len(fixed) == 0 {
		return nil
	}
	pub, err := network.Publish(fixed)
	if err != nil {
		return netConflict("%w", err)
	}
	pub.Close()
	return nil
}

// networkID returns the ID of network name, or "".
func networkID(db *store.NetworkDB, name string) string {
	if n := db.Network(name); n != nil {
		return n.ID
	}
	return ""
}

// ContainerNetworks returns container id's networks by name, with their
// addresses while it runs, docker's NetworkSettings.Networks.
func (e *Engine) ContainerNetworks(ctx context.Context, id string) (map[string]EndpointSettings, error) {
	db, err := e.st.ReadNetworks()
	if err != nil {
		return nil, err
	}
	return endpointSettings(&db, id), nil
}

// endpointSettings returns container id's endpoints by network name.
func endpointSettings(db *store.NetworkDB, id string) map[string]EndpointSettings {
	out := map[string]EndpointSettings{}
	for _, ep := range db.Endpoints {
		if ep.Container != id {
			continue
		}
		n := db.Network(ep.Network)
		if n == nil {
			continue
		}
		s := EndpointSettings{IPAMConfig: ipamConfig(ep.StaticIP), Aliases: ep.Aliases, NetworkID: n.ID, EndpointID: ep.ID, MacAddress: ep.MAC}
		if ep.Active() {
			s.IPAddress, s.Gateway = ep.IP, n.Gateway
			if p, err := netip.ParsePrefix(n.Subnet); err == nil {
				s.IPPrefixLen = p.Bits()
			}
		}
		out[n.Name] = s
	}
	return out
}

// RepairNetworks releases what containers that are gone left behind:
// endpoints of removed containers, leases of containers whose process
// died without its monitor's Detach (with their DNAT rules), stray host
// veths, and stale names in peers' hosts files. It costs a read of the
// records and one netlink dump when there is nothing to do.
func (e *Engine) RepairNetworks(ctx context.Context) error {
	if db, err := e.st.ReadNetworks(); err != nil || len(db.Networks) == 0 {
		return err // networking never used: nothing to repair
	}
	var errs []error
	// The links are listed before the records are read: a veth created
	// after its lease was recorded is then always known to be in use.
	names := e.netNames()
	links, err := network.LinksWithPrefix(names.veth)
	errs = append(errs, err)
	var nets []store.Network
	hadPorts := false
	live := map[string]bool{}
	err = e.st.UpdateNetworks(func(db *store.NetworkDB) error {
		kept := db.Endpoints[:0]
		for _, ep := range db.Endpoints {
			gone := false
			if _, err := os.Stat(e.st.Container(ep.Container).Config); errors.Is(err, os.ErrNotExist) {
				gone = true
			}
			if ep.Active() && (gone || !alive(&ep)) {
				hadPorts = hadPorts || len(ep.Ports) > 0
				if n := db.Network(ep.Network); n != nil {
					nets = append(nets, *n)
				}
				e.log.Info("release network lease of a stopped container", "container", ep.Container, "ip", ep.IP)
				network.Release(&ep)
			}
			if ep.Active() {
				live[ep.HostVeth] = true
			}
			if !gone {
				kept = append(kept, ep)
			}
		}
		db.Endpoints = kept
		return nil
	})
	if err != nil {
		return fmt.Errorf("repair networks: %w", err)
	}
	for _, l := range links {
		if !live[l] {
			e.log.Info("delete stray veth", "veth", l)
			errs = append(errs, network.Detach(l))
		}
	}
	if hadPorts {
		errs = append(errs, e.applyFirewall(ctx, false))
	}
	errs = append(errs, e.refreshHosts("", nets))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("repair networks: %w", err)
	}
	return nil
}

// ResetNetworking deletes the Linux bridges of every network of this store
// and its iptables chains with their jumps, leaving the records: the next
// container start or network create rebuilds what it needs. It is for
// uninstalling berth and for tests; running containers lose their
// networking.
func (e *Engine) ResetNetworking(ctx context.Context) error {
	db, err := e.st.ReadNetworks()
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range db.Networks {
		if n.Bridge != "" {
			errs = append(errs, network.DeleteBridge(n.Bridge))
		}
	}
	names := e.netNames()
	if fw, err := names.firewall(); err == nil {
		errs = append(errs, fw.Remove(ctx))
	}
	if err := os.Remove(filepath.Join(netStoresDir, names.ifPrefix)); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// containerNetNS returns the path of the network namespace of running
// container id, through its process.
func (e *Engine) containerNetNS(id string) (string, error) {
	st, err := e.readState(id)
	if err != nil {
		return "", err
	}
	if st.Pid <= 0 {
		return "", fmt.Errorf("container %s is not running", id[:12])
	}
	return fmt.Sprintf("/proc/%d/ns/net", st.Pid), nil
}

// checkMAC checks that a container on network mode can ask for the MAC
// mac (--mac-address): it is a unicast Ethernet address, and the
// container has an interface of its own.
func checkMAC(mode, mac string) error {
	hw, err := net.ParseMAC(mac)
	if err != nil || len(hw) != 6 || hw[0]&1 != 0 {
		return invalidf("%s is not a valid mac address: use a unicast one such as 02:42:ac:11:00:02", mac)
	}
	if mode == "host" || strings.HasPrefix(mode, "container:") {
		return netInvalid("conflicting options: mac-address and the network mode")
	}
	return nil
}

// checkStaticIP checks that a container on network mode can ask for
// address ip (--ip): the network is a user-defined one, and ip is one of
// its host addresses. Whether another container holds it shows at the
// start.
func (e *Engine) checkStaticIP(mode, ip string) error {
	if mode == DefaultBridge || mode == "host" || mode == "none" || strings.HasPrefix(mode, "container:") {
		return netInvalid("user specified IP address is supported on user defined networks only")
	}
	_, n, err := e.lookupNetwork(mode)
	if err != nil {
		return err
	}
	if _, err := network.CheckAddress(n, ip); err != nil {
		return netInvalid("%v", err)
	}
	return nil
}
