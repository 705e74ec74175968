package ui

import (
	"cmp"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// column describes one column of a table.
type column struct {
	Title string
	// Min and Max bound the width; Max 0 means as wide as the content.
	Min, Max int
	// Flex columns shrink first when the table is too narrow.
	Flex bool
	// Drop orders columns to hide on narrow terminals: higher goes first;
	// 0 never goes.
	Drop int
	// Right aligns the column to the right (sizes, counts).
	Right bool
	// Sort names the column in the sort cycle; empty columns do not sort.
	Sort string
}

// cell is one rendered cell: its text and the style it is drawn in when
// the row is not selected.
type cell struct {
	Text  string
	Style lipgloss.Style
}

// sortKey orders rows by one column: numbers first compare as numbers,
// then text.
type sortKey struct {
	Num  int64
	Text string
}

// row is one item of a table.
type row struct {
	ID     string
	Cells  []cell
	Keys   []sortKey // one per column
	Filter string    // the text "/" matches against
}

// table is a list with sortable columns, a filter typed after "/", a
// cursor that stays on the same item across refreshes, and marks for bulk
// actions.
type table struct {
	cols   []column
	rows   []row
	view   []int // indexes into rows after filter and sort
	cursor int   // index into view
	offset int   // first visible index into view
	selID  string
	want   string // an item to select once a refresh lists it
	marks  map[string]bool

	sortCol  int
	sortDesc bool

	filter    lineInput
	filtering bool

	width, height int
	styles        *Styles
	keys          *ListKeys
}

func newTable(cols []column, sortCol int, st *Styles, keys *ListKeys) table {
	ti := newLineInput("/", "filter", st)
	return table{cols: cols, sortCol: sortCol, marks: map[string]bool{}, filter: ti, styles: st, keys: keys}
}

// SetSize sets the size the table draws into, header included.
func (t *table) SetSize(w, h int) {
	t.width, t.height = w, h
	t.filter.SetWidth(max(w-2, 1))
	t.clamp()
}

// SetRows replaces the rows. The cursor stays on the item it was on if it
// still exists; marks of items that are gone are dropped.
func (t *table) SetRows(rows []row) {
	t.rows = rows
	ids := make(map[string]bool, len(rows))
	for _, r := range rows {
		ids[r.ID] = true
	}
	for id := range t.marks {
		if !ids[id] {
			delete(t.marks, id)
		}
	}
	t.refresh()
}

// refresh recomputes the view after a change of rows, filter or sort, and
// puts the cursor back on the selected item.
func (t *table) refresh() {
	q := strings.Fields(strings.ToLower(t.filter.Value()))
	t.view = t.view[:0]
	for i, r := range t.rows {
		if matchAll(strings.ToLower(r.Filter), q) {
			t.view = append(t.view, i)
		}
	}
	sc, desc := t.sortCol, t.sortDesc
	slices.SortStableFunc(t.view, func(a, b int) int {
		ka, kb := t.rows[a].Keys, t.rows[b].Keys
		var c int
		if sc < len(ka) && sc < len(kb) {
			c = cmp.Or(cmp.Compare(ka[sc].Num, kb[sc].Num), cmp.Compare(ka[sc].Text, kb[sc].Text))
		}
		if desc {
			c = -c
		}
		return cmp.Or(c, cmp.Compare(t.rows[a].ID, t.rows[b].ID))
	})
	if t.want != "" && slices.ContainsFunc(t.view, func(ri int) bool { return t.rows[ri].ID == t.want }) {
		t.selID, t.want = t.want, ""
	}
	if t.selID != "" {
		for i, ri := range t.view {
			if t.rows[ri].ID == t.selID {
				t.cursor = i
				break
			}
		}
	}
	t.clamp()
}

func matchAll(s string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

// clamp keeps the cursor in the view and visible, and records the
// selected item.
func (t *table) clamp() {
	t.cursor = max(min(t.cursor, len(t.view)-1), 0)
	body := t.bodyHeight()
	if t.cursor < t.offset {
		t.offset = t.cursor
	}
	if body > 0 && t.cursor >= t.offset+body {
		t.offset = t.cursor - body + 1
	}
	t.offset = max(min(t.offset, len(t.view)-body), 0)
	if len(t.view) > 0 {
		t.selID = t.rows[t.view[t.cursor]].ID
	}
}

// bodyHeight is the number of rows that fit under the header (and the
// filter line while it shows).
func (t *table) bodyHeight() int {
	h := t.height - 1
	if t.filtering || t.filter.Value() != "" {
		h--
	}
	return max(h, 0)
}

// Selected returns the ID under the cursor, or "" for an empty view.
func (t *table) Selected() string {
	if len(t.view) == 0 {
		return ""
	}
	return t.rows[t.view[t.cursor]].ID
}

// Select moves the cursor to id if it is in the view.
func (t *table) Select(id string) {
	for i, ri := range t.view {
		if t.rows[ri].ID == id {
			t.cursor = i
			t.clamp()
			return
		}
	}
}

// SelectSoon moves the cursor to id now, or as soon as a refresh lists it
// (an item just created).
func (t *table) SelectSoon(id string) {
	t.want = id
	t.refresh()
}

// Targets returns the marked IDs in view order or, with none marked, the
// selected ID.
func (t *table) Targets() []string {
	var out []string
	for _, ri := range t.view {
		if t.marks[t.rows[ri].ID] {
			out = append(out, t.rows[ri].ID)
		}
	}
	if len(out) == 0 && len(t.view) > 0 {
		out = append(out, t.Selected())
	}
	return out
}

// Marked returns how many items are marked.
func (t *table) Marked() int { return len(t.marks) }

// Len returns the number of items shown and in total.
func (t *table) Len() (shown, total int) { return len(t.view), len(t.rows) }

// Filtering reports whether the filter input has the keyboard.
func (t *table) Filtering() bool { return t.filtering }

// SortName returns the name of the sort column and whether it descends.
func (t *table) SortName() (string, bool) { return t.cols[t.sortCol].Sort, t.sortDesc }

// Update handles keys for the list; it reports whether it used the key.
func (t *table) Update(msg tea.Msg) (bool, tea.Cmd) {
	km, ok := msg.(tea.KeyPressMsg)
	if t.filtering {
		if !ok {
			return false, nil
		}
		switch km.String() {
		case "enter":
			t.filtering = false
			t.filter.Blur()
			t.clamp()
			return true, nil
		case "esc":
			t.filtering = false
			t.filter.Blur()
			t.filter.SetValue("")
			t.refresh()
			return true, nil
		case "up", "down", "pgup", "pgdown":
			// Let the user move while filtering.
		default:
			t.filter.Update(msg)
			t.refresh()
			return true, nil
		}
	}
	if !ok {
		return false, nil
	}
	k := t.keys
	switch {
	case key.Matches(km, k.Up):
		t.cursor--
	case key.Matches(km, k.Down):
		t.cursor++
	case key.Matches(km, k.PageUp):
		t.cursor -= max(t.bodyHeight(), 1)
	case key.Matches(km, k.PageDown):
		t.cursor += max(t.bodyHeight(), 1)
	case key.Matches(km, k.Top):
		t.cursor = 0
	case key.Matches(km, k.Bottom):
		t.cursor = len(t.view) - 1
	case key.Matches(km, k.Mark):
		if id := t.Selected(); id != "" {
			if t.marks[id] {
				delete(t.marks, id)
			} else {
				t.marks[id] = true
			}
			t.cursor++
		}
	case key.Matches(km, k.MarkAll):
		all := true
		for _, ri := range t.view {
			all = all && t.marks[t.rows[ri].ID]
		}
		for _, ri := range t.view {
			if all {
				delete(t.marks, t.rows[ri].ID)
			} else {
				t.marks[t.rows[ri].ID] = true
			}
		}
	case key.Matches(km, k.Filter):
		t.filtering = true
		t.filter.Focus()
		t.clamp()
		return true, nil
	case key.Matches(km, k.Sort):
		for i := 1; i <= len(t.cols); i++ {
			c := (t.sortCol + i) % len(t.cols)
			if t.cols[c].Sort != "" {
				t.sortCol = c
				break
			}
		}
		t.refresh()
	case key.Matches(km, k.Reverse):
		t.sortDesc = !t.sortDesc
		t.refresh()
	case key.Matches(km, k.Clear):
		if t.filter.Value() == "" && len(t.marks) == 0 {
			return false, nil
		}
		if t.filter.Value() != "" {
			t.filter.SetValue("")
		} else {
			clear(t.marks)
		}
		t.refresh()
	default:
		return false, nil
	}
	t.clamp()
	return true, nil
}

// ClickRow moves the cursor to the row drawn y lines below the header.
func (t *table) ClickRow(y int) {
	if y < 0 || t.offset+y >= len(t.view) {
		return
	}
	t.cursor = t.offset + y
	t.clamp()
}

// Scroll moves the cursor by n rows.
func (t *table) Scroll(n int) {
	t.cursor += n
	t.clamp()
}

// widths decides the width of each column for the table width; hidden
// columns get 0.
func (t *table) widths() []int {
	n := len(t.cols)
	w := make([]int, n)
	shown := make([]bool, n)
	for i, c := range t.cols {
		shown[i] = true
		want := lipgloss.Width(c.Title)
		for _, ri := range t.view {
			if i < len(t.rows[ri].Cells) {
				want = max(want, lipgloss.Width(t.rows[ri].Cells[i].Text))
			}
		}
		want = max(want, c.Min)
		if c.Max > 0 {
			want = min(want, c.Max)
		}
		w[i] = want
	}
	avail := t.width - 2 // the mark gutter
	total := func() int {
		s := 0
		for i := range w {
			if shown[i] {
				s += w[i] + 1
			}
		}
		return s
	}
	minTotal := func() int {
		s := 0
		for i, c := range t.cols {
			if shown[i] {
				s += c.Min + 1
			}
		}
		return s
	}
	for minTotal() > avail {
		drop := -1
		for i, c := range t.cols {
			if shown[i] && c.Drop > 0 && (drop < 0 || c.Drop > t.cols[drop].Drop) {
				drop = i
			}
		}
		if drop < 0 {
			break
		}
		shown[drop] = false
	}
	for over := total() - avail; over > 0; over-- {
		best := -1
		for i, c := range t.cols {
			if shown[i] && w[i] > c.Min && (best < 0 || (c.Flex && !t.cols[best].Flex) ||
				(c.Flex == t.cols[best].Flex && w[i]-c.Min > w[best]-t.cols[best].Min)) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		w[best]--
	}
	for i := range w {
		if !shown[i] {
			w[i] = 0
		}
	}
	return w
}

// View draws the header, the visible rows and the filter line.
func (t *table) View() string {
	if t.width <= 0 || t.height <= 0 {
		return ""
	}
	ws := t.widths()
	var b strings.Builder
	var hdr []string
	for i, c := range t.cols {
		if ws[i] == 0 {
			continue
		}
		title := c.Title
		st := t.styles.Header
		if i == t.sortCol {
			st = t.styles.SortHeader
			if t.sortDesc {
				title += "↓"
			} else {
				title += "↑"
			}
		}
		hdr = append(hdr, st.Render(pad(title, ws[i], c.Right)))
	}
	b.WriteString(fit("  "+strings.Join(hdr, " "), t.width))
	body := t.bodyHeight()
	for line := range body {
		b.WriteByte('\n')
		vi := t.offset + line
		if vi >= len(t.view) {
			continue
		}
		r := t.rows[t.view[vi]]
		selected := vi == t.cursor
		gutter := "  "
		if t.marks[r.ID] {
			gutter = t.styles.Marked.Render("● ")
		}
		if selected {
			gutter = "› "
			if t.marks[r.ID] {
				gutter = "●›"
			}
		}
		var parts []string
		for i, c := range t.cols {
			if ws[i] == 0 {
				continue
			}
			var cl cell
			if i < len(r.Cells) {
				cl = r.Cells[i]
			}
			text := pad(ansi.Truncate(cl.Text, ws[i], "…"), ws[i], c.Right)
			if !selected {
				text = cl.Style.Render(text)
			}
			parts = append(parts, text)
		}
		lineText := strings.Join(parts, " ")
		if selected {
			b.WriteString(t.styles.Selected.Render(pad(gutter+lineText, t.width, false)))
		} else {
			b.WriteString(fit(gutter+lineText, t.width))
		}
	}
	if t.filtering || t.filter.Value() != "" {
		b.WriteByte('\n')
		if t.filtering {
			b.WriteString(fit(t.filter.View(), t.width))
		} else {
			b.WriteString(fit(t.styles.Muted.Render("/"+t.filter.Value()+"  (esc clears)"), t.width))
		}
	}
	return b.String()
}

// pad truncates or pads s to exactly w cells.
func pad(s string, w int, right bool) string {
	sw := ansi.StringWidth(s)
	if sw > w {
		return ansi.Truncate(s, w, "…")
	}
	if right {
		return strings.Repeat(" ", w-sw) + s
	}
	return s + strings.Repeat(" ", w-sw)
}

// fit truncates s to w cells without padding.
func fit(s string, w int) string {
	if ansi.StringWidth(s) > w {
		return ansi.Truncate(s, w, "…")
	}
	return s
}

// VisibleIDs returns the IDs of the rows on screen.
func (t *table) VisibleIDs() []string {
	var out []string
	for i := t.offset; i < len(t.view) && i < t.offset+t.bodyHeight(); i++ {
		out = append(out, t.rows[t.view[i]].ID)
	}
	return out
}
