package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/berth-dev/berth/engine"
	"github.com/berth-dev/berth/themes"
)

// MinWidth and MinHeight are the smallest terminal the layout draws in;
// below it the interface says so instead of drawing a broken layout.
const (
	MinWidth  = 80
	MinHeight = 24
)

// viewKind is which list is shown.
type viewKind int

const (
	viewContainers viewKind = iota
	viewImages
	viewVolumes
	viewNetworks
	numViews
)

func (v viewKind) String() string {
	return [...]string{"Containers", "Images", "Volumes", "Networks"}[v]
}

// paneKind is what the pane under the list shows for the selection.
type paneKind int

const (
	paneLogs paneKind = iota
	paneInspect
	paneTop
	paneHistory
	paneLayers
)

func (p paneKind) String() string {
	return [...]string{"Logs", "Inspect", "Top", "History", "Layers"}[p]
}

// Option configures New.
type Option func(*options)

type options struct {
	cfg   Config
	theme themes.Theme
	dark  *bool
	clock func() time.Time
}

func makeOptions(opts []Option) options {
	o := options{cfg: DefaultConfig(), clock: time.Now}
	o.theme, _ = themes.Builtin(themes.Default)
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithConfig sets the user's settings (key bindings, mouse, detach keys).
func WithConfig(c Config) Option { return func(o *options) { o.cfg = c } }

// WithTheme sets the colour theme.
func WithTheme(t themes.Theme) Option { return func(o *options) { o.theme = t } }

// WithBackground fixes the terminal background as dark or light instead of
// asking the terminal.
func WithBackground(dark bool) Option { return func(o *options) { o.dark = &dark } }

// WithClock sets the clock that relative times ("5m ago") count from.
func WithClock(now func() time.Time) Option { return func(o *options) { o.clock = now } }

// status is the one line of feedback under the pane.
type status struct {
	text string
	err  bool
	busy bool // an action in progress
	seq  int
}

// Model is the root model: it owns the layout, the focus, the overlays
// and the routing of messages to the lists and panes.
type Model struct {
	// ctx is the program's context, handed to every Cmd so that quitting
	// cancels engine calls in flight. The model never blocks on it.
	ctx context.Context
	eng Engine

	cfg    Config
	keys   KeyMap
	theme  themes.Theme
	styles Styles
	dark   bool
	fixed  bool
	now    func() time.Time

	width, height int
	laidOut       [3]int // width, list and pane heights last applied
	view          viewKind
	panes         [numViews]paneKind
	focusPane     bool
	mouse         bool

	containers ctrList
	images     imgList
	volumes    volList
	networks   netList

	pane    paneState
	pager   pager
	inspect inspectDoc
	logs    logsPane
	layers  layersPane

	status  status
	help    bool
	confirm *confirmDialog
	form    *formDialog
	pull    *pullView
	quiting bool

	events    <-chan engine.Event
	stats     statsState
	lastInput time.Time // when the user last pressed a key or used the mouse
}

// New returns the root model on eng.
func New(ctx context.Context, eng Engine, opts ...Option) *Model {
	o := makeOptions(opts)
	m := &Model{
		ctx:   ctx,
		eng:   eng,
		cfg:   o.cfg,
		keys:  o.cfg.Keys,
		theme: o.theme,
		dark:  true,
		now:   o.clock,
		mouse: o.cfg.Mouse,
	}
	if o.dark != nil {
		m.dark, m.fixed = *o.dark, true
	}
	m.styles = NewStyles(m.theme, m.dark)
	m.panes = [numViews]paneKind{paneLogs, paneHistory, paneInspect, paneInspect}
	m.containers = newCtrList(&m.styles, &m.keys.List)
	m.images = newImgList(&m.styles, &m.keys.List)
	m.volumes = newVolList(&m.styles, &m.keys.List)
	m.networks = newNetList(&m.styles, &m.keys.List)
	m.pager = newPager(&m.styles, &m.keys.Viewer)
	m.logs = newLogsPane(&m.styles, &m.keys)
	m.logs.now = o.clock
	m.layers = newLayersPane(&m.styles, &m.keys.Viewer)
	m.stats = newStatsState()
	m.lastInput = m.now()
	return m
}

// Init asks for the background colour, loads the containers and images
// and starts following the event log. Volumes and networks load once the
// containers are in, so that they do not slow down the first frame.
func (m *Model) Init() tea.Cmd {
	m.volumes.stale, m.networks.stale = true, true
	cmds := []tea.Cmd{
		m.containers.reload(m.ctx, m.eng),
		m.images.reload(m.ctx, m.eng),
		subscribeCmd(m.ctx, m.eng),
	}
	if !m.fixed {
		cmds = append(cmds, tea.RequestBackgroundColor)
	}
	return tea.Batch(cmds...)
}

// Update routes a message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.update(msg)
	return m, cmd
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	cmd := m.route(msg)
	return tea.Batch(cmd, m.relayout())
}

