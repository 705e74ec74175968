package ui

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/berth-dev/berth/engine"
	"github.com/berth-dev/berth/engine/logfile"
)

// LogLocator finds a container's log file.
type LogLocator interface {
	// LogPath returns the path of container id's log; the file may not
	// exist yet.
	LogPath(ctx context.Context, id string) (string, error)
}

// logPreset limits the logs pane to recent output.
type logPreset struct {
	label string
	since time.Duration // records at or after now-since
	tail  int           // the last tail lines
}

// logPresets is the cycle of the since/tail key: everything first.
func logPresets() []logPreset {
	return []logPreset{
		{label: "all"},
		{label: "last 100 lines", tail: 100},
		{label: "last 1000 lines", tail: 1000},
		{label: "since 10m", since: 10 * time.Minute},
		{label: "since 1h", since: time.Hour},
		{label: "since 24h", since: 24 * time.Hour},
	}
}

// logsPane shows a container's log. It reads the log file by position
// (logfile.Lines) and holds only the visible window, so a log of any size
// costs the same memory; a Watcher tells it when the log grows. All reads
// run in Cmds, one at a time, since Lines is not safe for concurrent use.
type logsPane struct {
	id, name, path string
	gen            int // bumps on every Open and Close; stale results are dropped
	src            *logfile.Lines
	cancel         context.CancelFunc // stops the watcher of this generation
	ctx            context.Context    // the generation's context, cancelled by Close

	win   []logfile.Line // the visible lines
	atEnd bool           // the window ends at the end of the log

	follow, timestamps, wrap bool
	preset                   int
	floor                    logfile.Pos // first position the preset allows
	hasFloor                 bool

	busy    bool
	pending *logsReq

	search    lineInput
	searching bool
	query     string
	match     *logfile.Line
	searchErr string
	seeking   bool // a search is reading the log

	missing bool // the container has not written a log yet
	err     error

	width, height int
	styles        *Styles
	keys          *KeyMap
	now           func() time.Time
	watch         func(path string) (logWaiter, error)
}

// logWaiter tells when a log may have changed; *logfile.Watcher is one.
type logWaiter interface {
	// Wait blocks until the log may have changed or ctx is done.
	Wait(ctx context.Context) error
	// Close stops watching; it is idempotent.
	Close() error
}

func watchLog(path string) (logWaiter, error) { return logfile.Watch(path) }

func newLogsPane(st *Styles, keys *KeyMap) logsPane {
	return logsPane{follow: true, search: newSearchInput(st), styles: st, keys: keys, now: time.Now, watch: watchLog}
}

// logsReq is one read of the log.
type logsReq struct {
	op      logsOp
	pos     logfile.Pos
	n       int
	query   string
	forward bool
}

type logsOp int

const (
	opTail   logsOp = iota // the last n lines
	opAt                   // n lines from pos
	opBefore               // back n lines from pos, then a window
	opSearch               // the next match of query from pos
)

// logsMsg is the result of a logsReq.
type logsMsg struct {
	gen      int
	src      *logfile.Lines
	lines    []logfile.Line
	atEnd    bool
	floor    logfile.Pos
	hasFloor bool
	match    *logfile.Line
	notFound bool
	missing  bool
	err      error
}

// logsGrewMsg says the log may have grown.
type logsGrewMsg struct {
	gen int
	w   logWaiter
	err error
}

// SetSize sets the size of the pane body; when it grew, the window is
// read again to fill it.
func (l *logsPane) SetSize(w, h int) tea.Cmd {
	grew := h > l.height
	l.width, l.height = w, h
	l.search.SetWidth(max(w-2, 1))
	if !grew || l.id == "" || l.ctx == nil || l.path == "" {
		return nil
	}
	if l.atEnd || len(l.win) == 0 {
		return l.request(logsReq{op: opTail})
	}
	return l.request(logsReq{op: opAt, pos: l.win[0].Pos})
}

func (l *logsPane) bodyHeight() int {
	h := l.height
	if l.searching || l.query != "" {
		h--
	}
	return max(h, 1)
}

// Capturing reports whether the search input has the keyboard.
func (l *logsPane) Capturing() bool { return l.searching }

// Close forgets the shown log. A read in flight closes its Lines when its
// result comes back stale.
func (l *logsPane) Close() {
	if l.cancel != nil {
		l.cancel()
		l.cancel = nil
	}
	if l.src != nil && !l.busy {
		l.src.Close()
	}
	l.src = nil
	l.gen++
	l.id, l.win, l.match, l.busy, l.pending = "", nil, nil, false, nil
}

