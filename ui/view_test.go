package ui

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"
)

// screens are the states the golden tests draw: keys pressed from the
// start, on the fake engine (or an empty one).
func screens() []struct {
	name  string
	empty bool
	keys  []string
	text  string // typed after keys
} {
	return []struct {
		name  string
		empty bool
		keys  []string
		text  string
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
						eng.images, eng.ctrs = nil, nil
					}
					var out string
					withHarness(t, eng, sz[0], sz[1], bg == "dark", func(h *harness) {
						h.press(sc.keys...)
						for _, r := range sc.text {
							if r == '\r' {
								h.press("enter")
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
			})
		})
	}
}
