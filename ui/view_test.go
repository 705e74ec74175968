package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/berth-dev/berth/engine"
)

// screens are the states the golden tests draw: keys pressed from the
// start, on the fake engine (or an empty one).
func screens() []struct {
	name  string
	empty bool
	keys  []string
	text  string // typed after keys
	setup func(f *fakeEngine)
} {
	gate := func(f *fakeEngine) { f.pullHold = true }
	return []struct {
		name  string
		empty bool
		keys  []string
		text  string
		setup func(f *fakeEngine)
	}{
		{name: "containers_logs", keys: []string{"j"}},
		{name: "containers_inspect", keys: []string{"j", "i"}},
		{name: "containers_top", keys: []string{"t"}},
		{name: "containers_filter", keys: []string{"/"}, text: "busy"},
		{name: "containers_marked", keys: []string{"space", "space", "o"}},
		{name: "logs_search", keys: []string{"j", "enter", "/"}, text: "error\r"},
		{name: "images_history", keys: []string{"2", "j", "j"}},
		{name: "images_layers", keys: []string{"2", "j", "j", "L", "enter", "["}},
		{name: "images_inspect", keys: []string{"2", "j", "j", "i", "enter", "Z"}},
		{name: "help", keys: []string{"?"}},
		{name: "run_dialog", keys: []string{"2", "r"}},
		{name: "confirm_remove", keys: []string{"j", "j", "d"}},
		{name: "empty", empty: true},
		{name: "empty_images", empty: true, keys: []string{"2"}},
		{name: "volumes", keys: []string{"3"}},
		{name: "volumes_inspect_used", keys: []string{"3", "G", "enter"}},
		{name: "volumes_prune", keys: []string{"3", "X"}},
		{name: "empty_volumes", empty: true, keys: []string{"3"}},
		{name: "networks", keys: []string{"4"}},
		{name: "networks_inspect", keys: []string{"4", "enter", "Z"}},
		{name: "networks_create", keys: []string{"4", "c"}, text: "frontend\t10.30.0.0/24"},
		{name: "networks_remove", keys: []string{"4", "G", "d"}},
		{name: "pull_progress", keys: []string{"P"}, text: "registry.local:5000/app:1\r", setup: gate},
	}
}

func TestScreens(t *testing.T) {
	sizes := [][2]int{{80, 24}, {120, 40}, {200, 60}}
	for _, sc := range screens() {
		for _, sz := range sizes {
			for _, bg := range []string{"dark", "light"} {
				name := fmt.Sprintf("%s_%dx%d_%s", sc.name, sz[0], sz[1], bg)
				t.Run(name, func(t *testing.T) {
					eng := newFakeEngine(t)
					if sc.empty {
						eng.images, eng.ctrs, eng.vols = nil, nil, nil
						eng.nets = slices.DeleteFunc(eng.nets, func(n engine.Network) bool { return !predefinedNetwork(n.Name) })
					}
					if sc.setup != nil {
						sc.setup(eng)
					}
					var out string
					withHarness(t, eng, sz[0], sz[1], bg == "dark", func(h *harness) {
						h.press(sc.keys...)
						for _, r := range sc.text {
							switch r {
							case '\r':
								h.press("enter")
								continue
							case '\t':
								h.press("tab")
								continue
							}
							h.typeText(string(r))
						}
						out = h.screen()
					})
					if got := strings.Count(out, "\n") + 1; got != sz[1] {
						t.Errorf("screen has %d lines, want %d", got, sz[1])
					}
					golden.RequireEqual(t, []byte(out))
				})
			}
		}
	}
}

func TestTooSmall(t *testing.T) {
	for _, sz := range [][2]int{{79, 30}, {100, 23}, {40, 10}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			withHarness(t, newFakeEngine(t), sz[0], sz[1], true, func(h *harness) {
				out := h.screen()
				if got := strings.Count(out, "\n") + 1; got != sz[1] {
					t.Errorf("screen has %d lines, want %d", got, sz[1])
				}
				golden.RequireEqual(t, []byte(out))
				if !strings.Contains(out, "at least 80x24") || !strings.Contains(out, fmt.Sprintf("%dx%d", sz[0], sz[1])) {
					t.Errorf("screen at %dx%d = %q, want the minimum size message", sz[0], sz[1], out)
				}
				if strings.Contains(out, "Containers") {
					t.Errorf("screen at %dx%d draws the layout: %q", sz[0], sz[1], out)
				}
				// Growing the window brings the layout back.
				h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
				h.settle()
				if out := h.screen(); !strings.Contains(out, "Containers") {
					t.Errorf("after resize to 80x24 = %q, want the lists", out)
				}
				// Shrinking again says so again, and growing back draws the
				// same layout as a program started at 80x24.
				h.send(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
				h.settle()
				if out := h.screen(); !strings.Contains(out, "at least 80x24") {
					t.Errorf("after shrinking to %dx%d = %q, want the minimum size message", sz[0], sz[1], out)
				}
				h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
				h.settle()
				want, err := os.ReadFile(filepath.Join("testdata", "TestScreens", "containers_logs_80x24_dark.golden"))
				if err != nil {
					t.Fatal(err)
				}
				h.press("j") // the golden screen selects the second row
				if got := h.screen(); got != string(want) {
					t.Errorf("after growing back to 80x24:\n%s\nwant the layout of a fresh 80x24 start:\n%s", got, want)
				}
			})
		})
	}
}
