package ui

import (
	"strings"
	"unicode"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// lineInput is a one-line text field with emacs-style editing keys. The
// cursor is drawn in the text (reverse video) and does not blink, so an
// open input costs nothing while the user thinks.
type lineInput struct {
	Prompt      string
	Placeholder string
	value       []rune
	pos         int
	focused     bool
	width       int
	cursorStyle lipgloss.Style
	placeStyle  lipgloss.Style
}

func newLineInput(prompt, placeholder string, st *Styles) lineInput {
	return lineInput{
		Prompt:      prompt,
		Placeholder: placeholder,
		cursorStyle: lipgloss.NewStyle().Reverse(true),
		placeStyle:  st.Muted,
	}
}

// Value returns the text.
func (in *lineInput) Value() string { return string(in.value) }

// SetValue replaces the text and puts the cursor at its end.
func (in *lineInput) SetValue(s string) {
	in.value = []rune(s)
	in.pos = len(in.value)
}

// Focus gives the input the keyboard.
func (in *lineInput) Focus() { in.focused = true }

// Blur takes the keyboard away.
func (in *lineInput) Blur() { in.focused = false }

// Focused reports whether the input has the keyboard.
func (in *lineInput) Focused() bool { return in.focused }

// SetWidth sets the width of the input, prompt included.
func (in *lineInput) SetWidth(w int) { in.width = w }

// Update edits the text; it reports whether the message changed it or
// moved the cursor.
func (in *lineInput) Update(msg tea.Msg) bool {
	if !in.focused {
		return false
	}
	switch msg := msg.(type) {
	case tea.PasteMsg:
		in.insert(strings.ReplaceAll(msg.Content, "\n", " "))
		return true
	case tea.KeyPressMsg:
		switch msg.String() {
		case "left", "ctrl+b":
			in.pos = max(in.pos-1, 0)
		case "right", "ctrl+f":
			in.pos = min(in.pos+1, len(in.value))
		case "home", "ctrl+a":
			in.pos = 0
		case "end", "ctrl+e":
			in.pos = len(in.value)
		case "backspace", "ctrl+h":
			if in.pos > 0 {
				in.value = append(in.value[:in.pos-1], in.value[in.pos:]...)
				in.pos--
			}
		case "delete", "ctrl+d":
			if in.pos < len(in.value) {
				in.value = append(in.value[:in.pos], in.value[in.pos+1:]...)
			}
		case "ctrl+u":
			in.value = in.value[in.pos:]
			in.pos = 0
		case "ctrl+k":
			in.value = in.value[:in.pos]
		case "ctrl+w", "alt+backspace":
			i := in.pos
			for i > 0 && unicode.IsSpace(in.value[i-1]) {
				i--
			}
			for i > 0 && !unicode.IsSpace(in.value[i-1]) {
				i--
			}
			in.value = append(in.value[:i], in.value[in.pos:]...)
			in.pos = i
		default:
			if msg.Text == "" || msg.Mod&(tea.ModCtrl|tea.ModAlt) != 0 {
				return false
			}
			in.insert(msg.Text)
		}
		return true
	}
	return false
}

func (in *lineInput) insert(s string) {
	rs := []rune(s)
	v := make([]rune, 0, len(in.value)+len(rs))
	v = append(v, in.value[:in.pos]...)
	v = append(v, rs...)
	v = append(v, in.value[in.pos:]...)
	in.value = v
	in.pos += len(rs)
}

// View draws the prompt and the text, scrolled so the cursor shows.
func (in *lineInput) View() string {
	avail := in.width - ansi.StringWidth(in.Prompt)
	if in.width <= 0 {
		avail = len(in.value) + 1
	}
	if avail < 1 {
		return fit(in.Prompt, in.width)
	}
	if len(in.value) == 0 && !in.focused {
		return in.Prompt + in.placeStyle.Render(fit(in.Placeholder, avail))
	}
	start := 0
	if in.pos >= avail {
		start = in.pos - avail + 1
	}
	end := min(len(in.value), start+avail)
	var b strings.Builder
	b.WriteString(in.Prompt)
	for i := start; i < end; i++ {
		if in.focused && i == in.pos {
			b.WriteString(in.cursorStyle.Render(string(in.value[i])))
		} else {
			b.WriteRune(in.value[i])
		}
	}
	if in.focused && in.pos == len(in.value) {
		if len(in.value) == 0 && in.Placeholder != "" {
			ph := []rune(in.Placeholder)
			b.WriteString(in.cursorStyle.Render(string(ph[0])))
			b.WriteString(in.placeStyle.Render(fit(string(ph[1:]), avail-1)))
		} else {
			b.WriteString(in.cursorStyle.Render(" "))
		}
	}
	return b.String()
}
