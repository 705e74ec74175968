package ui

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/berth-dev/berth/pty"
)

// Config is the user's settings from $XDG_CONFIG_HOME/berth/config.toml:
//
//	theme = "solarized"          # a built-in name, a file in themes/, or a path
//	mouse = false                # start with mouse support on
//	detach_keys = "ctrl-p,ctrl-q"
//	stats = true                 # CPU/memory sparklines for running containers
//
//	[keys.container]             # rebind actions by section and name
//	stop = ["x", "ctrl+x"]
//
// A flag (--theme) wins over the file.
type Config struct {
	Theme      string
	Mouse      bool
	DetachKeys string
	Stats      bool
	Keys       KeyMap
	// Dir is the directory the config was read from; user themes live in
	// Dir/themes.
	Dir string
}

// DefaultConfig returns the settings used when there is no config file.
func DefaultConfig() Config {
	return Config{DetachKeys: pty.DefaultKeys, Stats: true, Keys: DefaultKeyMap()}
}

// ConfigDir returns berth's config directory: $XDG_CONFIG_HOME/berth, or
// ~/.config/berth.
func ConfigDir() string {
	if d := os.Getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "berth")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".config", "berth")
	}
	return ""
}

type configFile struct {
	Theme      *string                        `toml:"theme"`
	Mouse      *bool                          `toml:"mouse"`
	DetachKeys *string                        `toml:"detach_keys"`
	Stats      *bool                          `toml:"stats"`
	Keys       map[string]map[string][]string `toml:"keys"`
}

// LoadConfig reads dir/config.toml. A missing file gives DefaultConfig; a
// bad one gives an error naming the file, the line or setting, and what is
// wrong.
func LoadConfig(dir string) (Config, error) {
	cfg := DefaultConfig()
	cfg.Dir = dir
	if dir == "" {
		return cfg, nil
	}
	path := filepath.Join(dir, "config.toml")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return cfg, nil
	}
	if err != nil {
		return cfg, fmt.Errorf("read config: %w", err)
	}
	if err := cfg.parse(data); err != nil {
		return cfg, fmt.Errorf("load config %s: %w", path, err)
	}
	return cfg, nil
}

// parse applies TOML data to c.
func (c *Config) parse(data []byte) error {
	var f configFile
	md, err := toml.Decode(string(data), &f)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return fmt.Errorf("%w: line %d: %s", ErrInvalidConfig, pe.Position.Line, pe.Message)
		}
		return fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return fmt.Errorf("%w: unknown setting %q (settings: theme, mouse, detach_keys, stats, [keys.SECTION])", ErrInvalidConfig, und[0].String())
	}
	if f.Theme != nil {
		c.Theme = *f.Theme
	}
	if f.Mouse != nil {
		c.Mouse = *f.Mouse
	}
	if f.Stats != nil {
		c.Stats = *f.Stats
	}
	if f.DetachKeys != nil {
		if _, err := pty.ParseKeys(*f.DetachKeys); err != nil {
			return fmt.Errorf("%w: detach_keys: %w", ErrInvalidConfig, err)
		}
		c.DetachKeys = *f.DetachKeys
	}
	sections := make([]string, 0, len(f.Keys))
	for s := range f.Keys {
		sections = append(sections, s)
	}
	sort.Strings(sections)
	for _, sec := range sections {
		names := make([]string, 0, len(f.Keys[sec]))
		for n := range f.Keys[sec] {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			keys := f.Keys[sec][n]
			for _, k := range keys {
				if k == "" || strings.ContainsAny(k, " \t") {
					return fmt.Errorf("%w: keys.%s.%s: bad key %q (write keys as \"x\", \"ctrl+x\", \"shift+tab\", \"space\")", ErrInvalidConfig, sec, n, k)
				}
			}
			if err := c.Keys.Rebind(sec, n, keys); err != nil {
				return err
			}
		}
	}
	if err := c.Keys.Check(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return nil
}
