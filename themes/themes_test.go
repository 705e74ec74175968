package themes

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuiltinsValidate(t *testing.T) {
	for _, th := range Builtins() {
		t.Run(th.Name, func(t *testing.T) {
			if err := th.Validate(); err != nil {
				t.Fatalf("Validate() = %v, want nil", err)
			}
		})
	}
	want := []string{Default, Light, HighContrast, Solarized, Monochrome}
	for _, n := range want {
		if _, err := Builtin(n); err != nil {
			t.Errorf("Builtin(%q) = %v, want a theme", n, err)
		}
	}
}

func TestDefaultAdapts(t *testing.T) {
	th, err := Builtin(Default)
	if err != nil {
		t.Fatal(err)
	}
	if th.Colors.Accent.Light == th.Colors.Accent.Dark {
		t.Errorf("default accent = %+v, want different colours for light and dark", th.Colors.Accent)
	}
	light, _ := Builtin(Light)
	if light.Colors.Accent.Dark != light.Colors.Accent.Light {
		t.Errorf("light accent = %+v, want one colour on both backgrounds", light.Colors.Accent)
	}
	mono, _ := Builtin(Monochrome)
	if mono.Colors != (Palette{}) {
		t.Errorf("monochrome palette = %+v, want no colours", mono.Colors)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		check   func(t *testing.T, th Theme)
		wantErr error
		errHas  string
	}{
		{
			name: "overrides and inherits",
			data: "name = \"mine\"\ninherit = \"solarized\"\n[colors]\naccent = \"#ff0000\"\nmuted = { light = \"#111\", dark = \"244\" }\n",
			check: func(t *testing.T, th Theme) {
				if th.Name != "mine" {
					t.Errorf("Name = %q, want mine", th.Name)
				}
				if th.Colors.Accent != Same("#ff0000") {
					t.Errorf("Accent = %+v, want #ff0000 on both", th.Colors.Accent)
				}
				if th.Colors.Muted != Adaptive("#111", "244") {
					t.Errorf("Muted = %+v, want #111/244", th.Colors.Muted)
				}
				sol, _ := Builtin(Solarized)
				if th.Colors.Running != sol.Colors.Running {
					t.Errorf("Running = %+v, want inherited %+v", th.Colors.Running, sol.Colors.Running)
				}
			},
		},
		{
			name: "name from file",
			data: "[colors]\nerror = 1\n",
			check: func(t *testing.T, th Theme) {
				if th.Name != "fromfile" || th.Colors.Error != Same("1") {
					t.Errorf("theme = %q %+v, want fromfile with error 1", th.Name, th.Colors.Error)
				}
			},
		},
		{name: "bad hex", data: "[colors]\naccent = \"#zzzzzz\"\n", wantErr: ErrInvalidColor, errHas: "colors.accent"},
		{name: "index out of range", data: "[colors]\nbar = \"300\"\n", wantErr: ErrInvalidColor, errHas: "colors.bar"},
		{name: "unknown role", data: "[colors]\naccnet = \"1\"\n", wantErr: ErrUnknownKey, errHas: "colors.accnet"},
		{name: "unknown table key", data: "[colors]\naccent = { lite = \"1\" }\n", errHas: `unknown key "lite"`},
		{name: "unknown base", data: "inherit = \"nope\"\n", wantErr: ErrUnknownTheme},
		{name: "syntax", data: "[colors\n", errHas: "line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th, err := Parse([]byte(tt.data), "fromfile")
			if tt.wantErr != nil || tt.errHas != "" {
				if err == nil {
					t.Fatalf("Parse() = %+v, want an error", th)
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("Parse() error = %v, want %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.errHas) {
					t.Errorf("Parse() error = %q, want it to mention %q", err, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse() = %v", err)
			}
			tt.check(t, th)
		})
	}
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ocean.toml"), []byte("[colors]\naccent = \"#0000ff\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "x.toml")
	if err := os.WriteFile(other, []byte("name = \"x\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref, wantName string
		wantErr       error
	}{
		{"", Default, nil},
		{"monochrome", Monochrome, nil},
		{"ocean", "ocean", nil},
		{other, "x", nil},
		{"nosuch", "", ErrUnknownTheme},
		{filepath.Join(dir, "missing.toml"), "", os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			th, err := Resolve(tt.ref, dir)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Resolve(%q) error = %v, want %v", tt.ref, err, tt.wantErr)
				}
				return
			}
			if err != nil || th.Name != tt.wantName {
				t.Fatalf("Resolve(%q) = %q, %v, want %q", tt.ref, th.Name, err, tt.wantName)
			}
		})
	}
}

