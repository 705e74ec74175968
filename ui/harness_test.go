package ui

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/berth-dev/berth/themes"
)

// harness drives a Model the way a Program does, inside a synctest
// bubble: Cmds run in goroutines and settle waits until every one of them
// has delivered its message or blocks (on a timer, an event channel or
// the log watcher).
type harness struct {
	t    *testing.T
	m    *Model
	eng  *fakeEngine
	msgs chan tea.Msg
}

// blockWaiter is a log watcher that never reports a change.
type blockWaiter struct{}

func (blockWaiter) Wait(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
func (blockWaiter) Close() error                   { return nil }

// withHarness runs fn with a model on eng sized w x h, inside a bubble.
func withHarness(t *testing.T, eng *fakeEngine, w, h int, dark bool, fn func(h *harness), opts ...Option) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		th, _ := themes.Builtin(themes.Default)
		all := append([]Option{WithBackground(dark), WithClock(func() time.Time { return testNow }), WithTheme(th)}, opts...)
		m := New(ctx, eng, all...)
		m.logs.watch = func(string) (logWaiter, error) { return blockWaiter{}, nil }
		hs := &harness{t: t, m: m, eng: eng, msgs: make(chan tea.Msg, 4096)}
		hs.send(tea.WindowSizeMsg{Width: w, Height: h})
		hs.run(m.Init())
		hs.settle()
		fn(hs)
		cancel()
		// Let pending ticks fire (in the bubble's fake time) and drop
		// their messages, so that no goroutine outlives the test.
		for range 3 {
			time.Sleep(time.Minute)
			synctest.Wait()
			for len(hs.msgs) > 0 {
				<-hs.msgs
			}
		}
	})
}

func (h *harness) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		if msg := cmd(); msg != nil {
			h.msgs <- msg
		}
	}()
}

func (h *harness) send(msg tea.Msg) {
	if b, ok := msg.(tea.BatchMsg); ok {
		for _, c := range b {
			h.run(c)
		}
		return
	}
	_, cmd := h.m.Update(msg)
	h.run(cmd)
}

// settle handles messages until no Cmd has anything more to say.
func (h *harness) settle() {
	for {
		synctest.Wait()
		select {
		case msg := <-h.msgs:
			h.send(msg)
		default:
			return
		}
	}
}

// keyMsg builds the key press a terminal sends for a key name as written
// in bindings ("q", "enter", "ctrl+a", "shift+tab", "space").
func keyMsg(name string) tea.KeyPressMsg {
	var k tea.Key
	parts := strings.Split(name, "+")
	base := parts[len(parts)-1]
	for _, mod := range parts[:len(parts)-1] {
		switch mod {
		case "ctrl":
			k.Mod |= tea.ModCtrl
		case "shift":
			k.Mod |= tea.ModShift
		case "alt":
			k.Mod |= tea.ModAlt
		}
	}
	named := map[string]rune{
		"enter": tea.KeyEnter, "esc": tea.KeyEscape, "tab": tea.KeyTab, "space": tea.KeySpace,
		"up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight,
		"pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown, "home": tea.KeyHome, "end": tea.KeyEnd,
		"backspace": tea.KeyBackspace,
	}
	if r, ok := named[base]; ok {
		k.Code = r
		if base == "space" {
			k.Text = " "
		}
	} else {
		r := []rune(base)[0]
		k.Code = r
		if k.Mod == 0 {
			k.Text = base
		}
	}
	return tea.KeyPressMsg(k)
}

// press sends keys one after the other, settling after each.
func (h *harness) press(keys ...string) {
	for _, k := range keys {
		h.send(keyMsg(k))
		h.settle()
	}
}

// typeText types s as separate key presses.
func (h *harness) typeText(s string) {
	for _, r := range s {
		h.send(tea.KeyPressMsg(tea.Key{Code: r, Text: string(r)}))
		h.settle()
	}
}

// screen returns the screen as plain text.
func (h *harness) screen() string {
	return ansi.Strip(h.m.render())
}
