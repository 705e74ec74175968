package ui

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/berth-dev/berth/engine"
	"github.com/berth-dev/berth/themes"
)

// statusLine returns the status line of the screen (above the footer).
func statusLine(h *harness) string {
	lines := strings.Split(h.screen(), "\n")
	return lines[len(lines)-2]
}

func TestSwitchLists(t *testing.T) {
	tests := []struct {
		keys  []string
		want  viewKind
		title string
	}{
		{[]string{"3"}, viewVolumes, "Volumes 3"},
		{[]string{"4"}, viewNetworks, "Networks 5"},
		{[]string{"tab", "tab"}, viewVolumes, "Volumes 3"},
		{[]string{"shift+tab"}, viewNetworks, "Networks 5"},
		{[]string{"4", "tab"}, viewContainers, "Containers 6"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.keys, ","), func(t *testing.T) {
			withHarness(t, newFakeEngine(t), 120, 40, true, func(h *harness) {
				h.press(tt.keys...)
				if h.m.view != tt.want || !strings.Contains(h.screen(), "╭─ "+tt.title) {
					t.Errorf("after %v: view %v, screen\n%s\nwant %v titled %q", tt.keys, h.m.view, h.screen(), tt.want, tt.title)
				}
			})
		})
	}
}

func TestVolumeRemove(t *testing.T) {
	tests := []struct {
		name      string
		keys      []string
		wantCalls []string
		status    string
		listed    []string
	}{
		{name: "unused after confirm", keys: []string{"3", "j", "d", "y"}, wantCalls: []string{"RemoveVolume cache"},
			status: "✓ removed cache", listed: []string{hexID("9a"), "pgdata"}},
		{name: "no removes nothing", keys: []string{"3", "j", "d", "n"}, listed: []string{hexID("9a"), "cache", "pgdata"}},
		{name: "in use says why", keys: []string{"3", "G", "d", "y"}, wantCalls: []string{"RemoveVolume pgdata"},
			status: "in use", listed: []string{hexID("9a"), "cache", "pgdata"}},
		{name: "marked in bulk", keys: []string{"3", "space", "space", "d", "y"}, wantCalls: []string{"RemoveVolume " + hexID("9a"), "RemoveVolume cache"},
			status: "✓ removed 9a9a9a9a9a9a, cache", listed: []string{"pgdata"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := newFakeEngine(t)
			withHarness(t, eng, 120, 40, true, func(h *harness) {
				h.press(tt.keys...)
				if got := eng.Calls(); !slices.Equal(got, tt.wantCalls) {
					t.Errorf("calls = %v, want %v", got, tt.wantCalls)
				}
				if got := statusLine(h); !strings.Contains(got, tt.status) {
					t.Errorf("status = %q, want %q", got, tt.status)
				}
				var listed []string
				for _, ri := range h.m.volumes.view {
					listed = append(listed, h.m.volumes.rows[ri].ID)
				}
				if !slices.Equal(listed, tt.listed) {
					t.Errorf("listed %v, want %v", listed, tt.listed)
				}
			})
		})
	}
}

func TestVolumePrune(t *testing.T) {
	tests := []struct {
		name   string
		keys   []string
		call   string
		left   int
		status string
	}{
		{"anonymous only", []string{"3", "X", "enter"}, "PruneVolumes all=false", 2, "pruned 1 volume"},
		{"named too", []string{"3", "X", "space", "enter"}, "PruneVolumes all=true", 1, "pruned 2 volumes"},
		{"cancelled", []string{"3", "X", "esc"}, "", 3, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := newFakeEngine(t)
			withHarness(t, eng, 120, 40, true, func(h *harness) {
				h.press(tt.keys...)
				calls := eng.Calls()
				if (tt.call == "" && len(calls) != 0) || (tt.call != "" && !slices.Equal(calls, []string{tt.call})) {
					t.Errorf("calls = %v, want %q", calls, tt.call)
				}
				if _, n := h.m.volumes.Len(); n != tt.left {
					t.Errorf("%d volumes listed, want %d", n, tt.left)
				}
				if got := statusLine(h); !strings.Contains(got, tt.status) {
					t.Errorf("status = %q, want %q", got, tt.status)
				}
			})
		})
	}
}

func TestNetworkCreate(t *testing.T) {
	eng := newFakeEngine(t)
	withHarness(t, eng, 120, 40, true, func(h *harness) {
		h.press("4", "c")
		h.typeText("frontend")
		h.press("tab")
		h.typeText("10.30.0.0/24")
		h.press("enter")
		if got := eng.Calls(); !slices.Equal(got, []string{"CreateNetwork frontend 10.30.0.0/24"}) {
			t.Fatalf("calls = %v, want the creation of frontend", got)
		}
		if got := h.m.networks.name(h.m.networks.Selected()); got != "frontend" {
			t.Errorf("selected %q, want the new network", got)
		}
		row := rowOf(h.screen(), "frontend")
		if !strings.Contains(row, "10.30.0.0/24") {
			t.Errorf("frontend row = %q, want its subnet", row)
		}
		if !strings.Contains(h.screen(), "Inspect · frontend") {
			t.Errorf("the pane does not inspect the new network:\n%s", h.screen())
		}
	})
}

