package themes

import (
	"fmt"
	"slices"
)

// Names of the built-in themes.
const (
	Default      = "default"
	Light        = "light"
	Dark         = "dark"
	HighContrast = "high-contrast"
	Solarized    = "solarized"
	Monochrome   = "monochrome"
)

// Builtins returns the built-in themes, the default first. Each call
// returns fresh values.
func Builtins() []Theme {
	return []Theme{
		{Name: Default, Colors: defaultPalette()},
		{Name: Light, Colors: lightPalette()},
		{Name: Dark, Colors: darkPalette()},
		{Name: HighContrast, Colors: highContrastPalette()},
		{Name: Solarized, Colors: solarizedPalette()},
		{Name: Monochrome, Colors: Palette{}},
	}
}

// Names returns the names of the built-in themes, the default first.
func Names() []string {
	var out []string
	for _, t := range Builtins() {
		out = append(out, t.Name)
	}
	return out
}

// Builtin returns the built-in theme called name, or an error wrapping
// ErrUnknownTheme that lists the names there are.
func Builtin(name string) (Theme, error) {
	all := Builtins()
	i := slices.IndexFunc(all, func(t Theme) bool { return t.Name == name })
	if i < 0 {
		return Theme{}, fmt.Errorf("find theme %q: %w (built in: %v)", name, ErrUnknownTheme, Names())
	}
	return all[i], nil
}

// defaultPalette adapts to the background: each colour has a darker value
// for light terminals and a lighter one for dark terminals.
func defaultPalette() Palette {
	return Palette{
		Accent:        Adaptive("#005fd7", "#5fafff"),
		Muted:         Adaptive("#6c6c6c", "#8a8a8a"),
		Border:        Adaptive("#b2b2b2", "#585858"),
		SelectionText: Adaptive("#000000", "#ffffff"),
		SelectionBack: Adaptive("#d0e0ff", "#264f78"),
		Marked:        Adaptive("#af5f00", "#ffaf5f"),
		Running:       Adaptive("#008700", "#5fd75f"),
		Paused:        Adaptive("#af8700", "#ffd75f"),
		Stopped:       Adaptive("#6c6c6c", "#8a8a8a"),
		Error:         Adaptive("#d70000", "#ff5f5f"),
		Warning:       Adaptive("#af5f00", "#ffaf5f"),
		Success:       Adaptive("#008700", "#5fd75f"),
		MatchText:     Adaptive("#000000", "#000000"),
		MatchBack:     Adaptive("#ffd75f", "#ffd75f"),
		Key:           Adaptive("#005fd7", "#5fafff"),
		Bar:           Adaptive("#0087af", "#5fafd7"),
	}
}

// lightPalette is for light backgrounds whatever the terminal reports.
func lightPalette() Palette {
	p := defaultPalette()
	for _, c := range []*Color{&p.Accent, &p.Muted, &p.Border, &p.SelectionText, &p.SelectionBack,
		&p.Marked, &p.Running, &p.Paused, &p.Stopped, &p.Error, &p.Warning, &p.Success,
		&p.MatchText, &p.MatchBack, &p.Key, &p.Bar} {
		c.Dark = c.Light
	}
	return p
}

// darkPalette is for dark backgrounds whatever the terminal reports.
func darkPalette() Palette {
	p := defaultPalette()
	for _, c := range []*Color{&p.Accent, &p.Muted, &p.Border, &p.SelectionText, &p.SelectionBack,
		&p.Marked, &p.Running, &p.Paused, &p.Stopped, &p.Error, &p.Warning, &p.Success,
		&p.MatchText, &p.MatchBack, &p.Key, &p.Bar} {
		c.Light = c.Dark
	}
	return p
}

// highContrastPalette uses the 16 basic ANSI colours, which every terminal
// maps to its own strongest values, and black on yellow for the selection.
func highContrastPalette() Palette {
	return Palette{
		Accent:        Adaptive("4", "14"),
		Muted:         Adaptive("0", "15"),
		Border:        Adaptive("0", "15"),
		SelectionText: Same("0"),
		SelectionBack: Same("11"),
		Marked:        Adaptive("5", "13"),
		Running:       Adaptive("2", "10"),
		Paused:        Adaptive("3", "11"),
		Stopped:       Adaptive("0", "15"),
		Error:         Adaptive("1", "9"),
		Warning:       Adaptive("5", "13"),
		Success:       Adaptive("2", "10"),
		MatchText:     Same("15"),
		MatchBack:     Same("5"),
		Key:           Adaptive("4", "14"),
		Bar:           Adaptive("4", "14"),
	}
}

// solarizedPalette uses the Solarized accent colours, which read on both
// the Solarized light and dark backgrounds; the base tones switch.
func solarizedPalette() Palette {
	const (
		base01  = "#586e75"
		base1   = "#93a1a1"
		base02  = "#073642"
		base2   = "#eee8d5"
		yellow  = "#b58900"
		orange  = "#cb4b16"
		red     = "#dc322f"
		magenta = "#d33682"
		blue    = "#268bd2"
		cyan    = "#2aa198"
		green   = "#859900"
	)
	return Palette{
		Accent:        Same(blue),
		Muted:         Adaptive(base01, base1),
		Border:        Adaptive(base1, base01),
		SelectionText: Adaptive(base02, base2),
		SelectionBack: Adaptive(base2, base02),
		Marked:        Same(magenta),
		Running:       Same(green),
		Paused:        Same(yellow),
		Stopped:       Adaptive(base01, base1),
		Error:         Same(red),
		Warning:       Same(orange),
		Success:       Same(green),
		MatchText:     Adaptive(base2, base02),
		MatchBack:     Same(yellow),
		Key:           Same(cyan),
		Bar:           Same(cyan),
	}
}