// Open shows the log of container id and starts following it.
func (l *logsPane) Open(ctx context.Context, eng any, id, name string) tea.Cmd {
	if id == l.id && l.cancel != nil {
		return nil
	}
	l.Close()
	l.id, l.name = id, name
	loc, ok := eng.(LogLocator)
	if !ok {
		l.err = errors.New("show logs: the engine cannot locate logs")
		return nil
	}
	l.path = ""
	l.err, l.missing, l.searchErr, l.query, l.searching = nil, false, "", "", false
	l.atEnd = true
	gctx, cancel := context.WithCancel(ctx)
	l.ctx, l.cancel = gctx, cancel
	gen, watchFn := l.gen, l.watch
	l.busy = true // nothing reads before the path is known
	return func() tea.Msg {
		path, err := loc.LogPath(gctx, id)
		if err != nil {
			return logPathMsg{gen: gen, err: fmt.Errorf("show logs: %w", err)}
		}
		w, err := watchFn(path)
		return logPathMsg{gen: gen, path: path, w: w, err: err}
	}
}

// logPathMsg says where the log of the shown container is, with a watcher
// on it.
type logPathMsg struct {
	gen  int
	path string
	w    logWaiter
	err  error
}

// gotPath starts following and reading the log.
func (l *logsPane) gotPath(msg logPathMsg) tea.Cmd {
	if msg.gen != l.gen {
		if msg.w != nil {
			msg.w.Close()
		}
		return nil
	}
	l.busy = false
	if msg.err != nil {
		l.err = msg.err
		return nil
	}
	l.path = msg.path
	req := logsReq{op: opTail}
	if l.pending != nil {
		req, l.pending = *l.pending, nil
	}
	return tea.Batch(watchLogCmd(l.ctx, l.gen, msg.w), l.request(req))
}

// watchLogCmd waits for the log to change. The Watcher closes itself when
// the generation's context ends.
func watchLogCmd(ctx context.Context, gen int, w logWaiter) tea.Cmd {
	return func() tea.Msg {
		err := w.Wait(ctx)
		if ctx.Err() != nil {
			w.Close()
			return nil
		}
		return logsGrewMsg{gen: gen, w: w, err: err}
	}
}

// grew re-reads the tail when following, and re-arms the watcher.
func (l *logsPane) grew(ctx context.Context, msg logsGrewMsg) tea.Cmd {
	if msg.gen != l.gen {
		if msg.w != nil {
			msg.w.Close()
		}
		return nil
	}
	if msg.err != nil {
		l.err = fmt.Errorf("follow log: %w", msg.err)
		return nil
	}
	var cmd tea.Cmd
	if l.src == nil || (l.follow && l.atEnd) {
		cmd = l.request(logsReq{op: opTail})
	}
	return tea.Batch(cmd, watchLogCmd(l.ctx, l.gen, msg.w))
}

// request runs req now, or after the read in flight.
func (l *logsPane) request(req logsReq) tea.Cmd {
	l.seeking = req.op == opSearch
	if l.busy {
		l.pending = &req
		return nil
	}
	l.busy = true
	gen, src, path := l.gen, l.src, l.path
	ctx := l.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	n := l.bodyHeight()
	p := logPresets()[l.preset]
	now := l.now()
	return func() tea.Msg {
		msg := logsMsg{gen: gen, src: src}
		if src == nil {
			s, err := logfile.OpenLines(path)
			if errors.Is(err, fs.ErrNotExist) {
				msg.missing = true
				return msg
			}
			if err != nil {
				msg.err = fmt.Errorf("open log: %w", err)
				return msg
			}
			src, msg.src = s, s
		} else if err := src.Refresh(); err != nil {
			msg.err = fmt.Errorf("read log: %w", err)
			return msg
		}
		msg.floor, msg.hasFloor = src.Start(), false
		switch {
		case p.since > 0:
			if f, err := src.LocateTime(now.Add(-p.since)); err == nil {
				msg.floor, msg.hasFloor = f, true
			}
		case p.tail > 0:
			if ls, err := src.Last(p.tail); err == nil && len(ls) > 0 {
				msg.floor, msg.hasFloor = ls[0].Pos, true
			}
		}
		msg.lines, msg.atEnd, msg.match, msg.notFound, msg.err = runLogsReq(ctx, src, req, n, msg.floor)
		return msg
	}
}