func (m *Model) route(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.setSize(msg.Width, msg.Height)
		return nil
	case tea.BackgroundColorMsg:
		if !m.fixed {
			m.dark = msg.IsDark()
			m.styles = NewStyles(m.theme, m.dark)
		}
		return nil
	case tea.KeyPressMsg:
		m.lastInput = m.now()
		return tea.Batch(m.wake(), m.handleKey(msg), m.stats.tickIfNeeded(m))
	case tea.PasteMsg:
		return m.handlePaste(msg)
	case tea.MouseMsg:
		m.lastInput = m.now()
		return tea.Batch(m.wake(), m.handleMouse(msg), m.stats.tickIfNeeded(m))
	case errMsg:
		m.setStatus(msg.err.Error(), true)
		return clearStatusCmd(m.status.seq)
	case infoMsg:
		m.setStatus(string(msg), false)
		return clearStatusCmd(m.status.seq)
	case clearStatusMsg:
		if msg.seq == m.status.seq {
			m.status = status{seq: m.status.seq}
		}
		return nil
	}
	if cmd, ok := m.handleData(msg); ok {
		return cmd
	}
	return nil
}

func (m *Model) setStatus(text string, isErr bool) {
	m.status = status{text: oneLine(text), err: isErr, seq: m.status.seq + 1}
}

// setSize records the terminal size; relayout applies it.
func (m *Model) setSize(w, h int) {
	m.width, m.height = w, h
	if m.form != nil {
		m.form.SetSize(w, h)
	}
}

// relayout sizes the list and the pane for the terminal and the number of
// rows, when that changed. A logs pane that grew reads more lines.
func (m *Model) relayout() tea.Cmd {
	listH, paneH := m.split()
	if m.width == m.laidOut[0] && listH == m.laidOut[1] && paneH == m.laidOut[2] {
		return nil
	}
	m.laidOut = [3]int{m.width, listH, paneH}
	w := m.width
	m.containers.SetSize(w-2, listH-2)
	m.images.SetSize(w-2, listH-2)
	m.volumes.SetSize(w-2, listH-2)
	m.networks.SetSize(w-2, listH-2)
	m.pager.SetSize(w-2, paneH-2)
	m.layers.SetSize(w-2, paneH-2)
	return m.logs.SetSize(w-2, paneH-2)
}

// split returns the heights of the list and pane frames: the list takes
// what its rows need, up to half the screen, and the pane the rest.
func (m *Model) split() (int, int) {
	avail := max(m.height-3, 0)
	shown, _ := m.list().Len()
	need := max(shown, 4) + 3 // frame, header
	if m.list().Filtering() || m.list().filter.Value() != "" {
		need++
	}
	listH := min(need, avail/2)
	return listH, avail - listH
}

func (m *Model) tooSmall() bool { return m.width < MinWidth || m.height < MinHeight }

// list returns the table of the current view.
func (m *Model) list() *table {
	return m.listOf(m.view)
}

