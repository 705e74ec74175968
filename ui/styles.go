package ui

import (
	"image/color"

	"charm.land/lipgloss/v2"

	"github.com/berth-dev/berth/themes"
)

// Styles is every style the interface draws with, built once from a theme
// and the terminal background. Colours appear nowhere else in the package.
type Styles struct {
	Dark bool

	Title       lipgloss.Style // the app name in the top bar
	Tab         lipgloss.Style
	ActiveTab   lipgloss.Style
	Header      lipgloss.Style // list column headers
	SortHeader  lipgloss.Style // the header of the sort column
	Selected    lipgloss.Style // the row under the cursor
	Marked      lipgloss.Style // rows marked for a bulk action
	Muted       lipgloss.Style
	Running     lipgloss.Style
	Paused      lipgloss.Style
	Stopped     lipgloss.Style
	Error       lipgloss.Style
	Warning     lipgloss.Style
	Success     lipgloss.Style
	Match       lipgloss.Style // search matches
	CurrentHit  lipgloss.Style // the match n/N moved to
	Key         lipgloss.Style // key names in help and hints
	Bar         lipgloss.Style // progress bars and sparklines
	Border      lipgloss.Style // frame of a pane without the focus
	FocusBorder lipgloss.Style // frame of the focused pane
	PaneTitle   lipgloss.Style
	Dialog      lipgloss.Style // frame of a dialog
	Input       lipgloss.Style
}

// col converts a theme colour for the background; an empty value is the
// terminal default.
func col(c themes.Color, dark bool) color.Color {
	s := c.Pick(dark)
	if s == "" {
		return lipgloss.NoColor{}
	}
	return lipgloss.Color(s)
}

// NewStyles builds the styles of t for a dark or light background. Body
// text keeps the terminal's default colour; attributes (bold, reverse,
// underline) carry meaning too, so a theme without colours still shows the
// cursor, matches and headers.
func NewStyles(t themes.Theme, dark bool) Styles {
	p := t.Colors
	c := func(x themes.Color) color.Color { return col(x, dark) }
	fg := func(x themes.Color) lipgloss.Style { return lipgloss.NewStyle().Foreground(c(x)) }

	s := Styles{Dark: dark}
	s.Title = fg(p.Accent).Bold(true)
	s.Tab = fg(p.Muted)
	s.ActiveTab = fg(p.Accent).Bold(true).Underline(true)
	s.Header = fg(p.Muted).Bold(true)
	s.SortHeader = fg(p.Accent).Bold(true)
	if p.SelectionText.IsZero() && p.SelectionBack.IsZero() {
		s.Selected = lipgloss.NewStyle().Reverse(true)
	} else {
		s.Selected = lipgloss.NewStyle().Foreground(c(p.SelectionText)).Background(c(p.SelectionBack)).Bold(true)
	}
	s.Marked = fg(p.Marked).Bold(true)
	s.Muted = fg(p.Muted)
	if p.Muted.IsZero() {
		s.Muted = s.Muted.Faint(true)
	}
	s.Running = fg(p.Running)
	s.Paused = fg(p.Paused)
	s.Stopped = fg(p.Stopped)
	s.Error = fg(p.Error).Bold(true)
	s.Warning = fg(p.Warning)
	s.Success = fg(p.Success)
	if p.MatchText.IsZero() && p.MatchBack.IsZero() {
		s.Match = lipgloss.NewStyle().Underline(true)
		s.CurrentHit = lipgloss.NewStyle().Reverse(true)
	} else {
		s.Match = lipgloss.NewStyle().Foreground(c(p.MatchText)).Background(c(p.MatchBack))
		s.CurrentHit = s.Match.Bold(true).Underline(true)
	}
	s.Key = fg(p.Key).Bold(true)
	s.Bar = fg(p.Bar)
	s.Border = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(c(p.Border))
	s.FocusBorder = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(c(p.Accent))
	s.PaneTitle = fg(p.Accent).Bold(true)
	s.Dialog = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(c(p.Accent)).Padding(0, 1)
	s.Input = lipgloss.NewStyle()
	return s
}
