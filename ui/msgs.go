package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/berth-dev/berth/engine"
)

// errMsg carries every error to the status line.
type errMsg struct{ err error }

// infoMsg is a short confirmation for the status line.
type infoMsg string

// clearStatusMsg clears the status line if nothing replaced it since.
type clearStatusMsg struct{ seq int }

// statusTTL is how long a status message stays.
const statusTTL = 6 * time.Second

func errCmd(err error) tea.Cmd { return func() tea.Msg { return errMsg{err} } }

func infoCmd(s string) tea.Cmd { return func() tea.Msg { return infoMsg(s) } }

func clearStatusCmd(seq int) tea.Cmd {
	return tea.Tick(statusTTL, func(time.Time) tea.Msg { return clearStatusMsg{seq} })
}

// imagesMsg is a fresh image list.
type imagesMsg struct {
	list []engine.ImageSummary
	err  error
}

func loadImagesCmd(ctx context.Context, eng ImageLister) tea.Cmd {
	return func() tea.Msg {
		l, err := eng.Images(ctx, engine.ListImagesOptions{})
		return imagesMsg{l, err}
	}
}

// subscribedMsg hands the event channel to the model.
type subscribedMsg struct {
	ch  <-chan engine.Event
	err error
}

// eventsMsg is one or more events that arrived together.
type eventsMsg struct {
	events []engine.Event
	ch     <-chan engine.Event
}

// eventsClosedMsg says the event stream ended.
type eventsClosedMsg struct{}

func subscribeCmd(ctx context.Context, eng EventSource) tea.Cmd {
	return func() tea.Msg {
		ch, err := eng.Events(ctx, time.Time{})
		return subscribedMsg{ch, err}
	}
}

// maxEventBatch bounds how many queued events one eventsMsg carries.
const maxEventBatch = 512

// waitEventCmd waits for the next event, then takes whatever else is
// already queued, so a burst of events costs one reload. The model
// returns it again after handling each batch.
func waitEventCmd(ch <-chan engine.Event) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-ch
		if !ok {
			return eventsClosedMsg{}
		}
		evs := []engine.Event{ev}
		for len(evs) < maxEventBatch {
			select {
			case ev, ok := <-ch:
				if !ok {
					return eventsMsg{evs, ch}
				}
				evs = append(evs, ev)
			default:
				return eventsMsg{evs, ch}
			}
		}
		return eventsMsg{evs, ch}
	}
}

// actionDoneMsg reports an action on one or more items.
type actionDoneMsg struct {
	verb  string // past tense: "stopped"
	names []string
	err   error
	kind  viewKind
}

// actionCmd runs fn on each id in order and reports once. names are the
// display names of ids, in the same order.
func actionCmd(ctx context.Context, kind viewKind, verb string, ids, names []string, fn func(ctx context.Context, id string) error) tea.Cmd {
	return func() tea.Msg {
		var errs []error
		var done []string
		for i, id := range ids {
			if err := fn(ctx, id); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", names[i], err))
				continue
			}
			done = append(done, names[i])
		}
		return actionDoneMsg{verb: verb, names: done, err: errors.Join(errs...), kind: kind}
	}
}

// summary formats a done action for the status line.
func (a actionDoneMsg) summary() string {
	switch len(a.names) {
	case 0:
		return ""
	case 1:
		return a.verb + " " + a.names[0]
	case 2, 3:
		return a.verb + " " + strings.Join(a.names, ", ")
	}
	return fmt.Sprintf("%s %d items", a.verb, len(a.names))
}

