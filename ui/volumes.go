package ui

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/berth-dev/berth/engine"
)

// VolumeLister lists volumes and reads what the inspect pane shows.
type VolumeLister interface {
	// Volumes lists the volumes, by name.
	Volumes(ctx context.Context) ([]engine.Volume, error)
	// InspectVolume returns volume name (ErrNotFound when there is none).
	InspectVolume(ctx context.Context, name string) (engine.Volume, error)
}

// VolumeChanger removes volumes.
type VolumeChanger interface {
	// RemoveVolume removes volume name and its data; a volume in use gives
	// an *engine.VolumeInUseError.
	RemoveVolume(ctx context.Context, name string, force bool) error
	// PruneVolumes removes the unused anonymous volumes (with all, the
	// unused named ones too) that f matches.
	PruneVolumes(ctx context.Context, all bool, f engine.PruneFilter) (engine.PruneReport, error)
}

// volumesMsg is a fresh volume list.
type volumesMsg struct {
	list []engine.Volume
	err  error
}

func loadVolumesCmd(ctx context.Context, eng VolumeLister) tea.Cmd {
	return func() tea.Msg {
		l, err := eng.Volumes(ctx)
		return volumesMsg{l, err}
	}
}

// volList is the volumes list: the table plus the volumes behind it, by
// name (a volume's ID).
type volList struct {
	table
	byName map[string]engine.Volume
	loader
	stale  bool // a change may have touched the list while it was hidden
	loaded bool // a list has arrived once
}

// Volume list columns.
const (
	volColName = iota
	volColDriver
	volColUsers
	volColCreated
	volColMount
)

func newVolList(st *Styles, keys *ListKeys) volList {
	cols := []column{
		volColName:    {Title: "NAME", Min: 12, Max: 64, Flex: true, Sort: "name"},
		volColDriver:  {Title: "DRIVER", Min: 6, Max: 8, Drop: 2},
		volColUsers:   {Title: "USED BY", Min: 7, Max: 7, Right: true, Sort: "use"},
		volColCreated: {Title: "CREATED", Min: 8, Max: 12, Sort: "created", Drop: 1},
		volColMount:   {Title: "MOUNTPOINT", Min: 12, Flex: true, Drop: 3},
	}
	return volList{table: newTable(cols, volColName, st, keys), byName: map[string]engine.Volume{}}
}

func (l *volList) reload(ctx context.Context, eng VolumeLister) tea.Cmd {
	l.stale = false
	return l.start(loadVolumesCmd(ctx, eng))
}

// name returns a volume's name, shortened when it is an anonymous
// volume's 64 hex digits.
func (l *volList) name(id string) string {
	if len(id) == 64 && strings.Trim(id, "0123456789abcdef") == "" {
		return shortID(id)
	}
	return id
}

func (m *Model) gotVolumes(msg volumesMsg) tea.Cmd {
	l := &m.volumes
	l.loaded = true
	cmds := []tea.Cmd{l.done(func() tea.Cmd { return l.reload(m.ctx, m.eng) })}
	if msg.err != nil {
		return tea.Batch(append(cmds, errCmd(fmt.Errorf("list volumes: %w", msg.err)))...)
	}
	now := m.now()
	l.byName = make(map[string]engine.Volume, len(msg.list))
	rows := make([]row, 0, len(msg.list))
	for _, v := range msg.list {
		l.byName[v.Name] = v
		users, usersStyle := "-", m.styles.Muted
		if n := len(v.UsedBy); n > 0 {
			users, usersStyle = itoa(n), m.styles.Input
		}
		nameStyle := m.styles.Input
		if len(v.UsedBy) == 0 {
			nameStyle = m.styles.Muted
		}
		rows = append(rows, row{
			ID: v.Name,
			Cells: []cell{
				volColName:    {l.name(v.Name), nameStyle},
				volColDriver:  {v.Driver, m.styles.Muted},
				volColUsers:   {users, usersStyle},
				volColCreated: {ago(v.CreatedAt, now), m.styles.Muted},
				volColMount:   {v.Mountpoint, m.styles.Muted},
			},
			Keys: []sortKey{
				volColName:    {Text: v.Name},
				volColDriver:  {Text: v.Driver},
				volColUsers:   {Num: -int64(len(v.UsedBy)), Text: v.Name},
				volColCreated: {Num: -v.CreatedAt.UnixNano(), Text: v.Name},
				volColMount:   {Text: v.Mountpoint},
			},
			Filter: v.Name + " " + v.Driver,
		})
	}
	before := l.Selected()
	l.SetRows(rows)
	if m.view == viewVolumes && (l.Selected() != before || m.pane.id == "") {
		cmds = append(cmds, m.loadPane(false))
	}
	return tea.Batch(cmds...)
}

// volumeAction handles the keys that act on volumes.
func (m *Model) volumeAction(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := m.keys.Volume
	eng := m.eng
	if key.Matches(msg, k.Prune) {
		m.openForm(newForm(&m.styles, &m.keys.Dialog, "Prune volumes",
			[]field{{Label: "Named volumes too", Check: true,
				Hint: "unused anonymous volumes go; tick to remove unused named ones as well (-a)"}},
			func(ctx context.Context, v formValues) tea.Cmd {
				all := v.check(0)
				return func() tea.Msg {
					rep, err := eng.PruneVolumes(ctx, all, engine.PruneFilter{})
					if err != nil {
						return errMsg{fmt.Errorf("prune volumes: %w", err)}
					}
					return actionDoneMsg{verb: "pruned", names: []string{plural(len(rep.Deleted), "volume") + ", reclaimed " + humanSize(rep.SpaceReclaimed)}, kind: viewVolumes}
				}
			}))
		return nil, true
	}
	ids := m.volumes.Targets()
	if len(ids) == 0 || !key.Matches(msg, k.Remove) {
		return nil, false
	}
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = m.volumes.name(id)
	}
	m.confirm = newConfirm("Remove volumes", "Remove "+plural(len(ids), "volume")+"? Their data is deleted.\n"+strings.Join(names, "\n"), func(ctx context.Context) tea.Cmd {
		return actionCmd(ctx, viewVolumes, "removed", ids, names, func(ctx context.Context, id string) error {
			return eng.RemoveVolume(ctx, id, false)
		})
	})
	return nil, true
}
