package ui

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/berth-dev/berth/themes"
)

// ttyOutput records what a Program writes to the terminal and wakes
// waiters on each write.
type ttyOutput struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	wrote chan struct{}
}

func newTTYOutput() *ttyOutput { return &ttyOutput{wrote: make(chan struct{}, 1)} }

func (o *ttyOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	o.buf.Write(p)
	o.mu.Unlock()
	select {
	case o.wrote <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (o *ttyOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// waitFor waits until the output holds seq, and returns the output.
func (o *ttyOutput) waitFor(t *testing.T, what, seq string) string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if out := o.String(); strings.Contains(out, seq) {
			return out
		}
		select {
		case <-o.wrote:
		case <-deadline:
			t.Fatalf("the terminal never got %s (%q); it got %q", what, seq, o.String())
		}
	}
}

// runProgram runs the interface on eng in a real Program writing to an
// in-memory terminal of 120x40; keys go in with p.Send. loaded is closed
// once the container list has arrived.
func runProgram(t *testing.T, eng *fakeEngine, opts ...Option) (p *tea.Program, out *ttyOutput, loaded <-chan struct{}) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	th, _ := themes.Builtin(themes.Default)
	all := append([]Option{WithBackground(true), WithClock(func() time.Time { return testNow }), WithTheme(th)}, opts...)
	m := New(ctx, eng, all...)
	m.logs.watch = func(string) (logWaiter, error) { return blockWaiter{}, nil }
	out = newTTYOutput()
	ready := make(chan struct{})
	var once sync.Once
	filter := func(model tea.Model, msg tea.Msg) tea.Msg {
		switch msg := msg.(type) {
		case containersMsg:
			once.Do(func() { close(ready) })
		case probeMsg:
			// Runs on the program's goroutine, between two messages.
			msg.reply <- msg.cond(model.(*Model))
			return nil
		}
		return msg
	}
	p = tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(nil), tea.WithOutput(out),
		tea.WithWindowSize(120, 40), tea.WithoutSignals(), tea.WithFilter(filter))
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Run()
	}()
	t.Cleanup(func() {
		p.Quit()
		cancel()
		<-done
	})
	return p, out, ready
}

// probeMsg asks the program's goroutine whether cond holds for the model.
type probeMsg struct {
	cond  func(m *Model) bool
	reply chan bool
}

// waitModel waits until cond holds for the program's model, asking again
// after each write to the terminal (or every 20 ms).
func waitModel(t *testing.T, p *tea.Program, out *ttyOutput, what string, cond func(m *Model) bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		reply := make(chan bool, 1)
		p.Send(probeMsg{cond, reply})
		select {
		case ok := <-reply:
			if ok {
				return
			}
		case <-deadline:
			t.Fatalf("timed out waiting for %s; the terminal got %q", what, out.String())
		}
		select {
		case <-out.wrote:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("timed out waiting for %s; the terminal got %q", what, out.String())
		}
	}
}

func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// osc52 is the sequence that puts text on the system clipboard.
func osc52(text string) string {
	return "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(text)) + "\x07"
}

