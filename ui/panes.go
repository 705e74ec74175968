package ui

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/berth-dev/berth/engine"
)

// paneState says what the pane shows and which load is current.
type paneState struct {
	kind    paneKind
	view    viewKind
	id      string
	seq     int
	loading bool
	err     error
	// paused says the top pane stopped refreshing because nobody touched
	// a key for a while; the next key or mouse event refreshes it.
	paused bool
}

// paneMsg is the content of a pager-backed pane (inspect, top, history)
// or of the layers pane.
type paneMsg struct {
	seq    int
	header []string
	lines  []string
	doc    *jsonNode
	layers []engine.LayerInfo
	keep   bool
	err    error
}

// topInterval is how often the top pane refreshes while it is shown.
const topInterval = 2 * time.Second

// topTickMsg asks for a refresh of the top pane of load seq.
type topTickMsg struct{ seq int }

// loadPane loads the pane of the current view for the selected item. With
// keep the pane keeps its scroll position (a refresh of the same item).
func (m *Model) loadPane(keep bool) tea.Cmd {
	id := m.list().Selected()
	kind := m.panes[m.view]
	if id != m.pane.id || kind != m.pane.kind || m.view != m.pane.view {
		keep = false
	}
	m.pane.seq++
	m.pane.kind, m.pane.view, m.pane.id, m.pane.err, m.pane.paused = kind, m.view, id, nil, false
	if id == "" {
		m.pane.loading = false
		m.pager.SetContent(nil, nil, false)
		m.logs.Close()
		m.focusPane = false
		return nil
	}
	m.pane.loading = true
	seq := m.pane.seq
	ctx, eng := m.ctx, m.eng
	if kind != paneLogs {
		m.logs.Close()
	}
	switch kind {
	case paneLogs:
		m.pane.loading = false
		return m.logs.Open(ctx, eng, id, m.containers.name(id))
	case paneInspect:
		view := m.view
		var users func([]string) []string
		if view == viewVolumes {
			users = m.containerNamer()
		}
		return func() tea.Msg {
			var v any
			var err error
			switch view {
			case viewImages:
				v, err = eng.InspectImage(ctx, id)
			case viewVolumes:
				var vol engine.Volume
				vol, err = eng.InspectVolume(ctx, id)
				// The engine's volume keeps its users out of the
				// docker-shaped JSON; the pane shows them after it.
				v = struct {
					engine.Volume
					UsedBy []string
				}{vol, users(vol.UsedBy)}
			case viewNetworks:
				v, err = eng.InspectNetwork(ctx, id)
			default:
				v, err = eng.InspectContainer(ctx, id)
			}
			if err != nil {
				return paneMsg{seq: seq, err: fmt.Errorf("inspect: %w", err)}
			}
			b, err := json.Marshal(v)
			if err != nil {
				return paneMsg{seq: seq, err: fmt.Errorf("inspect: %w", err)}
			}
			doc, err := parseJSON(b)
			return paneMsg{seq: seq, doc: doc, keep: keep, err: err}
		}
	case paneTop:
		return func() tea.Msg {
			top, err := eng.Top(ctx, id, "")
			if err != nil {
				return paneMsg{seq: seq, keep: keep, err: fmt.Errorf("top: %w", err)}
			}
			header, lines := topLines(top)
			return paneMsg{seq: seq, header: header, lines: lines, keep: keep}
		}
	case paneHistory:
		now := m.now()
		return func() tea.Msg {
			h, err := eng.History(ctx, id)
			if err != nil {
				return paneMsg{seq: seq, err: fmt.Errorf("history: %w", err)}
			}
			header, lines := historyLines(h, now)
			return paneMsg{seq: seq, header: header, lines: lines, keep: keep}
		}
	case paneLayers:
		return func() tea.Msg {
			ls, err := eng.ImageLayers(ctx, id)
			if err != nil {
				return paneMsg{seq: seq, err: fmt.Errorf("layers: %w", err)}
			}
			return paneMsg{seq: seq, layers: ls, keep: keep}
		}
	}
	return nil
}