// listOf returns the table of view v.
func (m *Model) listOf(v viewKind) *table {
	switch v {
	case viewImages:
		return &m.images.table
	case viewVolumes:
		return &m.volumes.table
	case viewNetworks:
		return &m.networks.table
	}
	return &m.containers.table
}

// itemName returns how the list of view v names item id.
func (m *Model) itemName(v viewKind, id string) string {
	switch v {
	case viewImages:
		return m.images.name(id)
	case viewVolumes:
		return m.volumes.name(id)
	case viewNetworks:
		return m.networks.name(id)
	}
	return m.containers.name(id)
}

// handleKey routes a key press: overlays first, then inputs that have the
// keyboard, then global keys, then the focused list or pane.
func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case m.confirm != nil:
		return m.updateConfirm(msg)
	case m.form != nil:
		return m.updateForm(msg)
	case m.pull != nil:
		return m.updatePull(msg)
	case m.help:
		if key.Matches(msg, m.keys.Global.Help, m.keys.Viewer.Back, m.keys.Global.Quit) {
			m.help = false
		}
		return nil
	}
	if msg.String() == "ctrl+c" {
		return m.quit()
	}
	if m.list().Filtering() {
		before := m.list().Selected()
		_, cmd := m.list().Update(msg)
		return tea.Batch(cmd, m.selectionChanged(before))
	}
	if m.focusPane && m.paneCapturing() {
		return m.updatePane(msg)
	}
	g := m.keys.Global
	switch {
	case key.Matches(msg, g.Quit):
		return m.quit()
	case key.Matches(msg, g.Help):
		m.help = true
		return nil
	case key.Matches(msg, g.NextView):
		return m.switchView((m.view + 1) % numViews)
	case key.Matches(msg, g.PrevView):
		return m.switchView((m.view + numViews - 1) % numViews)
	case key.Matches(msg, g.Containers):
		return m.switchView(viewContainers)
	case key.Matches(msg, g.Images):
		return m.switchView(viewImages)
	case key.Matches(msg, g.Volumes):
		return m.switchView(viewVolumes)
	case key.Matches(msg, g.Networks):
		return m.switchView(viewNetworks)
	case key.Matches(msg, g.Mouse):
		m.mouse = !m.mouse
		if m.mouse {
			return infoCmd("mouse on: click to select, wheel to scroll (M turns it off; hold shift to select text)")
		}
		return infoCmd("mouse off: terminal text selection works again")
	}
	if m.focusPane {
		return m.updatePane(msg)
	}
	return m.updateList(msg)
}

func (m *Model) quit() tea.Cmd {
	m.quiting = true
	return tea.Quit
}

func (m *Model) handlePaste(msg tea.PasteMsg) tea.Cmd {
	switch {
	case m.form != nil:
		m.form.Update(msg)
	case m.list().Filtering():
		m.list().filter.Update(msg)
		m.list().refresh()
	case m.focusPane && m.paneCapturing():
		return m.updatePane(msg)
	}
	return nil
}

// switchView shows another list.
func (m *Model) switchView(v viewKind) tea.Cmd {
	if v == m.view {
		return nil
	}
	m.view = v
	m.focusPane = false
	var reload tea.Cmd
	switch {
	case v == viewVolumes && m.volumes.stale:
		reload = m.volumes.reload(m.ctx, m.eng)
	case v == viewNetworks && m.networks.stale:
		reload = m.networks.reload(m.ctx, m.eng)
	}
	return tea.Batch(reload, m.loadPane(false))
}