func TestParseYAML(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		check   func(t *testing.T, th Theme)
		wantErr error
		errHas  string
	}{
		{
			name: "overrides and inherits",
			data: "name: mine\ninherit: solarized\ncolors:\n  accent: \"#ff0000\"\n  muted: { light: \"#111\", dark: 244 }\n  error: 1\n",
			check: func(t *testing.T, th Theme) {
				if th.Name != "mine" {
					t.Errorf("Name = %q, want mine", th.Name)
				}
				if th.Colors.Accent != Same("#ff0000") {
					t.Errorf("Accent = %+v, want #ff0000 on both", th.Colors.Accent)
				}
				if th.Colors.Muted != Adaptive("#111", "244") {
					t.Errorf("Muted = %+v, want #111/244", th.Colors.Muted)
				}
				if th.Colors.Error != Same("1") {
					t.Errorf("Error = %+v, want 1 on both", th.Colors.Error)
				}
				sol, _ := Builtin(Solarized)
				if th.Colors.Running != sol.Colors.Running {
					t.Errorf("Running = %+v, want inherited %+v", th.Colors.Running, sol.Colors.Running)
				}
			},
		},
		{
			name: "snake case roles",
			data: "colors:\n  selection_back: \"#222\"\n  match_text: 0\n",
			check: func(t *testing.T, th Theme) {
				if th.Colors.SelectionBack != Same("#222") || th.Colors.MatchText != Same("0") {
					t.Errorf("colors = %+v", th.Colors)
				}
			},
		},
		{
			name: "empty file is the default",
			data: "",
			check: func(t *testing.T, th Theme) {
				def, _ := Builtin(Default)
				if th.Name != "fromfile" || th.Colors != def.Colors {
					t.Errorf("theme = %+v, want the default palette named fromfile", th)
				}
			},
		},
		{name: "bad hex", data: "colors:\n  accent: \"#zzzzzz\"\n", wantErr: ErrInvalidColor, errHas: "colors.accent"},
		{name: "index out of range", data: "colors:\n  bar: 300\n", wantErr: ErrInvalidColor, errHas: "colors.bar"},
		{name: "unknown role", data: "colors:\n  accent: 1\n  accnet: 1\n", wantErr: ErrUnknownKey, errHas: `line 3: unknown key "colors.accnet"`},
		{name: "unknown top key", data: "name: x\ncolours: {}\n", wantErr: ErrUnknownKey, errHas: `line 2: unknown key "colours"`},
		{name: "unknown mapping key", data: "colors:\n  accent: { lite: \"1\" }\n", wantErr: ErrUnknownKey, errHas: `line 2: unknown key "lite"`},
		{name: "unknown base", data: "inherit: nope\n", wantErr: ErrUnknownTheme},
		{name: "syntax", data: "name: x\n colors: 1\n", errHas: "line 2: mapping values are not allowed"},
		{name: "tab indent", data: "colors:\n\taccent: 1\n", errHas: "line 2: found character that cannot start any token"},
		{name: "not a mapping", data: "- a\n- b\n", errHas: "line 1: want a mapping"},
		{name: "colour of the wrong shape", data: "colors:\n  accent: [1, 2]\n", errHas: "line 2: want a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th, err := ParseFormat([]byte(tt.data), "fromfile", YAML)
			if tt.wantErr != nil || tt.errHas != "" {
				if err == nil {
					t.Fatalf("ParseFormat() = %+v, want an error", th)
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("ParseFormat() error = %v, want %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.errHas) || strings.Contains(err.Error(), "yaml:") || strings.Contains(err.Error(), "!!") {
					t.Errorf("ParseFormat() error = %q, want it to mention %q (and no decoder jargon)", err, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseFormat() = %v", err)
			}
			tt.check(t, th)
		})
	}
}

// The same theme written in TOML and in YAML loads to the same colours.
func TestTOMLAndYAMLAgree(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"a.toml": "inherit = \"high-contrast\"\n[colors]\naccent = \"#123456\"\nmuted = { light = \"8\", dark = \"250\" }\n",
		"a.yaml": "inherit: high-contrast\ncolors:\n  accent: \"#123456\"\n  muted: { light: 8, dark: 250 }\n",
		"a.yml":  "inherit: high-contrast\ncolors:\n  accent: \"#123456\"\n  muted:\n    light: \"8\"\n    dark: \"250\"\n",
	}
	var got []Palette
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		th, err := Load(p)
		if err != nil {
			t.Fatalf("Load(%s) = %v", name, err)
		}
		if th.Name != "a" {
			t.Errorf("Load(%s).Name = %q, want a", name, th.Name)
		}
		got = append(got, th.Colors)
	}
	for i := 1; i < len(got); i++ {
		if got[i] != got[0] {
			t.Errorf("palettes differ between formats:\n%+v\n%+v", got[0], got[i])
		}
	}
}

func TestResolveYAML(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "sea.yaml"), []byte("colors:\n  accent: \"#0000ff\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.yml"), []byte("colors:\n  acent: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	th, err := Resolve("sea", dir)
	if err != nil || th.Name != "sea" || th.Colors.Accent != Same("#0000ff") {
		t.Errorf("Resolve(sea) = %+v, %v, want the sea.yaml theme", th, err)
	}
	th, err = Resolve(filepath.Join(dir, "sea.yaml"), "")
	if err != nil || th.Name != "sea" {
		t.Errorf("Resolve(path) = %+v, %v, want sea", th, err)
	}
	_, err = Resolve("bad", dir)
	if !errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), "bad.yml") || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("Resolve(bad) error = %v, want the file, the line and ErrUnknownKey", err)
	}
}