// handleData handles the messages that carry results; it reports whether
// msg was one of them.
func (m *Model) handleData(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case imagesMsg:
		return m.gotImages(msg), true
	case containersMsg:
		return m.gotContainers(msg), true
	case volumesMsg:
		return m.gotVolumes(msg), true
	case networksMsg:
		return m.gotNetworks(msg), true
	case networkCreatedMsg:
		return m.networkCreated(msg), true
	case subscribedMsg:
		if msg.err != nil {
			return errCmd(fmt.Errorf("follow events: %w", msg.err)), true
		}
		m.events = msg.ch
		return waitEventCmd(msg.ch), true
	case eventsMsg:
		return tea.Batch(m.gotEvents(msg.events), waitEventCmd(msg.ch)), true
	case eventsClosedMsg:
		if m.ctx.Err() == nil && !m.quiting {
			return errCmd(errors.New("event log stopped: lists no longer update by themselves")), true
		}
		return nil, true
	case actionDoneMsg:
		var cmds []tea.Cmd
		if msg.err != nil {
			cmds = append(cmds, errCmd(msg.err))
		} else if s := msg.summary(); s != "" {
			cmds = append(cmds, infoCmd(s))
		}
		cmds = append(cmds, m.reload(msg.kind))
		return tea.Batch(cmds...), true
	case paneMsg:
		return m.gotPane(msg), true
	case logPathMsg:
		return m.logs.gotPath(msg), true
	case logsMsg:
		return m.logs.gotLines(msg), true
	case logsGrewMsg:
		return m.logs.grew(m.ctx, msg), true
	case layerFilesMsg:
		m.layers.gotFiles(msg)
		return nil, true
	case topTickMsg:
		return m.topTick(msg), true
	case statsMsg:
		return m.stats.got(msg, m), true
	case statsTickMsg:
		return m.stats.tick(msg, m), true
	case pullProgressMsg:
		if m.pull != nil {
			return m.pull.progress(msg), true
		}
		return nil, true
	case pullDoneMsg:
		return m.pullDone(msg), true
	case attachDoneMsg:
		return m.attachDone(msg), true
	case createdMsg:
		return m.created(msg), true
	case savedMsg:
		return infoCmd(string(msg)), true
	}
	return nil, false
}

// reload reloads the list of kind, and the images too after a change to
// containers (it changes their use counts).
func (m *Model) reload(kind viewKind) tea.Cmd {
	switch kind {
	case viewImages:
		return m.images.reload(m.ctx, m.eng)
	case viewVolumes:
		return m.volumes.reload(m.ctx, m.eng)
	case viewNetworks:
		return m.networks.reload(m.ctx, m.eng)
	}
	return tea.Batch(m.containers.reload(m.ctx, m.eng), m.images.reload(m.ctx, m.eng))
}

// gotEvents reloads what a batch of events changed.
func (m *Model) gotEvents(evs []engine.Event) tea.Cmd {
	var ctrs, imgs, vols, nets, pane bool
	sel := m.list().Selected()
	for _, ev := range evs {
		switch ev.Type {
		case "container":
			ctrs = true
			// Creating or removing a container changes image and volume
			// use counts; starting and stopping one changes the running
			// containers of its networks.
			created := ev.Action == "create" || ev.Action == "destroy" || ev.Action == "remove"
			imgs = imgs || created
			if created {
				m.volumes.stale = true
			}
			m.networks.stale = true
		case "image":
			imgs = true
		case "volume":
			vols = true
		case "network":
			nets = true
		}
		if ev.ID != "" && ev.ID == sel {
			pane = true
		}
	}
	var cmds []tea.Cmd
	if ctrs {
		cmds = append(cmds, m.containers.reload(m.ctx, m.eng))
	}
	if imgs {
		cmds = append(cmds, m.images.reload(m.ctx, m.eng))
	}
	// A list touched only indirectly reloads now if it is shown, else
	// when it is next shown.
	if vols || (m.volumes.stale && m.view == viewVolumes) {
		cmds = append(cmds, m.volumes.reload(m.ctx, m.eng))
	}
	if nets || (m.networks.stale && m.view == viewNetworks) {
		cmds = append(cmds, m.networks.reload(m.ctx, m.eng))
	}
	if pane && m.panes[m.view] != paneLogs {
		cmds = append(cmds, m.loadPane(true))
	}
	return tea.Batch(cmds...)
}