// updateList handles keys for the list of the current view.
func (m *Model) updateList(msg tea.KeyPressMsg) tea.Cmd {
	l := m.keys.List
	switch {
	case key.Matches(msg, l.Focus):
		if m.list().Selected() != "" {
			m.focusPane = true
		}
		return nil
	case key.Matches(msg, l.Inspect):
		return m.showPane(paneInspect)
	case key.Matches(msg, l.Copy):
		if id := m.list().Selected(); id != "" {
			what := shortID(id)
			if name := m.itemName(m.view, id); name != what {
				what += " (" + name + ")"
			}
			return m.copyCmd(strings.TrimPrefix(id, "sha256:"), "copied "+what+" to the clipboard")
		}
		return nil
	case key.Matches(msg, l.Pull):
		m.openPullDialog()
		return nil
	case key.Matches(msg, l.Run):
		image := ""
		if m.view == viewImages {
			image = m.images.name(m.list().Selected())
		}
		m.openRunDialog(image)
		return nil
	}
	switch m.view {
	case viewImages:
		switch {
		case key.Matches(msg, l.History):
			return m.showPane(paneHistory)
		case key.Matches(msg, l.Layers):
			return m.showPane(paneLayers)
		}
		if cmd, ok := m.imageAction(msg); ok {
			return cmd
		}
	case viewVolumes:
		if cmd, ok := m.volumeAction(msg); ok {
			return cmd
		}
	case viewNetworks:
		if cmd, ok := m.networkAction(msg); ok {
			return cmd
		}
	default:
		switch {
		case key.Matches(msg, l.Logs):
			return m.showPane(paneLogs)
		case key.Matches(msg, l.Processes):
			return m.showPane(paneTop)
		}
		if cmd, ok := m.containerAction(msg); ok {
			return cmd
		}
	}
	before := m.list().Selected()
	_, cmd := m.list().Update(msg)
	return tea.Batch(cmd, m.selectionChanged(before), m.stats.tickIfNeeded(m))
}

// selectionChanged reloads the pane when the cursor moved to another item.
func (m *Model) selectionChanged(before string) tea.Cmd {
	if m.list().Selected() == before {
		return nil
	}
	return m.loadPane(false)
}

// showPane switches the pane of the current view.
func (m *Model) showPane(p paneKind) tea.Cmd {
	if m.panes[m.view] == p {
		if m.list().Selected() != "" {
			m.focusPane = true
		}
		return nil
	}
	m.panes[m.view] = p
	return m.loadPane(false)
}

// View draws the whole screen.
func (m *Model) View() tea.View {
	var v tea.View
	v.AltScreen = true
	v.WindowTitle = "berth"
	if m.mouse {
		v.MouseMode = tea.MouseModeCellMotion
	}
	v.SetContent(m.render())
	return v
}

// render draws the screen as a string of exactly height lines.
func (m *Model) render() string {
	if m.width == 0 || m.height == 0 {
		return ""
	}
	if m.tooSmall() {
		msg := fmt.Sprintf("berth needs a terminal of at least %dx%d\n(this one is %dx%d)\n\nenlarge the window, or press q to quit", MinWidth, MinHeight, m.width, m.height)
		return lipgloss.Place(m.width, m.height, lipgloss.Center, lipgloss.Center, lipgloss.NewStyle().Align(lipgloss.Center).Render(msg))
	}
	listH, paneH := m.split()
	parts := []string{
		m.topBar(),
		m.listFrame(listH),
		m.paneFrame(paneH),
		m.statusLine(),
		m.footer(),
	}
	base := strings.Join(parts, "\n")
	var over string
	switch {
	case m.confirm != nil:
		over = m.confirm.View(&m.styles, &m.keys.Dialog)
	case m.form != nil:
		over = m.form.View()
	case m.pull != nil:
		over = m.pull.View(m.width)
	case m.help:
		over = m.helpView()
	}
	if over == "" {
		return base
	}
	return overlayCenter(base, over, m.width, m.height)
}

// overlayCenter draws box over the middle of base.
func overlayCenter(base, box string, w, h int) string {
	bw, bh := lipgloss.Size(box)
	x, y := max((w-bw)/2, 0), max((h-bh)/2, 0)
	out := lipgloss.NewCompositor(lipgloss.NewLayer(base), lipgloss.NewLayer(box).X(x).Y(y).Z(1)).Render()
	// The compositor drops trailing blank lines; the screen keeps h.
	if n := strings.Count(out, "\n") + 1; n < h {
		out += strings.Repeat("\n", h-n)
	}
	return out
}

