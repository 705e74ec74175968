package ui

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/berth-dev/berth/engine"
)

// NetworkLister lists networks and reads what the inspect pane shows.
type NetworkLister interface {
	// Networks lists every network, sorted by name.
	Networks(ctx context.Context) ([]engine.Network, error)
	// InspectNetwork returns the network ref names (a name or an ID).
	InspectNetwork(ctx context.Context, ref string) (engine.Network, error)
}

// NetworkChanger creates and removes networks.
type NetworkChanger interface {
	// CreateNetwork makes a bridge network and returns its ID.
	CreateNetwork(ctx context.Context, name string, o engine.NetworkCreateOptions) (string, error)
	// RemoveNetwork removes a user network no running container uses.
	RemoveNetwork(ctx context.Context, ref string) error
	// PruneNetworks removes every unused user network that f matches and
	// returns their names.
	PruneNetworks(ctx context.Context, f engine.PruneFilter) ([]string, error)
}

// networksMsg is a fresh network list.
type networksMsg struct {
	list []engine.Network
	err  error
}

func loadNetworksCmd(ctx context.Context, eng NetworkLister) tea.Cmd {
	return func() tea.Msg {
		l, err := eng.Networks(ctx)
		return networksMsg{l, err}
	}
}

// netList is the networks list: the table plus the networks behind it.
type netList struct {
	table
	byID map[string]engine.Network
	loader
	stale  bool // a change may have touched the list while it was hidden
	loaded bool // a list has arrived once
}

// Network list columns.
const (
	netColName = iota
	netColID
	netColDriver
	netColSubnet
	netColGateway
	netColUsers
	netColCreated
)

func newNetList(st *Styles, keys *ListKeys) netList {
	cols := []column{
		netColName:    {Title: "NAME", Min: 10, Max: 40, Flex: true, Sort: "name"},
		netColID:      {Title: "NETWORK ID", Min: 12, Max: 12, Drop: 2},
		netColDriver:  {Title: "DRIVER", Min: 6, Max: 8},
		netColSubnet:  {Title: "SUBNET", Min: 10, Max: 20, Flex: true},
		netColGateway: {Title: "GATEWAY", Min: 9, Max: 16, Drop: 3},
		netColUsers:   {Title: "RUNNING", Min: 7, Max: 7, Right: true, Sort: "use"},
		netColCreated: {Title: "CREATED", Min: 8, Max: 12, Sort: "created", Drop: 1},
	}
	return netList{table: newTable(cols, netColName, st, keys), byID: map[string]engine.Network{}}
}

func (l *netList) reload(ctx context.Context, eng NetworkLister) tea.Cmd {
	l.stale = false
	return l.start(loadNetworksCmd(ctx, eng))
}

// name returns a network's name, or its short ID.
func (l *netList) name(id string) string {
	if n, ok := l.byID[id]; ok && n.Name != "" {
		return n.Name
	}
	return shortID(id)
}

// predefinedNetwork reports the networks every store has and that cannot
// be removed, as in docker.
func predefinedNetwork(name string) bool {
	return name == "bridge" || name == "host" || name == "none"
}

func (m *Model) gotNetworks(msg networksMsg) tea.Cmd {
	l := &m.networks
	l.loaded = true
	cmds := []tea.Cmd{l.done(func() tea.Cmd { return l.reload(m.ctx, m.eng) })}
	if msg.err != nil {
		return tea.Batch(append(cmds, errCmd(fmt.Errorf("list networks: %w", msg.err)))...)
	}
	now := m.now()
	l.byID = make(map[string]engine.Network, len(msg.list))
	rows := make([]row, 0, len(msg.list))
	for _, n := range msg.list {
		l.byID[n.ID] = n
		var subnets, gateways []string
		for _, c := range n.IPAM.Config {
			if c.Subnet != "" {
				subnets = append(subnets, c.Subnet)
			}
			if c.Gateway != "" {
				gateways = append(gateways, c.Gateway)
			}
		}
		subnet, gateway := strings.Join(subnets, ","), strings.Join(gateways, ",")
		if subnet == "" {
			subnet = "-"
		}
		if gateway == "" {
			gateway = "-"
		}
		users, usersStyle := "-", m.styles.Muted
		if c := len(n.Containers); c > 0 {
			users, usersStyle = itoa(c), m.styles.Input
		}
		nameStyle := m.styles.Input
		if predefinedNetwork(n.Name) {
			nameStyle = m.styles.Muted
		}
		rows = append(rows, row{
			ID: n.ID,
			Cells: []cell{
				netColName:    {n.Name, nameStyle},
				netColID:      {shortID(n.ID), m.styles.Muted},
				netColDriver:  {n.Driver, m.styles.Muted},
				netColSubnet:  {subnet, m.styles.Input},
				netColGateway: {gateway, m.styles.Muted},
				netColUsers:   {users, usersStyle},
				netColCreated: {ago(n.Created, now), m.styles.Muted},
			},
			Keys: []sortKey{
				netColName:    {Text: n.Name},
				netColID:      {Text: n.ID},
				netColDriver:  {Text: n.Driver},
				netColSubnet:  {Text: subnet},
				netColGateway: {Text: gateway},
				netColUsers:   {Num: -int64(len(n.Containers)), Text: n.Name},
				netColCreated: {Num: -n.Created.UnixNano(), Text: n.Name},
			},
			Filter: n.Name + " " + shortID(n.ID) + " " + n.Driver + " " + subnet,
		})
	}
	before := l.Selected()
	l.SetRows(rows)
	if m.view == viewNetworks && (l.Selected() != before || m.pane.id == "") {
		cmds = append(cmds, m.loadPane(false))
	}
	return tea.Batch(cmds...)
}

