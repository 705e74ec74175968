package themes

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"
)

// file is the shape of a theme file, in TOML:
//
//	name = "mine"
//	inherit = "solarized"      # optional: start from this built-in theme
//	[colors]
//	accent = "#5f87ff"         # one value for both backgrounds
//	muted = { light = "#666666", dark = "#999999" }
//
// or the same in YAML:
//
//	name: mine
//	inherit: solarized
//	colors:
//	  accent: "#5f87ff"
//	  muted: { light: "#666666", dark: "#999999" }
//
// Roles the file leaves out keep the inherited (or default) colours.
type file struct {
	Name    string  `toml:"name" yaml:"name"`
	Inherit string  `toml:"inherit" yaml:"inherit"`
	Colors  Palette `toml:"colors" yaml:"colors"`
}

// Format is the syntax of a theme or config file.
type Format int

// The formats a theme file may be written in.
const (
	TOML Format = iota
	YAML
)

// FormatOf returns the format a file name's extension says: YAML for
// .yaml and .yml, TOML otherwise.
func FormatOf(path string) Format {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		return YAML
	}
	return TOML
}

// extensions are the theme file extensions Resolve looks for, in order.
func extensions() []string { return []string{".toml", ".yaml", ".yml"} }

// Parse reads a theme from TOML data. name is used when the data does not
// set one (normally the file name without its extension).
func Parse(data []byte, name string) (Theme, error) {
	return ParseFormat(data, name, TOML)
}

// ParseFormat reads a theme from data in format. Both formats take the
// same keys and go through the same validation; an error names the line
// (for syntax errors and unknown keys) or the role (for bad colours).
func ParseFormat(data []byte, name string, format Format) (Theme, error) {
	var f file
	if format == YAML {
		if err := decodeYAML(data, &f); err != nil {
			return Theme{}, fmt.Errorf("parse theme %s: %w", name, err)
		}
	} else {
		md, err := toml.Decode(string(data), &f)
		if err != nil {
			var pe toml.ParseError
			if errors.As(err, &pe) {
				return Theme{}, fmt.Errorf("parse theme %s: line %d: %s", name, pe.Position.Line, pe.Message)
			}
			return Theme{}, fmt.Errorf("parse theme %s: %w", name, err)
		}
		if und := md.Undecoded(); len(und) > 0 {
			return Theme{}, fmt.Errorf("parse theme %s: %w %q (roles: %s)", name, ErrUnknownKey, und[0].String(), strings.Join(Roles(), ", "))
		}
	}
	base := Default
	if f.Inherit != "" {
		base = f.Inherit
	}
	t, err := Builtin(base)
	if err != nil {
		return Theme{}, fmt.Errorf("parse theme %s: inherit: %w", name, err)
	}
	t.Name = name
	if f.Name != "" {
		t.Name = f.Name
	}
	t.Colors = overlay(t.Colors, f.Colors)
	if err := t.Validate(); err != nil {
		return Theme{}, err
	}
	return t, nil
}

// Load reads the theme file at path, in YAML if its name ends in .yaml or
// .yml and in TOML otherwise.
func Load(path string) (Theme, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Theme{}, fmt.Errorf("load theme: %w", err)
	}
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	t, err := ParseFormat(data, name, FormatOf(path))
	if err != nil {
		return Theme{}, fmt.Errorf("load theme %s: %w", path, err)
	}
	return t, nil
}

// Resolve finds the theme a user asked for. ref is a built-in name, the
// name of a file NAME.toml, NAME.yaml or NAME.yml in dir (the user's theme
// directory, may be empty), or a path to a theme file (anything with a
// slash or ending in one of those extensions). An empty ref means the
// default theme.
func Resolve(ref, dir string) (Theme, error) {
	if ref == "" {
		ref = Default
	}
	if strings.ContainsRune(ref, os.PathSeparator) || hasThemeExt(ref) {
		return Load(ref)
	}
	if dir != "" {
		for _, ext := range extensions() {
			p := filepath.Join(dir, ref+ext)
			if _, err := os.Stat(p); err == nil {
				return Load(p)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return Theme{}, fmt.Errorf("load theme: %w", err)
			}
		}
	}
	return Builtin(ref)
}

func hasThemeExt(ref string) bool {
	for _, ext := range extensions() {
		if strings.HasSuffix(ref, ext) {
			return true
		}
	}
	return false
}

// Roles returns the colour role names a theme file may set, in the order
// of Palette.
func Roles() []string {
	return roleNames()
}
