package ui

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/engine"
)

// selectedName returns the name of the container under the cursor.
func selectedName(h *harness) string { return h.m.containers.name(h.m.containers.Selected()) }

func TestSelectionSurvivesRefresh(t *testing.T) {
	eng := newFakeEngine(t)
	withHarness(t, eng, 120, 40, true, func(h *harness) {
		h.press("j", "j") // db, web, frozen
		if got := selectedName(h); got != "frozen" {
			t.Fatalf("selected %q, want frozen", got)
		}
		// Another process creates a container that sorts above the cursor.
		eng.mu.Lock()
		eng.ctrs = append(eng.ctrs, engine.ContainerSummary{ID: hexID("77"), Name: "aaa-new", Image: "busybox", State: engine.StateRunning, Created: testNow})
		eng.mu.Unlock()
		eng.emit("container", "create", hexID("77"))
		h.settle()
		if !strings.Contains(h.screen(), "aaa-new") {
			t.Fatalf("the new container did not appear after its event:\n%s", h.screen())
		}
		if got := selectedName(h); got != "frozen" {
			t.Errorf("after refresh selected %q, want frozen", got)
		}
	})
}

func TestFilterAsYouType(t *testing.T) {
	withHarness(t, newFakeEngine(t), 120, 40, true, func(h *harness) {
		h.press("/")
		h.typeText("bus")
		shown, total := h.m.containers.Len()
		if shown != 3 || total != 6 {
			t.Errorf("filter bus shows %d of %d, want 3 of 6", shown, total)
		}
		h.typeText(" exited")
		if shown, _ := h.m.containers.Len(); shown != 2 {
			t.Errorf("filter \"bus exited\" shows %d, want 2", shown)
		}
		h.press("esc")
		if shown, _ := h.m.containers.Len(); shown != 6 {
			t.Errorf("after esc %d shown, want 6", shown)
		}
	})
}

func TestSortCycles(t *testing.T) {
	withHarness(t, newFakeEngine(t), 120, 40, true, func(h *harness) {
		names := func() []string {
			var out []string
			for _, ri := range h.m.containers.view {
				out = append(out, h.m.containers.rows[ri].Cells[ctrColName].Text)
			}
			return out
		}
		if got := names()[:2]; !slices.Equal(got, []string{"db", "web"}) {
			t.Errorf("by state first = %v, want running ones [db web]", got)
		}
		h.press("o") // created
		if got := names()[0]; got != "fresh" {
			t.Errorf("by created first = %q, want the newest, fresh", got)
		}
		h.press("o") // name
		if got := names(); !slices.IsSorted(got) {
			t.Errorf("by name = %v, want sorted", got)
		}
		h.press("O")
		if got := names(); got[0] != "web" {
			t.Errorf("by name reversed = %v, want web first", got)
		}
	})
}

func TestBulkStopMarked(t *testing.T) {
	eng := newFakeEngine(t)
	withHarness(t, eng, 120, 40, true, func(h *harness) {
		h.press("space", "space", "x") // mark db and web, stop both
		calls := eng.Calls()
		want := []string{"Stop " + hexID("2e"), "Stop " + hexID("1f")}
		if !slices.Equal(calls, want) {
			t.Fatalf("calls = %v, want %v", calls, want)
		}
		scr := h.screen()
		if !strings.Contains(scr, "stopped db, web") {
			t.Errorf("status does not confirm the stop:\n%s", scr)
		}
		if n := strings.Count(scr, "● running"); n != 0 {
			t.Errorf("%d containers still shown running after the stop", n)
		}
	})
}

func TestRemoveAsksFirst(t *testing.T) {
	eng := newFakeEngine(t)
	withHarness(t, eng, 120, 40, true, func(h *harness) {
		h.press("G", "d") // old-build
		if !strings.Contains(h.screen(), "Remove 1 container?") {
			t.Fatalf("no confirmation:\n%s", h.screen())
		}
		h.press("n")
		if len(eng.Calls()) != 0 {
			t.Fatalf("answering no still called %v", eng.Calls())
		}
		h.press("d", "y")
		if got := eng.Calls(); !slices.Equal(got, []string{"Remove " + hexID("4c") + " force=false"}) {
			t.Fatalf("calls = %v, want the removal of old-build", got)
		}
		if strings.Contains(h.screen(), "old-build  4c4c") {
			t.Errorf("old-build still listed:\n%s", h.screen())
		}
	})
}