// topBar draws the app name and the list tabs with their counts.
func (m *Model) topBar() string {
	s := &m.styles
	var tabs []string
	for v := range numViews {
		_, n := m.listOf(v).Len()
		label := fmt.Sprintf("%d %s (%d)", int(v)+1, v, n)
		if v == m.view {
			tabs = append(tabs, s.ActiveTab.Render(label))
		} else {
			tabs = append(tabs, s.Tab.Render(label))
		}
	}
	left := s.Title.Render(" berth ") + " " + strings.Join(tabs, "  ")
	var right string
	if m.mouse {
		right = s.Muted.Render("mouse ")
	}
	gap := m.width - ansi.StringWidth(left) - ansi.StringWidth(right)
	if gap < 1 {
		return fit(left, m.width)
	}
	return left + strings.Repeat(" ", gap) + right
}

// listFrame draws the current list in a frame whose title says what is
// shown, how it is sorted and what is marked.
func (m *Model) listFrame(h int) string {
	t := m.list()
	shown, total := t.Len()
	title := m.view.String()
	if shown != total {
		title += fmt.Sprintf(" %d of %d", shown, total)
	} else {
		title += fmt.Sprintf(" %d", total)
	}
	if name, desc := t.SortName(); name != "" {
		arrow := "↑"
		if desc {
			arrow = "↓"
		}
		title += " · by " + name + arrow
	}
	if n := t.Marked(); n > 0 {
		title += fmt.Sprintf(" · %d marked", n)
	}
	body := t.View()
	if total == 0 {
		body = m.emptyHint(h - 2)
	}
	return frame(&m.styles, title, body, m.width, h, !m.focusPane)
}

