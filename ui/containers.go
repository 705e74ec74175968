package ui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/berth-dev/berth/engine"
)

// ContainerLister lists containers and reads what the container panes show.
type ContainerLister interface {
	// Containers lists containers (all of them with opts.All).
	Containers(ctx context.Context, opts engine.ListContainersOptions) ([]engine.ContainerSummary, error)
	// InspectContainer returns the docker-shaped description of id.
	InspectContainer(ctx context.Context, id string) (engine.ContainerInspect, error)
	// Top lists the processes of running container id.
	Top(ctx context.Context, id string, psArgs string) (engine.TopResult, error)
}

// ContainerRunner starts and stops containers.
type ContainerRunner interface {
	Start(ctx context.Context, id string) error
	Stop(ctx context.Context, id string, timeout *time.Duration) error
	Restart(ctx context.Context, id string, timeout *time.Duration) error
	Kill(ctx context.Context, id string, signal string) error
}

// ContainerPauser freezes and thaws containers.
type ContainerPauser interface {
	Pause(ctx context.Context, id string) error
	Unpause(ctx context.Context, id string) error
}

// ContainerMaker creates, commits and removes containers.
type ContainerMaker interface {
	Create(ctx context.Context, opts engine.CreateOptions) (string, error)
	Commit(ctx context.Context, id string, opts engine.CommitOptions) (engine.ImageSummary, error)
	Remove(ctx context.Context, id string, opts engine.RemoveOptions) error
}

// ContainerChanger is every action on containers.
type ContainerChanger interface {
	ContainerRunner
	ContainerPauser
	ContainerMaker
}

// containersMsg is a fresh container list.
type containersMsg struct {
	list []engine.ContainerSummary
	err  error
}

func loadContainersCmd(ctx context.Context, eng ContainerLister) tea.Cmd {
	return func() tea.Msg {
		l, err := eng.Containers(ctx, engine.ListContainersOptions{All: true})
		return containersMsg{l, err}
	}
}

// ctrList is the containers list: the table plus the summaries behind it.
type ctrList struct {
	table
	byID map[string]engine.ContainerSummary
	loader
}

// Container list columns.
const (
	ctrColName = iota
	ctrColID
	ctrColImage
	ctrColState
	ctrColUptime
	ctrColPorts
	ctrColStats
	ctrColCreated
)

func newCtrList(st *Styles, keys *ListKeys) ctrList {
	cols := []column{
		ctrColName:    {Title: "NAME", Min: 10, Max: 32, Flex: true, Sort: "name"},
		ctrColID:      {Title: "ID", Min: 12, Max: 12, Drop: 3},
		ctrColImage:   {Title: "IMAGE", Min: 10, Max: 36, Flex: true},
		ctrColState:   {Title: "STATE", Min: 11, Max: 13, Sort: "state"},
		ctrColUptime:  {Title: "UPTIME", Min: 6, Max: 8, Right: true},
		ctrColPorts:   {Title: "PORTS", Min: 8, Max: 30, Flex: true, Drop: 2},
		ctrColStats:   {Title: "CPU/MEM", Min: 17, Max: 17, Drop: 4},
		ctrColCreated: {Title: "CREATED", Min: 8, Max: 10, Sort: "created", Drop: 1},
	}
	return ctrList{table: newTable(cols, ctrColState, st, keys), byID: map[string]engine.ContainerSummary{}}
}

func (l *ctrList) reload(ctx context.Context, eng ContainerLister) tea.Cmd {
	return l.start(loadContainersCmd(ctx, eng))
}

// name returns a container's name, or its short ID.
func (l *ctrList) name(id string) string {
	if s, ok := l.byID[id]; ok && s.Name != "" {
		return strings.TrimPrefix(s.Name, "/")
	}
	return shortID(id)
}

// stateOrder sorts running containers first, then paused, then the rest.
func stateOrder(state string) int64 {
	switch state {
	case engine.StateRunning:
		return 0
	case engine.StateRestarting:
		return 1
	case engine.StatePaused:
		return 2
	case engine.StateCreated:
		return 3
	}
	return 4
}

// stateText is the STATE cell: the state, with the exit code for exited
// containers, and its style; a running container with a health check
// shows its health instead.
func stateText(s engine.ContainerSummary, st *Styles) (string, lipgloss.Style) {
	switch s.State {
	case engine.StateRunning:
		switch s.Health {
		case engine.HealthHealthy:
			return "● healthy", st.Running
		case engine.HealthUnhealthy:
			return "● unhealthy", st.Error
		case engine.HealthStarting:
			return "● starting", st.Paused
		}
		return "● running", st.Running
	case engine.StatePaused:
		return "‖ paused", st.Paused
	case engine.StateRestarting:
		return "↻ restarting", st.Paused
	case engine.StateExited:
		if s.ExitCode != 0 {
			return "✗ exited " + strconv.Itoa(s.ExitCode), st.Error
		}
		return "○ exited 0", st.Stopped
	case engine.StateCreated:
		return "○ created", st.Stopped
	}
	return "○ " + s.State, st.Stopped
}