func TestErrorsGoToStatusLine(t *testing.T) {
	eng := newFakeEngine(t)
	eng.failOn["Start"] = errors.New("start container fresh: no space left on device")
	withHarness(t, eng, 120, 40, true, func(h *harness) {
		h.press("/")
		h.typeText("fresh")
		h.press("enter", "s")
		lines := strings.Split(h.screen(), "\n")
		status := lines[len(lines)-2]
		if !strings.Contains(status, "no space left on device") || !strings.HasPrefix(status, "✗") {
			t.Errorf("status line = %q, want the error", status)
		}
	})
}

func TestRunDialog(t *testing.T) {
	eng := newFakeEngine(t)
	withHarness(t, eng, 120, 40, true, func(h *harness) {
		h.press("2", "r") // alpine, the first image
		h.typeText("box1")
		h.press("tab")
		h.typeText("sleep 1d")
		h.press("enter")
		calls := eng.Calls()
		if len(calls) != 2 || calls[0] != "Create alpine:3.20 box1" || !strings.HasPrefix(calls[1], "Start ") {
			t.Fatalf("calls = %v, want Create then Start", calls)
		}
		if h.m.view != viewContainers || selectedName(h) != "box1" {
			t.Errorf("after run: view %v selected %q, want the new container selected", h.m.view, selectedName(h))
		}
	})
}

func TestRunOptions(t *testing.T) {
	v := formValues{
		texts:  []string{"nginx", "web", `sh -c "echo 'hi there'; sleep 1"`, "A=1, B=two", "8080:80 127.0.0.1:53:53/udp", "data:/data", "", ""},
		checks: []bool{false, false, false, false, false, false, true, true},
	}
	o, err := runOptions(v)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.Cmd, []string{"sh", "-c", "echo 'hi there'; sleep 1"}) {
		t.Errorf("Cmd = %q", o.Cmd)
	}
	if !slices.Equal(o.Env, []string{"A=1", "B=two"}) {
		t.Errorf("Env = %q", o.Env)
	}
	if b := o.PortBindings["80/tcp"]; len(b) != 1 || b[0].HostPort != "8080" {
		t.Errorf("80/tcp = %+v, want host port 8080", b)
	}
	if b := o.PortBindings["53/udp"]; len(b) != 1 || b[0].HostIP != "127.0.0.1" {
		t.Errorf("53/udp = %+v, want 127.0.0.1", b)
	}
	if !o.Tty || !o.OpenStdin || !o.AutoRemove || o.Volumes[0] != "data:/data" {
		t.Errorf("options = %+v", o)
	}
	bad := []formValues{
		{texts: []string{"", "", "", "", "", "", "", ""}, checks: make([]bool, 8)},
		{texts: []string{"x", "", "", "NOEQUALS", "", "", "", ""}, checks: make([]bool, 8)},
		{texts: []string{"x", "", "", "", "99999", "", "", ""}, checks: make([]bool, 8)},
		{texts: []string{"x", "", "sh -c 'open", "", "", "", "", ""}, checks: make([]bool, 8)},
	}
	for _, b := range bad {
		if _, err := runOptions(b); err == nil {
			t.Errorf("runOptions(%q) = nil error, want one", b.texts)
		}
	}
}