// Mouse reporting stays off unless asked for, so the terminal's own text
// selection works; M turns it on (button events, SGR coordinates) and off.
func TestMouseToggleEscapes(t *testing.T) {
	on := ansi.SetModeMouseButtonEvent
	off := ansi.ResetModeMouseButtonEvent
	t.Run("off by default", func(t *testing.T) {
		p, out, loaded := runProgram(t, newFakeEngine(t))
		waitClosed(t, loaded, "the container list")
		p.Send(keyMsg("y")) // anything that makes a frame after the list
		out.waitFor(t, "the copy", "\x1b]52;c;")
		for _, seq := range []string{on, ansi.SetModeMouseAnyEvent, ansi.SetModeMouseNormal} {
			if strings.Contains(out.String(), seq) {
				t.Errorf("mouse reporting %q was turned on without being asked", seq)
			}
		}
	})
	t.Run("M toggles", func(t *testing.T) {
		p, out, loaded := runProgram(t, newFakeEngine(t))
		waitClosed(t, loaded, "the container list")
		p.Send(keyMsg("M"))
		got := out.waitFor(t, "mouse on", on)
		if !strings.Contains(got, ansi.SetModeMouseExtSgr) {
			t.Errorf("mouse on without SGR coordinates (%q)", ansi.SetModeMouseExtSgr)
		}
		before := len(got)
		p.Send(keyMsg("M"))
		out.waitFor(t, "mouse off", off)
		if i := strings.LastIndex(out.String(), off); i < before {
			t.Errorf("mouse off sequence at %d, want it after the second M (%d)", i, before)
		}
	})
	t.Run("config turns it on", func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.Mouse = true
		_, out, loaded := runProgram(t, newFakeEngine(t), WithConfig(cfg))
		waitClosed(t, loaded, "the container list")
		out.waitFor(t, "mouse on", on)
	})
}

// y copies through OSC 52: the ID on a list, the matching log line in a
// searched logs pane, the screen's log lines otherwise.
func TestCopyEscapes(t *testing.T) {
	type step struct {
		keys []string
		what string
		cond func(m *Model) bool // holds before the next step
	}
	selected := func(v viewKind, id string) func(m *Model) bool {
		return func(m *Model) bool { return m.view == v && m.list().Selected() == id }
	}
	tests := []struct {
		name  string
		steps []step
		want  string
	}{
		{name: "container ID", want: hexID("2e")},
		{name: "image ID without sha256", want: hexID("d4"),
			steps: []step{{[]string{"2"}, "alpine selected", selected(viewImages, "sha256:"+hexID("d4"))}}},
		{name: "volume name", want: "pgdata", steps: []step{
			{[]string{"3"}, "the volumes listed", func(m *Model) bool { _, n := m.volumes.Len(); return m.view == viewVolumes && n == 3 }},
			{[]string{"G"}, "pgdata selected", selected(viewVolumes, "pgdata")},
		}},
		{name: "search match in the logs", want: "2025/06/01 11:30:00 [error] 29#29: *30 open() \"/usr/share/nginx/html/favicon.ico\" failed (2: No such file)",
			steps: []step{
				{[]string{"j"}, "web's log shown", func(m *Model) bool { return m.logs.id == hexID("1f") && len(m.logs.win) > 0 }},
				{[]string{"enter", "/", "e", "r", "r", "o", "r", "enter"}, "the match", func(m *Model) bool { return m.logs.match != nil }},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, out, loaded := runProgram(t, newFakeEngine(t))
			waitClosed(t, loaded, "the container list")
			for _, st := range tt.steps {
				for _, k := range st.keys {
					p.Send(keyMsg(k))
				}
				waitModel(t, p, out, st.what, st.cond)
			}
			p.Send(keyMsg("y"))
			out.waitFor(t, "the copy of "+tt.want, osc52(tt.want))
		})
	}
}

// Without a search the logs pane copies the lines on screen, in order.
func TestCopyLogWindow(t *testing.T) {
	withHarness(t, newFakeEngine(t), 120, 40, true, func(h *harness) {
		h.press("j", "enter")
		text, what := h.m.logs.CopyText()
		lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
		if len(lines) != len(h.m.logs.win) || what != plural(len(lines), "log line") {
			t.Fatalf("copies %d lines (%q), want the %d on screen", len(lines), what, len(h.m.logs.win))
		}
		if !strings.Contains(lines[len(lines)-1], "/page/59 ") {
			t.Errorf("last copied line = %q, want the last line of the log", lines[len(lines)-1])
		}
		if !strings.Contains(h.screen(), lines[0]) {
			t.Errorf("first copied line %q is not on screen", lines[0])
		}
	})
}
