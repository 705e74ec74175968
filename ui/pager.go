package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// pager shows lines of text with a cursor line, scrolling and "/" search
// with n/N and highlighted matches. Panes that hold their whole content
// (inspect, top, history) draw through it.
type pager struct {
	header []string // fixed lines above the scrolling ones
	lines  []string
	cursor int
	offset int

	search    lineInput
	searching bool
	query     string
	matches   []int // line indexes containing query

	width, height int
	styles        *Styles
	keys          *ViewerKeys
}

func newPager(st *Styles, keys *ViewerKeys) pager {
	return pager{search: newSearchInput(st), styles: st, keys: keys}
}

// newSearchInput returns the one-line input "/" opens in panes.
func newSearchInput(st *Styles) lineInput {
	return newLineInput("/", "search", st)
}

// SetSize sets the size the pager draws into.
func (p *pager) SetSize(w, h int) {
	p.width, p.height = w, h
	p.search.SetWidth(max(w-2, 1))
	p.clamp()
}

// SetContent replaces the lines. With keep the cursor stays where it was
// (a refresh of the same item); otherwise it goes to the top.
func (p *pager) SetContent(header, lines []string, keep bool) {
	p.header, p.lines = header, lines
	if !keep {
		p.cursor, p.offset = 0, 0
	}
	p.findMatches()
	p.clamp()
}

// Lines returns the content lines.
func (p *pager) Lines() []string { return p.lines }

// Cursor returns the index of the cursor line.
func (p *pager) Cursor() int { return p.cursor }

// SetCursor moves the cursor to line i.
func (p *pager) SetCursor(i int) {
	p.cursor = i
	p.clamp()
}

// Searching reports whether the search input has the keyboard.
func (p *pager) Searching() bool { return p.searching }

func (p *pager) bodyHeight() int {
	h := p.height - len(p.header)
	if p.searching || p.query != "" {
		h--
	}
	return max(h, 0)
}

func (p *pager) clamp() {
	p.cursor = max(min(p.cursor, len(p.lines)-1), 0)
	body := p.bodyHeight()
	if p.cursor < p.offset {
		p.offset = p.cursor
	}
	if body > 0 && p.cursor >= p.offset+body {
		p.offset = p.cursor - body + 1
	}
	p.offset = max(min(p.offset, len(p.lines)-body), 0)
}

func (p *pager) findMatches() {
	p.matches = p.matches[:0]
	if p.query == "" {
		return
	}
	q := strings.ToLower(p.query)
	for i, l := range p.lines {
		if strings.Contains(strings.ToLower(l), q) {
			p.matches = append(p.matches, i)
		}
	}
}

// jump moves the cursor to the next (or previous) match from the cursor.
func (p *pager) jump(forward bool) bool {
	if len(p.matches) == 0 {
		return false
	}
	if forward {
		for _, m := range p.matches {
			if m > p.cursor {
				p.cursor = m
				return true
			}
		}
		p.cursor = p.matches[0]
	} else {
		for i := len(p.matches) - 1; i >= 0; i-- {
			if p.matches[i] < p.cursor {
				p.cursor = p.matches[i]
				return true
			}
		}
		p.cursor = p.matches[len(p.matches)-1]
	}
	return true
}

