package themes

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Color is one colour for light and for dark backgrounds. Each value is
// "#rrggbb", "#rgb" or an ANSI index "0" to "255"; an empty value means the
// terminal's own default colour.
type Color struct {
	Light string `toml:"light" yaml:"light"`
	Dark  string `toml:"dark" yaml:"dark"`
}

// Same returns a Color that is s on light and dark backgrounds alike.
func Same(s string) Color { return Color{Light: s, Dark: s} }

// Adaptive returns a Color that is light on light backgrounds and dark on
// dark ones.
func Adaptive(light, dark string) Color { return Color{Light: light, Dark: dark} }

// IsZero reports whether c uses the terminal default on both backgrounds.
func (c Color) IsZero() bool { return c.Light == "" && c.Dark == "" }

// Pick returns the value of c for a dark or a light background.
func (c Color) Pick(dark bool) string {
	if dark {
		return c.Dark
	}
	return c.Light
}

// UnmarshalTOML reads a colour written either as one string used on both
// backgrounds or as a table { light = "...", dark = "..." }.
func (c *Color) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case string:
		*c = Same(v)
		return nil
	case int64:
		*c = Same(strconv.FormatInt(v, 10))
		return nil
	case map[string]any:
		var out Color
		for k, val := range v {
			s, ok := val.(string)
			if !ok {
				if n, isInt := val.(int64); isInt {
					s, ok = strconv.FormatInt(n, 10), true
				}
			}
			if !ok {
				return fmt.Errorf("%s: want a string, got %T", k, val)
			}
			switch k {
			case "light":
				out.Light = s
			case "dark":
				out.Dark = s
			default:
				return fmt.Errorf("%w %q: a colour table has only light and dark", ErrUnknownKey, k)
			}
		}
		*c = out
		return nil
	}
	return fmt.Errorf("want a string or a {light, dark} table, got %T", v)
}

// Theme names a colour for each role the interface draws. Text without a
// role (list cells, log lines, JSON) always uses the terminal's default
// colour, so every theme stays readable on any background.
type Theme struct {
	// Name identifies the theme for --theme and the config file.
	Name string `toml:"name" yaml:"name"`
	// Colors holds the palette.
	Colors Palette `toml:"colors" yaml:"colors"`
}

// Palette is the set of semantic colours of a Theme.
type Palette struct {
	// Accent marks titles, the active tab and the focused border.
	Accent Color `toml:"accent" yaml:"accent"`
	// Muted is for secondary text: headers, hints, inactive tabs.
	Muted Color `toml:"muted" yaml:"muted"`
	// Border draws the frames of panes that do not have the focus.
	Border Color `toml:"border" yaml:"border"`
	// SelectionText and SelectionBack draw the row under the cursor. When
	// both are empty the row is drawn in reverse video.
	SelectionText Color `toml:"selection_text" yaml:"selection_text"`
	SelectionBack Color `toml:"selection_back" yaml:"selection_back"`
	// Marked draws rows marked for a bulk action.
	Marked Color `toml:"marked" yaml:"marked"`
	// Running, Paused and Stopped colour container states.
	Running Color `toml:"running" yaml:"running"`
	Paused  Color `toml:"paused" yaml:"paused"`
	Stopped Color `toml:"stopped" yaml:"stopped"`
	// Error, Warning and Success colour the status line and exit codes.
	Error   Color `toml:"error" yaml:"error"`
	Warning Color `toml:"warning" yaml:"warning"`
	Success Color `toml:"success" yaml:"success"`
	// MatchText and MatchBack draw search matches. When both are empty
	// matches are drawn in reverse video.
	MatchText Color `toml:"match_text" yaml:"match_text"`
	MatchBack Color `toml:"match_back" yaml:"match_back"`
	// Key draws key names in the help.
	Key Color `toml:"key" yaml:"key"`
	// Bar fills progress bars and sparklines.
	Bar Color `toml:"bar" yaml:"bar"`
}

// Validate checks every colour of t and returns an error naming the first
// bad one.
func (t Theme) Validate() error {
	if t.Name == "" {
		return fmt.Errorf("validate theme: empty name")
	}
	pv := reflect.ValueOf(t.Colors)
	pt := pv.Type()
	for i := range pt.NumField() {
		c := pv.Field(i).Interface().(Color)
		role := strings.Split(pt.Field(i).Tag.Get("toml"), ",")[0]
		for _, v := range []struct{ bg, s string }{{"light", c.Light}, {"dark", c.Dark}} {
			if err := checkColor(v.s); err != nil {
				return fmt.Errorf("validate theme %s: colors.%s (%s): %w", t.Name, role, v.bg, err)
			}
		}
	}
	return nil
}

// checkColor accepts "", "#rgb", "#rrggbb" and "0" to "255".
func checkColor(s string) error {
	if s == "" {
		return nil
	}
	if strings.HasPrefix(s, "#") {
		hex := s[1:]
		if len(hex) != 3 && len(hex) != 6 {
			return fmt.Errorf("%w %q: use #rgb, #rrggbb or 0-255", ErrInvalidColor, s)
		}
		if _, err := strconv.ParseUint(hex, 16, 32); err != nil {
			return fmt.Errorf("%w %q: use #rgb, #rrggbb or 0-255", ErrInvalidColor, s)
		}
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 255 {
		return fmt.Errorf("%w %q: use #rgb, #rrggbb or 0-255", ErrInvalidColor, s)
	}
	return nil
}

// overlay returns base with every colour that over sets replaced.
func overlay(base, over Palette) Palette {
	bv := reflect.ValueOf(&base).Elem()
	ov := reflect.ValueOf(over)
	for i := range ov.NumField() {
		c := ov.Field(i).Interface().(Color)
		if c.IsZero() {
			continue
		}
		bc := bv.Field(i).Interface().(Color)
		if c.Light != "" {
			bc.Light = c.Light
		}
		if c.Dark != "" {
			bc.Dark = c.Dark
		}
		bv.Field(i).Set(reflect.ValueOf(bc))
	}
	return base
}

// roleNames lists the toml names of the Palette fields.
func roleNames() []string {
	pt := reflect.TypeOf(Palette{})
	out := make([]string, 0, pt.NumField())
	for i := range pt.NumField() {
		out = append(out, strings.Split(pt.Field(i).Tag.Get("toml"), ",")[0])
	}
	return out
}