// runLogsReq reads the window a request asks for; it runs in a Cmd.
func runLogsReq(ctx context.Context, src *logfile.Lines, req logsReq, n int, floor logfile.Pos) (lines []logfile.Line, atEnd bool, match *logfile.Line, notFound bool, err error) {
	clip := func(ls []logfile.Line) []logfile.Line {
		for len(ls) > 0 && ls[0].Pos.Compare(floor) < 0 {
			ls = ls[1:]
		}
		return ls
	}
	window := func(top logfile.Pos) ([]logfile.Line, bool, error) {
		ls, err := src.Read(top, n+1)
		if err != nil {
			return nil, false, err
		}
		if len(ls) <= n {
			// Fewer than a screenful after top: show the last screenful.
			last, err := src.Last(n)
			return clip(last), true, err
		}
		return ls[:n], false, nil
	}
	switch req.op {
	case opTail:
		ls, err := src.Last(n)
		return clip(ls), true, nil, false, err
	case opAt:
		if req.pos.Compare(floor) < 0 {
			req.pos = floor
		}
		ls, end, err := window(req.pos)
		return ls, end, nil, false, err
	case opBefore:
		back, err := src.ReadBefore(req.pos, req.n)
		if err != nil {
			return nil, false, nil, false, err
		}
		top := req.pos
		if back = clip(back); len(back) > 0 {
			top = back[0].Pos
		} else if req.pos.Compare(floor) > 0 {
			top = floor
		}
		ls, end, err := window(top)
		return ls, end, nil, false, err
	case opSearch:
		mt := matcher(req.query)
		ln, err := src.Search(ctx, mt, req.pos, req.forward)
		if errors.Is(err, logfile.ErrNotFound) {
			// Wrap around, as less and vim do.
			from := floor
			if !req.forward {
				if from, err = src.End(); err != nil {
					return nil, false, nil, false, err
				}
			}
			ln, err = src.Search(ctx, mt, from, req.forward)
		}
		if errors.Is(err, logfile.ErrNotFound) || (err == nil && ln.Pos.Compare(floor) < 0) {
			return nil, false, nil, true, nil
		}
		if err != nil {
			return nil, false, nil, false, err
		}
		// Show the match a third of the way down.
		back, err := src.ReadBefore(ln.Pos, n/3)
		if err != nil {
			return nil, false, nil, false, err
		}
		top := ln.Pos
		if back = clip(back); len(back) > 0 {
			top = back[0].Pos
		}
		ls, end, err := window(top)
		return ls, end, &ln, false, err
	}
	return nil, false, nil, false, nil
}

// matcher matches lines containing q, ignoring case unless q has an upper
// case letter (smart case, as in less and vim).
func matcher(q string) logfile.Matcher {
	if strings.ContainsFunc(q, unicode.IsUpper) {
		return logfile.Contains(q)
	}
	lq := []byte(strings.ToLower(q))
	return logfile.MatchFunc(func(line []byte) bool { return containsFold(line, lq) })
}

