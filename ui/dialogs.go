package ui

import (
	"context"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// confirmDialog asks before anything destructive. y or enter runs onYes;
// n or esc cancels.
type confirmDialog struct {
	title, text string
	onYes       func(ctx context.Context) tea.Cmd
}

func newConfirm(title, text string, onYes func(ctx context.Context) tea.Cmd) *confirmDialog {
	return &confirmDialog{title: title, text: text, onYes: onYes}
}

// maxConfirmLines bounds the item list a confirmation shows.
const maxConfirmLines = 10

// View draws the dialog.
func (d *confirmDialog) View(s *Styles, k *DialogKeys) string {
	lines := strings.Split(d.text, "\n")
	if len(lines) > maxConfirmLines {
		more := len(lines) - maxConfirmLines + 1
		lines = append(lines[:maxConfirmLines-1], s.Muted.Render("… and "+itoa(more)+" more"))
	}
	hint := s.Key.Render("y") + "/" + s.Key.Render(k.Submit.Help().Key) + " yes   " + s.Key.Render("n") + "/" + s.Key.Render(k.Cancel.Help().Key) + " no"
	body := s.Warning.Bold(true).Render(d.title) + "\n\n" + strings.Join(lines, "\n") + "\n\n" + hint
	return s.Dialog.Render(body)
}

func (m *Model) updateConfirm(msg tea.KeyPressMsg) tea.Cmd {
	d := m.confirm
	switch {
	case msg.String() == "y" || msg.String() == "Y" || key.Matches(msg, m.keys.Dialog.Submit):
		m.confirm = nil
		return d.onYes(m.ctx)
	case msg.String() == "n" || msg.String() == "N" || key.Matches(msg, m.keys.Dialog.Cancel) || msg.String() == "q":
		m.confirm = nil
	}
	return nil
}

// field is one input of a form: a text line, or a checkbox when Check.
type field struct {
	Label       string
	Placeholder string
	Value       string
	Check       bool
	Checked     bool
	Hint        string
}

// formValues are the submitted values of a form, by field index.
type formValues struct {
	texts  []string
	checks []bool
}

func (v formValues) text(i int) string { return v.texts[i] }
func (v formValues) check(i int) bool  { return v.checks[i] }

// formDialog is a dialog of labelled fields (run, tag, commit, pull, save
// logs). tab and shift+tab move between fields, space toggles a checkbox,
// enter submits, esc cancels.
type formDialog struct {
	title    string
	fields   []field
	inputs   []lineInput
	focus    int
	onSubmit func(ctx context.Context, v formValues) tea.Cmd
	width    int
	styles   *Styles
	keys     *DialogKeys
}

func newForm(st *Styles, keys *DialogKeys, title string, fields []field, onSubmit func(ctx context.Context, v formValues) tea.Cmd) *formDialog {
	f := &formDialog{title: title, fields: fields, onSubmit: onSubmit, styles: st, keys: keys}
	for _, fl := range fields {
		in := newLineInput("", fl.Placeholder, st)
		in.SetValue(fl.Value)
		f.inputs = append(f.inputs, in)
	}
	f.setFocus(0)
	return f
}

// SetSize sizes the dialog for a terminal of w x h.
func (f *formDialog) SetSize(w, _ int) {
	f.width = min(max(w-8, 40), 90)
	lw := f.labelWidth()
	for i := range f.inputs {
		f.inputs[i].SetWidth(f.width - lw - 4)
	}
}

func (f *formDialog) labelWidth() int {
	w := 0
	for _, fl := range f.fields {
		w = max(w, ansi.StringWidth(fl.Label))
	}
	return w + 2
}

func (f *formDialog) setFocus(i int) {
	n := len(f.fields)
	f.focus = (i%n + n) % n
	for j := range f.inputs {
		if j == f.focus && !f.fields[j].Check {
			f.inputs[j].Focus()
		} else {
			f.inputs[j].Blur()
		}
	}
}

func (f *formDialog) values() formValues {
	v := formValues{texts: make([]string, len(f.fields)), checks: make([]bool, len(f.fields))}
	for i := range f.fields {
		v.texts[i] = f.inputs[i].Value()
		v.checks[i] = f.fields[i].Checked
	}
	return v
}

// Update edits the focused field; it returns true when the form is done:
// submitted (submit true) or cancelled.
func (f *formDialog) Update(msg tea.Msg) (done, submit bool) {
	km, ok := msg.(tea.KeyPressMsg)
	if !ok {
		f.inputs[f.focus].Update(msg)
		return false, false
	}
	switch {
	case key.Matches(km, f.keys.Cancel):
		return true, false
	case key.Matches(km, f.keys.Submit):
		return true, true
	case key.Matches(km, f.keys.Next):
		f.setFocus(f.focus + 1)
	case key.Matches(km, f.keys.Prev):
		f.setFocus(f.focus - 1)
	case f.fields[f.focus].Check && key.Matches(km, f.keys.Toggle):
		f.fields[f.focus].Checked = !f.fields[f.focus].Checked
	default:
		if !f.fields[f.focus].Check {
			f.inputs[f.focus].Update(msg)
		}
	}
	return false, false
}

// View draws the form.
func (f *formDialog) View() string {
	s := f.styles
	lw := f.labelWidth()
	lines := []string{s.PaneTitle.Render(f.title), ""}
	for i, fl := range f.fields {
		label := pad(fl.Label, lw, false)
		marker := "  "
		if i == f.focus {
			marker = s.Key.Render("› ")
			label = s.Key.Render(label)
		} else {
			label = s.Muted.Render(label)
		}
		var val string
		if fl.Check {
			box := "[ ]"
			if fl.Checked {
				box = "[x]"
			}
			if i == f.focus {
				box = s.Selected.Render(box)
			}
			val = box
		} else {
			val = f.inputs[i].View()
		}
		lines = append(lines, marker+label+val)
		if fl.Hint != "" {
			lines = append(lines, strings.Repeat(" ", lw+2)+s.Muted.Render(fit(fl.Hint, max(f.width-lw-4, 1))))
		}
	}
	k := f.keys
	hint := k.Next.Help().Key + "/" + k.Prev.Help().Key + " move  "
	if len(f.fields) == 1 {
		hint = ""
	}
	if slices.ContainsFunc(f.fields, func(fl field) bool { return fl.Check }) {
		hint += k.Toggle.Help().Key + " toggle  "
	}
	lines = append(lines, "", s.Muted.Render(hint+k.Submit.Help().Key+" ok  "+k.Cancel.Help().Key+" cancel"))
	return s.Dialog.Width(f.width).Render(lipgloss.JoinVertical(lipgloss.Left, lines...))
}

func (m *Model) openForm(f *formDialog) {
	f.SetSize(m.width, m.height)
	m.form = f
}

func (m *Model) updateForm(msg tea.KeyPressMsg) tea.Cmd {
	f := m.form
	done, submit := f.Update(msg)
	if !done {
		return nil
	}
	m.form = nil
	if !submit {
		return nil
	}
	return f.onSubmit(m.ctx, f.values())
}