// networkAction handles the keys that act on networks.
func (m *Model) networkAction(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := m.keys.Network
	eng := m.eng
	switch {
	case key.Matches(msg, k.Create):
		m.openNetworkDialog()
		return nil, true
	case key.Matches(msg, k.Prune):
		m.confirm = newConfirm("Prune networks", "Remove every user network that no running container uses?", func(ctx context.Context) tea.Cmd {
			return func() tea.Msg {
				gone, err := eng.PruneNetworks(ctx, engine.PruneFilter{})
				if err != nil {
					return errMsg{fmt.Errorf("prune networks: %w", err)}
				}
				what := plural(len(gone), "network")
				if len(gone) > 0 && len(gone) <= 3 {
					what += " (" + strings.Join(gone, ", ") + ")"
				}
				return actionDoneMsg{verb: "pruned", names: []string{what}, kind: viewNetworks}
			}
		})
		return nil, true
	}
	ids := m.networks.Targets()
	if len(ids) == 0 || !key.Matches(msg, k.Remove) {
		return nil, false
	}
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = m.networks.name(id)
	}
	for _, n := range names {
		if predefinedNetwork(n) {
			return errCmd(fmt.Errorf("remove network %s: %w: a pre-defined network cannot be removed", n, engine.ErrInvalid)), true
		}
	}
	m.confirm = newConfirm("Remove networks", "Remove "+plural(len(ids), "network")+"?\n"+strings.Join(names, "\n"), func(ctx context.Context) tea.Cmd {
		return actionCmd(ctx, viewNetworks, "removed", ids, names, func(ctx context.Context, id string) error {
			return eng.RemoveNetwork(ctx, id)
		})
	})
	return nil, true
}

// networkCreatedMsg reports a network made from the create dialog.
type networkCreatedMsg struct {
	id, name string
	err      error
}

// openNetworkDialog asks for a new network's name and addresses.
func (m *Model) openNetworkDialog() {
	eng := m.eng
	m.openForm(newForm(&m.styles, &m.keys.Dialog, "Create a network",
		[]field{
			{Label: "Name", Placeholder: "backend"},
			{Label: "Subnet", Placeholder: "(a free private one)", Hint: "IPv4 CIDR, e.g. 10.20.0.0/24"},
			{Label: "Gateway", Placeholder: "(the subnet's first address)"},
		},
		func(ctx context.Context, v formValues) tea.Cmd {
			name := strings.TrimSpace(v.text(0))
			if name == "" {
				return errCmd(fmt.Errorf("create network: %w: give it a name", engine.ErrInvalid))
			}
			o := engine.NetworkCreateOptions{Subnet: strings.TrimSpace(v.text(1)), Gateway: strings.TrimSpace(v.text(2))}
			return func() tea.Msg {
				id, err := eng.CreateNetwork(ctx, name, o)
				if err != nil {
					return networkCreatedMsg{name: name, err: fmt.Errorf("create network %s: %w", name, err)}
				}
				return networkCreatedMsg{id: id, name: name}
			}
		}))
}

func (m *Model) networkCreated(msg networkCreatedMsg) tea.Cmd {
	if msg.err != nil {
		return errCmd(msg.err)
	}
	m.networks.SelectSoon(msg.id)
	return tea.Batch(infoCmd("created network "+msg.name), m.networks.reload(m.ctx, m.eng))
}
