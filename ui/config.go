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
	"gopkg.in/yaml.v3"

	"github.com/berth-dev/berth/pty"
	"github.com/berth-dev/berth/themes"
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
// or the same in config.yaml (or config.yml):
//
//	theme: solarized
//	mouse: false
//	keys:
//	  container:
//	    stop: [x, ctrl+x]
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
	Theme      *string                        `toml:"theme" yaml:"theme"`
	Mouse      *bool                          `toml:"mouse" yaml:"mouse"`
	DetachKeys *string                        `toml:"detach_keys" yaml:"detach_keys"`
	Stats      *bool                          `toml:"stats" yaml:"stats"`
	Keys       map[string]map[string][]string `toml:"keys" yaml:"keys"`
}

// configNames are the config file names LoadConfig looks for.
func configNames() []string { return []string{"config.toml", "config.yaml", "config.yml"} }

// LoadConfig reads dir/config.toml, or dir/config.yaml (or .yml). A
// missing file gives DefaultConfig; a bad one, or more than one, gives an
// error naming the file, the line or setting, and what is wrong.
func LoadConfig(dir string) (Config, error) {
	cfg := DefaultConfig()
	cfg.Dir = dir
	if dir == "" {
		return cfg, nil
	}
	var path string
	var data []byte
	for _, name := range configNames() {
		p := filepath.Join(dir, name)
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return cfg, fmt.Errorf("read config: %w", err)
		}
		if path != "" {
			return cfg, fmt.Errorf("load config: %w: both %s and %s exist; keep one", ErrInvalidConfig, path, p)
		}
		path, data = p, b
	}
	if path == "" {
		return cfg, nil
	}
	if err := cfg.parse(data, themes.FormatOf(path)); err != nil {
		return cfg, fmt.Errorf("load config %s: %w", path, err)
	}
	return cfg, nil
}

// settingsHelp lists the settings for errors about unknown ones.
const settingsHelp = "settings: theme, mouse, detach_keys, stats, keys.SECTION.ACTION"

// parse applies data, in format, to c.
func (c *Config) parse(data []byte, format themes.Format) error {
	var f configFile
	if format == themes.YAML {
		if err := decodeConfigYAML(data, &f); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
		}
	} else {
		md, err := toml.Decode(string(data), &f)
		if err != nil {
			var pe toml.ParseError
			if errors.As(err, &pe) {
				return fmt.Errorf("%w: line %d: %s", ErrInvalidConfig, pe.Position.Line, pe.Message)
			}
			return fmt.Errorf("%w: %v", ErrInvalidConfig, err)
		}
		if und := md.Undecoded(); len(und) > 0 {
			return fmt.Errorf("%w: unknown setting %q (%s)", ErrInvalidConfig, und[0].String(), settingsHelp)
		}
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

// decodeConfigYAML decodes a YAML config into f, refusing settings berth
// does not know with the line they are on, as the TOML reader does.
func decodeConfigYAML(data []byte, f *configFile) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return themes.YAMLError(err)
	}
	if len(doc.Content) == 0 {
		return nil // an empty file sets nothing
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: want a mapping of settings (%s)", root.Line, settingsHelp)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "theme", "mouse", "detach_keys", "stats":
		case "keys":
			if v.Kind != yaml.MappingNode && v.Tag != "!!null" {
				return fmt.Errorf("line %d: keys: want sections of action: [key, ...]", v.Line)
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				sec, acts := v.Content[j], v.Content[j+1]
				if acts.Kind != yaml.MappingNode {
					return fmt.Errorf("line %d: keys.%s: want action: [key, ...]", acts.Line, sec.Value)
				}
				for a := 0; a+1 < len(acts.Content); a += 2 {
					if ks := acts.Content[a+1]; ks.Kind != yaml.SequenceNode {
						return fmt.Errorf("line %d: keys.%s.%s: want a list of keys, such as [x, ctrl+x]", ks.Line, sec.Value, acts.Content[a].Value)
					}
				}
			}
		default:
			return fmt.Errorf("line %d: unknown setting %q (%s)", k.Line, k.Value, settingsHelp)
		}
	}
	if err := root.Decode(f); err != nil {
		return themes.YAMLError(err)
	}
	return nil
}
