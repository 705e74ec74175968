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

// file is the shape of a theme file:
//
//	name = "mine"
//	inherit = "solarized"      # optional: start from this built-in theme
//	[colors]
//	accent = "#5f87ff"         # one value for both backgrounds
//	muted = { light = "#666666", dark = "#999999" }
//
// Roles the file leaves out keep the inherited (or default) colours.
type file struct {
	Name    string  `toml:"name"`
	Inherit string  `toml:"inherit"`
	Colors  Palette `toml:"colors"`
}

// Parse reads a theme from TOML data. name is used when the data does not
// set one (normally the file name without its extension).
func Parse(data []byte, name string) (Theme, error) {
	var f file
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

// Load reads the theme file at path.
func Load(path string) (Theme, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Theme{}, fmt.Errorf("load theme: %w", err)
	}
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	t, err := Parse(data, name)
	if err != nil {
		return Theme{}, fmt.Errorf("load theme %s: %w", path, err)
	}
	return t, nil
}

// Resolve finds the theme a user asked for. ref is a built-in name, the
// name of a file NAME.toml in dir (the user's theme directory, may be
// empty), or a path to a theme file (anything with a slash or ending in
// .toml). An empty ref means the default theme.
func Resolve(ref, dir string) (Theme, error) {
	if ref == "" {
		ref = Default
	}
	if strings.ContainsRune(ref, os.PathSeparator) || strings.HasSuffix(ref, ".toml") {
		return Load(ref)
	}
	if dir != "" {
		p := filepath.Join(dir, ref+".toml")
		if _, err := os.Stat(p); err == nil {
			return Load(p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return Theme{}, fmt.Errorf("load theme: %w", err)
		}
	}
	return Builtin(ref)
}

// Roles returns the colour role names a theme file may set, in the order
// of Palette.
func Roles() []string {
	return roleNames()
}