// emptyHint tells a user with an empty list what to do next.
func (m *Model) emptyHint(h int) string {
	k := m.keys.List
	var lines []string
	switch m.view {
	case viewVolumes:
		lines = []string{
			"No volumes yet.",
			"",
			"A volume is made when a container mounts one by name (" + m.styles.Key.Render(k.Run.Help().Key) + " runs a container;",
			"put NAME:/path under Volumes), or in a shell: berth volume create NAME.",
		}
	case viewNetworks:
		lines = []string{
			"No networks.",
			"",
			"Press " + m.styles.Key.Render(m.keys.Network.Create.Help().Key) + " to create a bridge network, or in a shell: berth network create NAME.",
		}
	case viewImages:
		lines = []string{
			"No images yet.",
			"",
			"Press " + m.styles.Key.Render(k.Pull.Help().Key) + " to pull one from a registry (for example busybox or nginx),",
			"or in a shell: berth pull IMAGE, berth load -i FILE.tar, berth import DIR NAME.",
		}
	default:
		lines = []string{
			"No containers yet.",
			"",
			"Press " + m.styles.Key.Render(k.Run.Help().Key) + " to run one from an image, " +
				m.styles.Key.Render(k.Pull.Help().Key) + " to pull an image first,",
			"or " + m.styles.Key.Render(m.keys.Global.Images.Help().Key) + " to see the images you have.",
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines[:min(len(lines), max(h, 0))], "\n")
}

// frame draws body in a rounded border of w x h with title set in the top
// edge. The border takes the accent colour when focused.
func frame(s *Styles, title, body string, w, h int, focused bool) string {
	if h < 2 || w < 4 {
		return ""
	}
	bs := s.Border
	if focused {
		bs = s.FocusBorder
	}
	border := lipgloss.RoundedBorder()
	edge := lipgloss.NewStyle().Foreground(bs.GetBorderTopForeground())
	inner := w - 2
	t := fit(" "+title+" ", max(inner-2, 0))
	top := edge.Render(border.TopLeft+border.Top) + s.PaneTitle.Render(t) +
		edge.Render(strings.Repeat(border.Top, max(inner-1-ansi.StringWidth(t), 0))+border.TopRight)
	lines := strings.Split(body, "\n")
	out := make([]string, 0, h)
	out = append(out, top)
	side := edge.Render(border.Left)
	sideR := edge.Render(border.Right)
	for i := range h - 2 {
		var l string
		if i < len(lines) {
			l = lines[i]
		}
		l = fit(l, inner)
		if pw := inner - ansi.StringWidth(l); pw > 0 {
			l += strings.Repeat(" ", pw)
		}
		out = append(out, side+l+sideR)
	}
	out = append(out, edge.Render(border.BottomLeft+strings.Repeat(border.Bottom, inner)+border.BottomRight))
	return strings.Join(out, "\n")
}

// statusLine draws the last error or message.
func (m *Model) statusLine() string {
	if m.status.text == "" {
		return ""
	}
	if m.status.err {
		return m.styles.Error.Render(fit("✗ "+m.status.text, m.width))
	}
	if m.status.busy {
		return m.styles.Muted.Render(fit("… "+m.status.text, m.width))
	}
	return m.styles.Success.Render(fit("✓ "+m.status.text, m.width))
}

// footer shows the bindings that matter in the current context.
func (m *Model) footer() string {
	shown, _ := m.list().Len()
	bs := m.keys.shortHelp(m.view, m.panes[m.view], m.focusPane, shown == 0)
	var parts []string
	for _, b := range bs {
		if !b.Enabled() {
			continue
		}
		parts = append(parts, m.styles.Key.Render(b.Help().Key)+" "+m.styles.Muted.Render(b.Help().Desc))
	}
	var b strings.Builder
	w := 0
	for i, p := range parts {
		pw := ansi.StringWidth(p)
		sep := 0
		if i > 0 {
			sep = 2
		}
		if w+sep+pw > m.width {
			break
		}
		if i > 0 {
			b.WriteString("  ")
		}
		b.WriteString(p)
		w += sep + pw
	}
	return b.String()
}

// helpView draws every binding of the current context in columns.
func (m *Model) helpView() string {
	groups := m.keys.fullHelp(m.view, m.panes[m.view], m.focusPane)
	var cols []string
	for _, g := range groups {
		lines := []string{m.styles.PaneTitle.Render(g.Title)}
		kw := 0
		for _, b := range g.Bindings {
			kw = max(kw, ansi.StringWidth(b.Help().Key))
		}
		for _, b := range g.Bindings {
			if !b.Enabled() {
				continue
			}
			lines = append(lines, m.styles.Key.Render(pad(b.Help().Key, kw, false))+" "+b.Help().Desc)
		}
		cols = append(cols, strings.Join(lines, "\n"))
	}
	// Pack the columns into rows that fit the width.
	var rows []string
	var cur []string
	for _, c := range cols {
		next := append(slices.Clone(cur), c)
		if len(cur) > 0 && lipgloss.Width(lipgloss.JoinHorizontal(lipgloss.Top, interleave(next, "   ")...)) > m.width-6 {
			rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, interleave(cur, "   ")...))
			next = []string{c}
		}
		cur = next
	}
	if len(cur) > 0 {
		rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, interleave(cur, "   ")...))
	}
	body := strings.Join(rows, "\n\n")
	// Crop to the screen: the frame, title and hint take 7 lines.
	if lines := strings.Split(body, "\n"); len(lines) > m.height-7 {
		body = strings.Join(lines[:max(m.height-8, 1)], "\n") + "\n" + m.styles.Muted.Render("… enlarge the terminal to see every key")
	}
	body += "\n\n" + m.styles.Muted.Render("Attached to a container, "+detachHint(m.cfg.DetachKeys)+" detaches back here.  "+m.keys.Global.Help.Help().Key+"/esc closes this help.")
	return m.styles.Dialog.Render(m.styles.PaneTitle.Render("Keys") + "\n\n" + body)
}

func interleave(xs []string, sep string) []string {
	var out []string
	for i, x := range xs {
		if i > 0 {
			out = append(out, sep)
		}
		out = append(out, x)
	}
	return out
}