func TestNetworkRemoveAndPrune(t *testing.T) {
	tests := []struct {
		name   string
		keys   []string
		calls  []string
		status string
		left   int
	}{
		{"user network", []string{"4", "G", "d", "y"}, []string{"RemoveNetwork " + hexID("b5")}, "✓ removed scratch", 4},
		{"predefined refused", []string{"4", "j", "d"}, nil, "pre-defined network cannot be removed", 5},
		{"prune keeps used and predefined", []string{"4", "X", "y"}, []string{"PruneNetworks"}, "pruned 1 network (scratch)", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := newFakeEngine(t)
			withHarness(t, eng, 120, 40, true, func(h *harness) {
				h.press(tt.keys...)
				if got := eng.Calls(); !slices.Equal(got, tt.calls) {
					t.Errorf("calls = %v, want %v", got, tt.calls)
				}
				if got := statusLine(h); !strings.Contains(got, tt.status) {
					t.Errorf("status = %q, want %q", got, tt.status)
				}
				if _, n := h.m.networks.Len(); n != tt.left {
					t.Errorf("%d networks listed, want %d", n, tt.left)
				}
			})
		})
	}
}

// A change made elsewhere (another terminal's CLI) reaches the volumes
// and networks lists through the event log.
func TestVolumeAndNetworkEvents(t *testing.T) {
	eng := newFakeEngine(t)
	withHarness(t, eng, 120, 40, true, func(h *harness) {
		h.press("3")
		eng.mu.Lock()
		eng.vols = append(eng.vols, engine.Volume{Name: "fromcli", Driver: "local", CreatedAt: testNow})
		eng.mu.Unlock()
		eng.emit("volume", "create", "fromcli")
		h.settle()
		if rowOf(h.screen(), "fromcli") == "" {
			t.Errorf("the volume made elsewhere is not listed:\n%s", h.screen())
		}
		// A container starting on a network changes its running count;
		// the hidden networks list catches up when shown.
		eng.mu.Lock()
		eng.nets[4].Containers = map[string]engine.NetworkContainer{hexID("6a"): {Name: "frozen"}}
		eng.mu.Unlock()
		eng.emit("container", "start", hexID("6a"))
		h.settle()
		h.press("4")
		if row := rowOf(h.screen(), "scratch"); !strings.Contains(row, " 1 ") {
			t.Errorf("scratch row = %q, want 1 running container", row)
		}
	})
}

func TestVolumeInspectNamesUsers(t *testing.T) {
	withHarness(t, newFakeEngine(t), 120, 40, true, func(h *harness) {
		h.press("3", "G")
		if !strings.Contains(h.screen(), `"db (2e2e2e2e2e2e)"`) {
			t.Errorf("inspect of pgdata does not name its user:\n%s", h.screen())
		}
	})
}

func TestStateShowsHealth(t *testing.T) {
	th, _ := themes.Builtin(themes.Default)
	st := NewStyles(th, true)
	for _, tc := range []struct {
		s    engine.ContainerSummary
		want string
	}{
		{engine.ContainerSummary{State: engine.StateRunning, Health: "none"}, "● running"},
		{engine.ContainerSummary{State: engine.StateRunning, Health: engine.HealthHealthy}, "● healthy"},
		{engine.ContainerSummary{State: engine.StateRunning, Health: engine.HealthUnhealthy}, "● unhealthy"},
		{engine.ContainerSummary{State: engine.StateRunning, Health: engine.HealthStarting}, "● starting"},
		{engine.ContainerSummary{State: engine.StateExited, ExitCode: 1, Health: engine.HealthUnhealthy}, "✗ exited 1"},
	} {
		if got, _ := stateText(tc.s, &st); got != tc.want {
			t.Errorf("state of %s/%s = %q, want %q", tc.s.State, tc.s.Health, got, tc.want)
		}
	}
}

// noLog locates the log of a container run with --log-driver none.
type noLog struct{}

func (noLog) LogPath(context.Context, string) (string, error) { return "", engine.ErrNoLog }

// The logs pane of a container that keeps no log says why and what shows
// its output instead, not an error.
func TestLogsPaneWithoutLog(t *testing.T) {
	th, _ := themes.Builtin(themes.Default)
	st := NewStyles(th, true)
	keys := DefaultKeyMap()
	l := newLogsPane(&st, &keys)
	l.SetSize(100, 5)
	l.gotPath(l.Open(t.Context(), noLog{}, "c1", "web")().(logPathMsg))
	if got := ansi.Strip(l.View(true)); !strings.Contains(got, "No log: the container runs with --log-driver none. a attaches to its live output.") {
		t.Errorf("logs pane of a container without a log:\n%s", got)
	}
}