func TestInspectFolds(t *testing.T) {
	doc, err := parseJSON([]byte(`{"Id":"x","Config":{"Env":["A=1","B=2"],"Tty":false},"Mounts":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	d := inspectDoc{root: doc}
	lines := d.lines()
	if len(lines) != 11 {
		t.Fatalf("lines = %d %q, want 11", len(lines), lines)
	}
	d.toggle(2) // "Config": {
	got := d.lines()
	if len(got) != 5 || !strings.Contains(got[2], `"Config": { … },  (2 keys)`) {
		t.Fatalf("after folding Config: %q", got)
	}
	d.toggleAll()
	if got := d.lines(); len(got) != 11 {
		t.Errorf("toggleAll with a fold unfolds everything: %q", got)
	}
	d.toggleAll()
	if got := d.lines(); len(got) != 5 {
		t.Errorf("toggleAll folds the top level: %q", got)
	}
}

func TestLayerWaste(t *testing.T) {
	eng := newFakeEngine(t)
	id := eng.images[0].ID
	files, wasted, err := loadLayerFiles(t.Context(), eng, id, 2)
	if err != nil {
		t.Fatal(err)
	}
	// Layer 0 holds a 2000-byte nginx.conf that layer 1 replaces and a
	// 1.5 MB apk index that layer 1's opaque /var/cache/apk hides.
	if want := int64(2000 + 1_500_000); wasted[0] != want {
		t.Errorf("wasted[0] = %d, want %d", wasted[0], want)
	}
	if wasted[1] != 0 {
		t.Errorf("wasted[1] = %d, want 0", wasted[1])
	}
	kinds := map[string]byte{}
	for _, f := range files[1] {
		kinds[f.path] = f.kind
	}
	if kinds["/etc/nginx.conf"] != 'C' || kinds["/usr/sbin/nginx"] != 'A' || kinds["/var/cache/apk/*"] != 'D' {
		t.Errorf("layer 1 kinds = %q", kinds)
	}
}

func TestLogsFollowAndSearch(t *testing.T) {
	withHarness(t, newFakeEngine(t), 120, 40, true, func(h *harness) {
		h.press("j") // web
		scr := h.screen()
		if !strings.Contains(scr, "GET /page/59 ") {
			t.Fatalf("following logs do not end with the last line:\n%s", scr)
		}
		// A new line arrives: the followed pane shows it.
		eng := h.eng
		eng.writeLog(t, hexID("1f"), 0)
		h.press("enter", "/")
		h.typeText("page/3")
		h.press("enter")
		if m := h.m.logs.match; m == nil || !strings.Contains(m.Text, "page/3") {
			t.Fatalf("search found %+v, want a line with page/3", m)
		}
		first := h.m.logs.match.Text
		h.press("n")
		if h.m.logs.match.Text == first {
			t.Errorf("n stayed on %q", first)
		}
		h.press("N")
		if h.m.logs.match.Text != first {
			t.Errorf("N went to %q, want back to %q", h.m.logs.match.Text, first)
		}
		if h.m.logs.follow {
			t.Errorf("searching left follow on")
		}
		h.press("G", "f")
		if !h.m.logs.follow || !h.m.logs.atEnd {
			t.Errorf("f did not resume following at the end")
		}
	})
}

func TestMemoryWindowOnly(t *testing.T) {
	eng := newFakeEngine(t)
	eng.writeLog(t, hexID("2e"), 5000)
	withHarness(t, eng, 120, 40, true, func(h *harness) {
		if got, limit := len(h.m.logs.win), h.m.logs.bodyHeight(); got > limit {
			t.Errorf("the pane holds %d lines for a %d-line window", got, limit)
		}
		h.press("enter", "g")
		if got := h.m.logs.win[0].Text; !strings.Contains(got, "/page/0 ") {
			t.Errorf("top of the log = %q, want page/0", got)
		}
	})
}

func TestStatsSparklinesPauseWhenIdle(t *testing.T) {
	now := testNow
	clock := func() time.Time { return now }
	withHarness(t, newFakeEngine(t), 160, 40, true, func(h *harness) {
		for range 3 {
			time.Sleep(statsInterval)
			h.settle()
		}
		row := rowOf(h.screen(), "web")
		if !strings.Contains(row, "20.0MB") || !strings.ContainsAny(row, "▁▂▃▄▅▆▇█") {
			t.Fatalf("web row = %q, want a sparkline and 20.0MB", row)
		}
		if n := len(h.m.stats.series[hexID("1f")].cpu); n != 3 {
			t.Fatalf("%d samples after 3 rounds, want 3", n)
		}
		// A minute later without input, sampling stops...
		now = now.Add(statsIdleAfter + time.Second)
		for range 3 {
			time.Sleep(statsInterval)
			h.settle()
		}
		idle := len(h.m.stats.series[hexID("1f")].cpu)
		if idle > 4 {
			t.Errorf("%d samples while idle, want sampling stopped", idle)
		}
		// ...and a key press resumes it.
		h.press("j")
		time.Sleep(statsInterval)
		h.settle()
		if n := len(h.m.stats.series[hexID("1f")].cpu); n <= idle {
			t.Errorf("no new sample after a key press (%d)", n)
		}
	}, WithClock(clock))
}

func TestTopPausesWhenIdle(t *testing.T) {
	now := testNow
	clock := func() time.Time { return now }
	eng := newFakeEngine(t)
	calls := func() int {
		eng.mu.Lock()
		defer eng.mu.Unlock()
		return eng.topCalls
	}
	withHarness(t, eng, 120, 40, true, func(h *harness) {
		h.press("j", "t") // web's processes
		start := calls()
		for range 3 {
			time.Sleep(topInterval)
			h.settle()
		}
		if got := calls() - start; got != 3 {
			t.Fatalf("%d refreshes in 3 intervals, want 3", got)
		}
		now = now.Add(statsIdleAfter + time.Second)
		time.Sleep(topInterval)
		h.settle()
		idle := calls()
		for range 5 {
			time.Sleep(topInterval)
			h.settle()
		}
		if got := calls() - idle; got != 0 {
			t.Errorf("%d refreshes while idle, want none", got)
		}
		if !strings.Contains(h.screen(), "paused while idle") {
			t.Errorf("the pane does not say it paused:\n%s", h.screen())
		}
		h.press("?") // any key
		if got := calls() - idle; got != 1 {
			t.Errorf("%d refreshes after a key, want 1 at once", got)
		}
		time.Sleep(topInterval)
		h.settle()
		h.press("esc")
		if got := calls() - idle; got != 2 || !strings.Contains(h.screen(), "every 2s") {
			t.Errorf("%d refreshes after a key and an interval, want 2, and the pane refreshing again", got)
		}
	}, WithClock(clock))
}

// rowOf returns the screen line that lists name.
func rowOf(screen, name string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, " "+name+" ") && strings.HasPrefix(l, "│") {
			return l
		}
	}
	return ""
}

// A search through a big log takes a while: the pane says it is searching
// until the result comes back.
func TestLogsSaysSearching(t *testing.T) {
	withHarness(t, newFakeEngine(t), 120, 40, true, func(h *harness) {
		h.press("j", "enter", "/")
		h.typeText("page/3")
		h.send(keyMsg("enter")) // not settled: the read is in flight
		if !strings.Contains(h.screen(), "/page/3  searching…") {
			t.Errorf("no searching note while the search runs:\n%s", h.screen())
		}
		h.settle()
		if scr := h.screen(); strings.Contains(scr, "searching…") || !strings.Contains(scr, "/page/3  (n next, N previous)") {
			t.Errorf("after the search:\n%s", scr)
		}
	})
}

func TestLogsSaveToFile(t *testing.T) {
	t.Chdir(t.TempDir())
	withHarness(t, newFakeEngine(t), 120, 40, true, func(h *harness) {
		h.press("j", "enter", "S") // web's logs, focused, then save
		if scr := h.screen(); !strings.Contains(scr, "Save the log of web") || !strings.Contains(scr, "web.log") {
			t.Fatalf("S in the logs pane shows no save dialog with a file name:\n%s", scr)
		}
		h.press("enter")
		b, err := os.ReadFile("web.log")
		if err != nil {
			t.Fatalf("the log was not saved: %v", err)
		}
		if got := string(b); !strings.Contains(got, "GET /page/59 ") || !strings.Contains(got, "[error]") {
			t.Errorf("saved log lacks stdout's last line or stderr's line:\n%s", got)
		}
		if scr := h.screen(); !strings.Contains(scr, "saved the log to web.log") {
			t.Errorf("no confirmation in the status line:\n%s", scr)
		}
	})
}