// containsFold reports whether s contains the lower-case needle, folding
// ASCII letters of s without allocating.
func containsFold(s, needle []byte) bool {
	if len(needle) == 0 {
		return true
	}
	for i := 0; i+len(needle) <= len(s); i++ {
		ok := true
		for j, c := range needle {
			b := s[i+j]
			if 'A' <= b && b <= 'Z' {
				b += 'a' - 'A'
			}
			if b != c {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// gotLines takes the result of a read.
func (l *logsPane) gotLines(msg logsMsg) tea.Cmd {
	if msg.gen != l.gen {
		if msg.src != nil && msg.src != l.src {
			msg.src.Close()
		}
		return nil
	}
	l.busy = false
	l.seeking = false
	l.src = msg.src
	l.missing = msg.missing
	l.err = msg.err
	if msg.err == nil && !msg.missing {
		switch {
		case msg.notFound:
			l.searchErr = "no match"
		default:
			l.searchErr = ""
			l.win, l.atEnd = msg.lines, msg.atEnd
			l.floor, l.hasFloor = msg.floor, msg.hasFloor
			if msg.match != nil {
				l.match = msg.match
			}
		}
	}
	if l.pending != nil {
		req := *l.pending
		l.pending = nil
		return l.request(req)
	}
	return nil
}

// Update handles keys while the logs pane has the focus.
func (l *logsPane) Update(ctx context.Context, msg tea.Msg) tea.Cmd {
	if l.searching {
		km, ok := msg.(tea.KeyPressMsg)
		if ok {
			switch km.String() {
			case "enter":
				l.searching = false
				l.search.Blur()
				l.query = l.search.Value()
				l.match = nil
				if l.query == "" {
					return nil
				}
				l.follow = false
				from := logfile.Pos{}
				if len(l.win) > 0 {
					from = l.win[0].Pos
				}
				return l.request(logsReq{op: opSearch, query: l.query, pos: from, forward: true})
			case "esc":
				l.searching = false
				l.search.Blur()
				return nil
			}
		}
		l.search.Update(msg)
		return nil
	}
	km, ok := msg.(tea.KeyPressMsg)
	if !ok || l.id == "" {
		return nil
	}
	v, lk := l.keys.Viewer, l.keys.Logs
	h := l.bodyHeight()
	top := func() logfile.Pos {
		if len(l.win) == 0 {
			return logfile.Pos{}
		}
		return l.win[0].Pos
	}
	switch {
	case key.Matches(km, v.Up):
		l.follow = false
		return l.request(logsReq{op: opBefore, pos: top(), n: 1})
	case key.Matches(km, v.PageUp):
		l.follow = false
		return l.request(logsReq{op: opBefore, pos: top(), n: max(h-1, 1)})
	case key.Matches(km, v.Down):
		if len(l.win) > 1 {
			return l.request(logsReq{op: opAt, pos: l.win[1].Pos})
		}
	case key.Matches(km, v.PageDown):
		if len(l.win) > 0 {
			return l.request(logsReq{op: opAt, pos: l.win[len(l.win)-1].Pos})
		}
	case key.Matches(km, v.Top):
		l.follow = false
		return l.request(logsReq{op: opAt, pos: l.floor})
	case key.Matches(km, v.Bottom):
		return l.request(logsReq{op: opTail})
	case key.Matches(km, lk.Follow):
		l.follow = !l.follow
		if l.follow {
			return l.request(logsReq{op: opTail})
		}
	case key.Matches(km, lk.Timestamps):
		l.timestamps = !l.timestamps
	case key.Matches(km, lk.Wrap):
		l.wrap = !l.wrap
	case key.Matches(km, lk.Since):
		l.preset = (l.preset + 1) % len(logPresets())
		return l.request(logsReq{op: opTail})
	case key.Matches(km, v.Search):
		l.searching = true
		l.search.SetValue(l.query)
		l.search.Focus()
	case key.Matches(km, v.Next), key.Matches(km, v.Prev):
		if l.query == "" {
			return nil
		}
		l.follow = false
		fwd := key.Matches(km, v.Next)
		from := top()
		if l.match != nil {
			from = l.match.Next
			if !fwd {
				from = l.match.Pos
			}
		}
		return l.request(logsReq{op: opSearch, query: l.query, pos: from, forward: fwd})
	}
	return nil
}

// ScrollBy moves the window n lines down (up when n < 0).
func (l *logsPane) ScrollBy(n int) tea.Cmd {
	if l.id == "" || len(l.win) == 0 || n == 0 {
		return nil
	}
	if n < 0 {
		l.follow = false
		return l.request(logsReq{op: opBefore, pos: l.win[0].Pos, n: -n})
	}
	return l.request(logsReq{op: opAt, pos: l.win[min(n, len(l.win)-1)].Pos})
}

// CopyText returns what y copies and how to say so: the line of the
// current search match, else the lines on screen.
func (l *logsPane) CopyText() (text, what string) {
	if l.match != nil {
		return l.match.Text, "the matching line"
	}
	var b strings.Builder
	for _, ln := range l.win {
		b.WriteString(ln.Text)
		b.WriteByte('\n')
	}
	return b.String(), plural(len(l.win), "log line")
}

// Flags describes the toggles for the pane title.
func (l *logsPane) Flags() string {
	var fs []string
	if l.follow {
		fs = append(fs, "following")
	}
	if l.timestamps {
		fs = append(fs, "timestamps")
	}
	if l.wrap {
		fs = append(fs, "wrap")
	}
	if p := logPresets()[l.preset]; p.label != "all" {
		fs = append(fs, p.label)
	}
	if len(fs) == 0 {
		return ""
	}
	return " · " + strings.Join(fs, " · ")
}

// View draws the window: bottom-aligned when it ends at the end of the
// log, so following shows the newest line last.
func (l *logsPane) View(focused bool) string {
	h := l.bodyHeight()
	var rows []string
	switch {
	case errors.Is(l.err, engine.ErrNoLog):
		rows = []string{l.styles.Muted.Render(fit("No log: the container runs with --log-driver none. a attaches to its live output.", l.width))}
	case l.err != nil:
		rows = []string{l.styles.Error.Render(fit(l.err.Error(), l.width))}
	case l.missing:
		rows = []string{l.styles.Muted.Render("No output yet: the container has not written anything.")}
	case len(l.win) == 0:
		rows = []string{l.styles.Muted.Render("No output yet.")}
	default:
		for _, ln := range l.win {
			rows = append(rows, l.renderLine(ln)...)
		}
		if len(rows) > h {
			if l.atEnd {
				rows = rows[len(rows)-h:]
			} else {
				rows = rows[:h]
			}
		}
		if l.atEnd {
			for len(rows) < h {
				rows = append([]string{""}, rows...)
			}
		}
	}
	for len(rows) < h {
		rows = append(rows, "")
	}
	if l.searching {
		rows = append(rows, fit(l.search.View(), l.width))
	} else if l.query != "" {
		status := "/" + l.query
		switch {
		case l.seeking:
			status += "  searching…"
			rows = append(rows, l.styles.Muted.Render(fit(status, l.width)))
		case l.searchErr != "":
			status += "  " + l.searchErr
			rows = append(rows, l.styles.Warning.Render(fit(status, l.width)))
		default:
			status += "  (n next, N previous)"
			rows = append(rows, l.styles.Muted.Render(fit(status, l.width)))
		}
	}
	return strings.Join(rows, "\n")
}

// renderLine draws one log line as one row, or several when wrapping.
func (l *logsPane) renderLine(ln logfile.Line) []string {
	text := expandTabs(ln.Text)
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "�")
	}
	prefix := ""
	if l.timestamps {
		prefix = ln.Time.UTC().Format("2006-01-02T15:04:05.000Z") + " "
	}
	isMatch := l.match != nil && l.match.Pos == ln.Pos
	style := func(s string) string {
		switch {
		case isMatch:
			return highlight(s, l.query, l.styles.CurrentHit)
		case l.query != "":
			return highlight(s, l.query, l.styles.Match)
		}
		return s
	}
	pre := l.styles.Muted.Render(prefix)
	w := max(l.width-ansi.StringWidth(prefix), 1)
	if !l.wrap || ansi.StringWidth(text) <= w {
		return []string{pre + style(fit(text, w))}
	}
	var out []string
	for i, part := range strings.Split(ansi.Hardwrap(text, w, true), "\n") {
		if i == 0 {
			out = append(out, pre+style(part))
		} else {
			out = append(out, strings.Repeat(" ", ansi.StringWidth(prefix))+style(part))
		}
	}
	return out
}

// openSaveLogDialog asks where to save the log of the logs pane, as its
// preset (since) and timestamps show it.
func (m *Model) openSaveLogDialog() {
	l := &m.logs
	src, since, timestamps := l.path, time.Time{}, l.timestamps
	if d := logPresets()[l.preset].since; d > 0 {
		since = time.Now().Add(-d)
	}
	m.openForm(newForm(&m.styles, &m.keys.Dialog, "Save the log of "+l.name,
		[]field{{Label: "File", Value: l.name + ".log"}},
		func(ctx context.Context, v formValues) tea.Cmd {
			dst := strings.TrimSpace(v.text(0))
			if dst == "" {
				return func() tea.Msg { return errMsg{errors.New("save log: give a file name")} }
			}
			return saveLogCmd(ctx, src, dst, since, timestamps)
		}))
}

// saveLogCmd writes the log, as the pane's preset and timestamps show it,
// to file.
func saveLogCmd(ctx context.Context, src, dst string, since time.Time, timestamps bool) tea.Cmd {
	return func() tea.Msg {
		f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return errMsg{fmt.Errorf("save log: %w", err)}
		}
		err = logfile.Copy(ctx, src, logfile.ReadOptions{Tail: logfile.AllLines, Since: since, Timestamps: timestamps}, f, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return errMsg{fmt.Errorf("save log %s: %w", dst, err)}
		}
		return savedMsg("saved the log to " + dst)
	}
}

// savedMsg confirms a saved file.
type savedMsg string