func (m *Model) gotPane(msg paneMsg) tea.Cmd {
	if msg.seq != m.pane.seq {
		return nil
	}
	m.pane.loading = false
	m.pane.err = msg.err
	var cmd tea.Cmd
	if m.pane.kind == paneTop {
		seq := msg.seq
		cmd = tea.Tick(topInterval, func(time.Time) tea.Msg { return topTickMsg{seq} })
	}
	if msg.err != nil {
		if !msg.keep {
			m.pager.SetContent(nil, nil, false)
		}
		return cmd
	}
	switch m.pane.kind {
	case paneInspect:
		if msg.keep && m.inspect.root != nil {
			msg.doc.copyFolds(m.inspect.root)
		}
		m.inspect.root = msg.doc
		m.pager.SetContent(nil, m.inspect.lines(), msg.keep)
	case paneLayers:
		return m.layers.SetLayers(m.ctx, m.eng, m.pane.id, msg.layers, msg.keep)
	default:
		m.pager.SetContent(msg.header, msg.lines, msg.keep)
	}
	return cmd
}

// topTick refreshes the top pane while it is still the one shown, and
// pauses it once the user has been away as long as stats sampling waits.
func (m *Model) topTick(msg topTickMsg) tea.Cmd {
	if msg.seq != m.pane.seq || m.pane.kind != paneTop {
		return nil
	}
	if m.idle() {
		m.pane.paused = true
		return nil
	}
	return m.loadPane(true)
}

// idle reports whether the user has not pressed a key or used the mouse
// for statsIdleAfter: periodic refreshes stop until they do.
func (m *Model) idle() bool { return m.now().Sub(m.lastInput) > statsIdleAfter }

// wake resumes what idleness paused.
func (m *Model) wake() tea.Cmd {
	if !m.pane.paused {
		return nil
	}
	m.pane.paused = false
	if m.pane.kind != paneTop || m.pane.id == "" {
		return nil
	}
	return m.loadPane(true)
}

// paneCapturing reports whether the focused pane has an input open that
// takes every key.
func (m *Model) paneCapturing() bool {
	switch m.pane.kind {
	case paneLogs:
		return m.logs.Capturing()
	case paneLayers:
		return m.layers.Capturing()
	}
	return m.pager.Searching()
}

// updatePane handles keys while the pane has the focus.
func (m *Model) updatePane(msg tea.Msg) tea.Cmd {
	km, isKey := msg.(tea.KeyPressMsg)
	if isKey && !m.paneCapturing() && key.Matches(km, m.keys.Viewer.Back) {
		m.focusPane = false
		return nil
	}
	switch m.pane.kind {
	case paneLogs:
		if isKey && !m.logs.Capturing() && key.Matches(km, m.keys.Viewer.Copy) {
			text, what := m.logs.CopyText()
			if text == "" {
				return nil
			}
			return m.copyCmd(text, "copied "+what+" to the clipboard")
		}
		if isKey && !m.logs.Capturing() && key.Matches(km, m.keys.Logs.Save) && m.logs.path != "" {
			m.openSaveLogDialog()
			return nil
		}
		return m.logs.Update(m.ctx, msg)
	case paneLayers:
		return m.layers.Update(m.ctx, m.eng, msg, &m.keys)
	}
	if isKey && !m.pager.Searching() {
		v := m.keys.Viewer
		switch {
		case m.pane.kind == paneInspect && key.Matches(km, v.Fold):
			m.inspect.toggle(m.pager.Cursor())
			m.pager.SetContent(nil, m.inspect.lines(), true)
			return nil
		case m.pane.kind == paneInspect && key.Matches(km, v.FoldAll):
			m.inspect.toggleAll()
			m.pager.SetContent(nil, m.inspect.lines(), true)
			return nil
		case key.Matches(km, v.Copy):
			lines := m.pager.Lines()
			if c := m.pager.Cursor(); c < len(lines) {
				return m.copyCmd(lines[c], "copied the line to the clipboard")
			}
			return nil
		}
	}
	m.pager.Update(msg)
	return nil
}