func (m *Model) gotContainers(msg containersMsg) tea.Cmd {
	l := &m.containers
	cmds := []tea.Cmd{l.done(func() tea.Cmd { return l.reload(m.ctx, m.eng) })}
	if msg.err != nil {
		return tea.Batch(append(cmds, errCmd(fmt.Errorf("list containers: %w", msg.err)))...)
	}
	l.byID = make(map[string]engine.ContainerSummary, len(msg.list))
	for _, s := range msg.list {
		l.byID[s.ID] = s
	}
	m.stats.prune(l.byID)
	m.renderContainerRows()
	if m.volumes.stale && !m.volumes.loaded {
		cmds = append(cmds, m.volumes.reload(m.ctx, m.eng))
	}
	if m.networks.stale && !m.networks.loaded {
		cmds = append(cmds, m.networks.reload(m.ctx, m.eng))
	}
	before := l.Selected()
	if m.view == viewContainers && (before != m.pane.id || m.pane.id == "") {
		cmds = append(cmds, m.loadPane(false))
	}
	cmds = append(cmds, m.stats.tickIfNeeded(m))
	return tea.Batch(cmds...)
}

// renderContainerRows rebuilds the rows from the summaries and the stats
// samples (called on a new list and on new samples).
func (m *Model) renderContainerRows() {
	l := &m.containers
	now := m.now()
	rows := make([]row, 0, len(l.byID))
	for _, s := range l.byID {
		name := strings.TrimPrefix(s.Name, "/")
		state, stStyle := stateText(s, &m.styles)
		uptime := "-"
		if s.State == engine.StateRunning || s.State == engine.StatePaused {
			if !s.StartedAt.IsZero() {
				uptime = humanDuration(now.Sub(s.StartedAt))
			}
		}
		rows = append(rows, row{
			ID: s.ID,
			Cells: []cell{
				ctrColName:    {name, m.styles.Input.Bold(s.State == engine.StateRunning)},
				ctrColID:      {shortID(s.ID), m.styles.Muted},
				ctrColImage:   {s.Image, m.styles.Input},
				ctrColState:   {state, stStyle},
				ctrColUptime:  {uptime, m.styles.Input},
				ctrColPorts:   {s.Ports, m.styles.Input},
				ctrColStats:   {m.stats.cell(s.ID), m.styles.Bar},
				ctrColCreated: {ago(s.Created, now), m.styles.Muted},
			},
			Keys: []sortKey{
				ctrColName:    {Text: name},
				ctrColID:      {Text: s.ID},
				ctrColImage:   {Text: s.Image},
				ctrColState:   {Num: stateOrder(s.State), Text: name},
				ctrColUptime:  {Num: s.StartedAt.UnixNano()},
				ctrColPorts:   {Text: s.Ports},
				ctrColStats:   {},
				ctrColCreated: {Num: -s.Created.UnixNano(), Text: name},
			},
			Filter: name + " " + shortID(s.ID) + " " + s.Image + " " + s.State + " " + s.Ports,
		})
	}
	l.SetRows(rows)
}

// containerAction handles the keys that act on containers.
func (m *Model) containerAction(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := m.keys.Container
	ids := m.containers.Targets()
	if len(ids) == 0 {
		return nil, false
	}
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = m.containers.name(id)
	}
	eng := m.eng
	ctx := m.ctx
	run := func(verb string, fn func(ctx context.Context, id string) error) (tea.Cmd, bool) {
		m.setStatus(progressive(verb)+" "+strings.Join(names, ", "), false)
		m.status.busy = true
		return actionCmd(ctx, viewContainers, verb, ids, names, fn), true
	}
	switch {
	case key.Matches(msg, k.Start):
		return run("started", eng.Start)
	case key.Matches(msg, k.Stop):
		return run("stopped", func(ctx context.Context, id string) error { return eng.Stop(ctx, id, nil) })
	case key.Matches(msg, k.Restart):
		return run("restarted", func(ctx context.Context, id string) error { return eng.Restart(ctx, id, nil) })
	case key.Matches(msg, k.Kill):
		m.confirm = newConfirm("Kill containers", "Send SIGKILL to "+strings.Join(names, ", ")+"?", func(ctx context.Context) tea.Cmd {
			return actionCmd(ctx, viewContainers, "killed", ids, names, func(ctx context.Context, id string) error { return eng.Kill(ctx, id, "SIGKILL") })
		})
		return nil, true
	case key.Matches(msg, k.Pause):
		paused := map[string]bool{}
		for _, id := range ids {
			paused[id] = m.containers.byID[id].State == engine.StatePaused
		}
		return run("paused/unpaused", func(ctx context.Context, id string) error {
			if paused[id] {
				return eng.Unpause(ctx, id)
			}
			return eng.Pause(ctx, id)
		})
	case key.Matches(msg, k.Remove), key.Matches(msg, k.ForceRemove):
		force := key.Matches(msg, k.ForceRemove)
		title := "Remove containers"
		text := "Remove " + plural(len(ids), "container") + "?\n" + strings.Join(names, "\n")
		if force {
			title = "Force-remove containers"
			text = "Kill (if running) and remove " + plural(len(ids), "container") + "?\n" + strings.Join(names, "\n")
		}
		m.confirm = newConfirm(title, text, func(ctx context.Context) tea.Cmd {
			return actionCmd(ctx, viewContainers, "removed", ids, names, func(ctx context.Context, id string) error {
				return eng.Remove(ctx, id, engine.RemoveOptions{Force: force})
			})
		})
		return nil, true
	case key.Matches(msg, k.Attach):
		return m.attach(ids[0], false), true
	case key.Matches(msg, k.Shell):
		return m.attach(ids[0], true), true
	case key.Matches(msg, k.Commit):
		m.openCommitDialog(ids[0])
		return nil, true
	}
	return nil, false
}

// progressive turns a past-tense verb into the ongoing form for the
// status line: "stopped" is "stopping".
func progressive(verb string) string {
	switch verb {
	case "stopped":
		return "stopping"
	case "paused/unpaused":
		return "pausing/unpausing"
	}
	return strings.TrimSuffix(verb, "ed") + "ing"
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return itoa(n) + " " + what + "s"
}