// Update handles scrolling and search keys; it reports whether it used
// the message.
func (p *pager) Update(msg tea.Msg) (bool, tea.Cmd) {
	km, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return false, nil
	}
	if p.searching {
		switch km.String() {
		case "enter":
			p.searching = false
			p.search.Blur()
			p.query = p.search.Value()
			p.findMatches()
			if !p.matchAt(p.cursor) {
				p.jump(true)
			}
			p.clamp()
			return true, nil
		case "esc":
			p.searching = false
			p.search.Blur()
			p.clamp()
			return true, nil
		}
		p.search.Update(msg)
		return true, nil
	}
	k := p.keys
	switch {
	case key.Matches(km, k.Up):
		p.cursor--
	case key.Matches(km, k.Down):
		p.cursor++
	case key.Matches(km, k.PageUp):
		p.cursor -= max(p.bodyHeight(), 1)
		p.offset -= max(p.bodyHeight(), 1)
	case key.Matches(km, k.PageDown):
		p.cursor += max(p.bodyHeight(), 1)
		p.offset += max(p.bodyHeight(), 1)
	case key.Matches(km, k.Top):
		p.cursor = 0
	case key.Matches(km, k.Bottom):
		p.cursor = len(p.lines) - 1
	case key.Matches(km, k.Search):
		p.searching = true
		p.search.SetValue(p.query)
		p.search.Focus()
		p.clamp()
		return true, nil
	case key.Matches(km, k.Next):
		p.jump(true)
	case key.Matches(km, k.Prev):
		p.jump(false)
	default:
		return false, nil
	}
	p.offset = max(p.offset, 0)
	p.clamp()
	return true, nil
}

func (p *pager) matchAt(i int) bool {
	for _, m := range p.matches {
		if m == i {
			return true
		}
	}
	return false
}

// Scroll moves the cursor by n lines (mouse wheel).
func (p *pager) Scroll(n int) {
	p.cursor += n
	p.clamp()
}

// View draws the header, the visible lines (the cursor line marked when
// focused) and the search line.
func (p *pager) View(focused bool) string {
	if p.width <= 0 || p.height <= 0 {
		return ""
	}
	out := make([]string, 0, p.height)
	for _, h := range p.header {
		out = append(out, p.styles.Header.Render(fit(h, p.width)))
	}
	body := p.bodyHeight()
	for i := p.offset; i < p.offset+body && i < len(p.lines); i++ {
		line := fit(expandTabs(p.lines[i]), p.width)
		if focused && i == p.cursor {
			line = p.styles.Selected.Render(pad(line, p.width, false))
		} else if p.query != "" {
			line = highlight(line, p.query, p.styles.Match)
		}
		out = append(out, line)
	}
	for len(out) < p.height-boolInt(p.searching || p.query != "") {
		out = append(out, "")
	}
	if p.searching {
		out = append(out, fit(p.search.View(), p.width))
	} else if p.query != "" {
		out = append(out, p.searchStatus())
	}
	return strings.Join(out, "\n")
}

// searchStatus is the line under a searched pane: the query, where the
// cursor is among the matches, and how to move.
func (p *pager) searchStatus() string {
	if len(p.matches) == 0 {
		return p.styles.Warning.Render(fit("/"+p.query+"  no match", p.width))
	}
	n := 0
	for i, m := range p.matches {
		if m <= p.cursor {
			n = i + 1
		}
	}
	return p.styles.Muted.Render(fit("/"+p.query+"  match "+itoa(n)+" of "+itoa(len(p.matches))+"  (n/N)", p.width))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// highlight renders every case-insensitive occurrence of q in the plain
// text line with st.
func highlight(line, q string, st interface{ Render(...string) string }) string {
	if q == "" {
		return line
	}
	lower := strings.ToLower(line)
	lq := strings.ToLower(q)
	if len(lower) != len(line) {
		// Case folding changed byte lengths; match exactly instead.
		lower, lq = line, q
	}
	var b strings.Builder
	for {
		i := strings.Index(lower, lq)
		if i < 0 {
			b.WriteString(line)
			return b.String()
		}
		b.WriteString(line[:i])
		b.WriteString(st.Render(line[i : i+len(lq)]))
		line, lower = line[i+len(lq):], lower[i+len(lq):]
	}
}

// expandTabs replaces tabs by spaces to the next multiple of 8 and drops
// other control characters, so a line's width is what it looks like.
func expandTabs(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return s
	}
	s = ansi.Strip(s)
	var b strings.Builder
	col := 0
	for _, r := range s {
		switch {
		case r == '\t':
			n := 8 - col%8
			b.WriteString(strings.Repeat(" ", n))
			col += n
		case r < 0x20 || r == 0x7f:
		default:
			b.WriteRune(r)
			col++
		}
	}
	return b.String()
}
