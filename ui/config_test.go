package ui

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"

	"github.com/berth-dev/berth/pty"
	"github.com/berth-dev/berth/themes"
)

func TestDefaultKeysDoNotClash(t *testing.T) {
	km := DefaultKeyMap()
	if err := km.Check(); err != nil {
		t.Fatalf("Check() = %v, want nil", err)
	}
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		file    string // config.toml unless set
		data    string // "" means no file
		check   func(t *testing.T, c Config)
		wantErr error
		errHas  string
	}{
		{name: "no file", check: func(t *testing.T, c Config) {
			if c.DetachKeys != pty.DefaultKeys || c.Mouse || !c.Stats {
				t.Errorf("defaults = %+v", c)
			}
		}},
		{name: "settings and a rebind", data: "theme = \"solarized\"\nmouse = true\ndetach_keys = \"ctrl-a,d\"\n[keys.container]\nstop = [\"ctrl+x\", \"x\"]\n",
			check: func(t *testing.T, c Config) {
				if c.Theme != "solarized" || !c.Mouse || c.DetachKeys != "ctrl-a,d" {
					t.Errorf("config = %+v", c)
				}
				if !key.Matches(keyMsg("ctrl+x"), c.Keys.Container.Stop) || c.Keys.Container.Stop.Help().Key != "ctrl+x/x" {
					t.Errorf("stop = %v %q, want ctrl+x and x", c.Keys.Container.Stop.Keys(), c.Keys.Container.Stop.Help().Key)
				}
			}},
		{name: "clash", data: "[keys.container]\nstop = [\"s\"]\n", wantErr: ErrKeyClash, errHas: `"s" is bound to both container.start and container.stop`},
		{name: "clash with global", data: "[keys.image]\ntag = [\"q\"]\n", wantErr: ErrKeyClash},
		{name: "same key in other scopes is fine", data: "[keys.logs]\nfollow = [\"x\"]\n"},
		{name: "unknown action", data: "[keys.container]\nexplode = [\"z\"]\n", wantErr: ErrInvalidConfig, errHas: "container.explode"},
		{name: "unknown setting", data: "colour = \"red\"\n", wantErr: ErrInvalidConfig, errHas: `"colour"`},
		{name: "bad detach keys", data: "detach_keys = \"ctrl-\"\n", wantErr: pty.ErrInvalidKeys},
		{name: "syntax", data: "mouse = \n", wantErr: ErrInvalidConfig, errHas: "line 1"},
		{name: "empty key", data: "[keys.list]\nup = [\"\"]\n", wantErr: ErrInvalidConfig},
		{name: "yaml settings and a rebind", file: "config.yaml",
			data: "theme: solarized\nmouse: true\ndetach_keys: ctrl-a,d\nstats: false\nkeys:\n  container:\n    stop: [ctrl+x, x]\n",
			check: func(t *testing.T, c Config) {
				if c.Theme != "solarized" || !c.Mouse || c.DetachKeys != "ctrl-a,d" || c.Stats {
					t.Errorf("config = %+v", c)
				}
				if !key.Matches(keyMsg("ctrl+x"), c.Keys.Container.Stop) || c.Keys.Container.Stop.Help().Key != "ctrl+x/x" {
					t.Errorf("stop = %v %q, want ctrl+x and x", c.Keys.Container.Stop.Keys(), c.Keys.Container.Stop.Help().Key)
				}
			}},
		{name: "yml block lists", file: "config.yml", data: "keys:\n  volume:\n    prune:\n      - ctrl+p\n",
			check: func(t *testing.T, c Config) {
				if !key.Matches(keyMsg("ctrl+p"), c.Keys.Volume.Prune) {
					t.Errorf("volume prune = %v, want ctrl+p", c.Keys.Volume.Prune.Keys())
				}
			}},
		{name: "yaml empty file", file: "config.yaml", data: "# nothing yet\n", check: func(t *testing.T, c Config) {
			if c.Mouse || !c.Stats {
				t.Errorf("config = %+v, want defaults", c)
			}
		}},
		{name: "yaml clash", file: "config.yaml", data: "keys:\n  container:\n    stop: [s]\n", wantErr: ErrKeyClash, errHas: `"s" is bound to both container.start and container.stop`},
		{name: "yaml unknown setting", file: "config.yaml", data: "mouse: true\ncolour: red\n", wantErr: ErrInvalidConfig, errHas: `line 2: unknown setting "colour"`},
		{name: "yaml unknown action", file: "config.yaml", data: "keys:\n  container:\n    explode: [z]\n", wantErr: ErrInvalidConfig, errHas: "container.explode"},
		{name: "yaml wrong type", file: "config.yaml", data: "mouse: maybe\n", wantErr: ErrInvalidConfig, errHas: `line 1: "maybe" is not true or false`},
		{name: "yaml key not a list", file: "config.yaml", data: "keys:\n  container:\n    stop: x\n", wantErr: ErrInvalidConfig, errHas: "line 3: keys.container.stop: want a list of keys"},
		{name: "yaml syntax", file: "config.yaml", data: "mouse: true\n  stats: false\n", wantErr: ErrInvalidConfig, errHas: "line 2"},
		{name: "yaml bad detach keys", file: "config.yaml", data: "detach_keys: \"ctrl-\"\n", wantErr: pty.ErrInvalidKeys},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			file := tt.file
			if file == "" {
				file = "config.toml"
			}
			if tt.data != "" {
				if err := os.WriteFile(filepath.Join(dir, file), []byte(tt.data), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			c, err := LoadConfig(dir)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("LoadConfig() error = %v, want %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.errHas) || !strings.Contains(err.Error(), file) || strings.Contains(err.Error(), "!!") {
					t.Errorf("LoadConfig() error = %q, want it to name the file and %q", err, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadConfig() = %v", err)
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

func TestLoadConfigTwoFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"config.toml", "config.yaml"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	_, err := LoadConfig(dir)
	if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "config.toml and") || !strings.Contains(err.Error(), "config.yaml exist") {
		t.Errorf("LoadConfig() = %v, want an error naming both files", err)
	}
}

func TestPickTheme(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "themes"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "themes", "mine.toml"), []byte("[colors]\naccent = \"#ff0000\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Dir, cfg.Theme = dir, "mine"
	tests := []struct {
		name, flag string
		noColor    bool
		want       string
	}{
		{"config file", "", false, "mine"},
		{"flag wins", "light", false, themes.Light},
		{"NO_COLOR wins", "light", true, themes.Monochrome},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th, err := pickTheme(cfg, tt.flag, tt.noColor)
			if err != nil || th.Name != tt.want {
				t.Errorf("pickTheme() = %q, %v, want %q", th.Name, err, tt.want)
			}
		})
	}
	if _, err := pickTheme(cfg, "nope", false); !errors.Is(err, themes.ErrUnknownTheme) {
		t.Errorf("pickTheme(nope) = %v, want ErrUnknownTheme", err)
	}
}

func TestMonochromeStillShowsSelection(t *testing.T) {
	th, _ := themes.Builtin(themes.Monochrome)
	s := NewStyles(th, true)
	if !s.Selected.GetReverse() {
		t.Errorf("monochrome selection is not reverse video")
	}
	if out := s.Selected.Render("x"); !strings.Contains(out, "\x1b[") {
		t.Errorf("monochrome selection renders %q without attributes", out)
	}
}