// paneFrame draws the pane in its frame.
func (m *Model) paneFrame(h int) string {
	id := m.pane.id
	name := m.itemName(m.pane.view, id)
	title := m.pane.kind.String()
	if id != "" {
		title += " · " + name
	}
	var body string
	switch {
	case id == "":
		body = m.styles.Muted.Render("Nothing selected.")
	case m.pane.kind == paneLogs:
		title += m.logs.Flags()
		body = m.logs.View(m.focusPane)
	case m.pane.err != nil && len(m.pager.Lines()) == 0 && m.pane.kind != paneLayers:
		body = m.styles.Error.Render(fit(m.pane.err.Error(), m.width-2))
	case m.pane.loading && m.pane.kind != paneLayers:
		body = m.styles.Muted.Render("loading…")
	case m.pane.kind == paneLayers:
		body = m.layers.View(m.focusPane)
	default:
		if m.pane.kind == paneTop {
			procs := fmt.Sprintf("%d processes", len(m.pager.Lines()))
			if len(m.pager.Lines()) == 1 {
				procs = "1 process"
			}
			if m.pane.paused {
				title += " · " + procs + " · paused while idle"
			} else {
				title += " · " + procs + " · every " + topInterval.String()
			}
		}
		if len(m.pager.Lines()) == 0 {
			body = m.styles.Muted.Render(emptyPaneText(m.pane.kind))
		} else {
			body = m.pager.View(m.focusPane)
		}
	}
	return frame(&m.styles, title, body, m.width, h, m.focusPane)
}

func emptyPaneText(k paneKind) string {
	switch k {
	case paneTop:
		return "No processes: the container is not running."
	case paneHistory:
		return "No history."
	}
	return ""
}

// topLines formats a top result as aligned columns.
func topLines(t engine.TopResult) ([]string, []string) {
	widths := make([]int, len(t.Titles))
	for i, h := range t.Titles {
		widths[i] = len(h)
	}
	for _, p := range t.Processes {
		for i := range min(len(p), len(widths)) {
			if i < len(widths)-1 {
				widths[i] = max(widths[i], len(p[i]))
			}
		}
	}
	format := func(cols []string) string {
		var b strings.Builder
		for i, c := range cols {
			if i > 0 {
				b.WriteString("  ")
			}
			if i < len(widths)-1 {
				b.WriteString(pad(c, widths[i], false))
			} else {
				b.WriteString(c)
			}
		}
		return b.String()
	}
	lines := make([]string, 0, len(t.Processes))
	for _, p := range t.Processes {
		lines = append(lines, format(p))
	}
	return []string{format(t.Titles)}, lines
}

// historyLines formats an image history, newest first.
func historyLines(h []engine.HistoryEntry, now time.Time) ([]string, []string) {
	header := fmt.Sprintf("%-10s %9s  %-12s  %s", "CREATED", "SIZE", "LAYER", "CREATED BY")
	lines := make([]string, 0, len(h))
	for _, e := range h {
		layer := "-"
		if e.Layer != "" {
			layer = shortID(e.Layer)
		}
		by := oneLine(strings.TrimPrefix(e.CreatedBy, "/bin/sh -c "))
		by = strings.TrimPrefix(by, "#(nop) ")
		if e.Comment != "" {
			by += "  # " + oneLine(e.Comment)
		}
		lines = append(lines, fmt.Sprintf("%-10s %9s  %-12s  %s", ago(e.Created, now), humanSize(e.Size), layer, by))
	}
	return []string{header}, lines
}

// containerNamer returns a function that names the containers behind IDs
// as the containers list does ("web (1f1f1f1f1f1f)"); it reads a
// snapshot, so the returned function is safe to call from a Cmd.
func (m *Model) containerNamer() func(ids []string) []string {
	names := make(map[string]string, len(m.containers.byID))
	for id := range m.containers.byID {
		names[id] = m.containers.name(id)
	}
	return func(ids []string) []string {
		out := make([]string, 0, len(ids))
		for _, id := range ids {
			if n, ok := names[id]; ok && n != shortID(id) {
				out = append(out, n+" ("+shortID(id)+")")
			} else {
				out = append(out, shortID(id))
			}
		}
		return out
	}
}
