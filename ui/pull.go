package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	tea "charm.land/bubbletea/v2"

	"github.com/berth-dev/berth/engine"
)

// pullState is the progress of one pull, shared between the pull's
// goroutine (which writes it through the engine's Progress callback) and
// the UI (which reads snapshots). changed wakes the UI without ever
// blocking the pull: progress reports coalesce.
type pullState struct {
	mu      sync.Mutex
	layers  map[string]engine.PullProgress
	order   []string
	changed chan struct{}
}

func newPullState() *pullState {
	return &pullState{layers: map[string]engine.PullProgress{}, changed: make(chan struct{}, 1)}
}

// report records p; the engine calls it from its pull goroutines.
func (s *pullState) report(p engine.PullProgress) {
	s.mu.Lock()
	if _, ok := s.layers[p.Layer]; !ok {
		s.order = append(s.order, p.Layer)
	}
	s.layers[p.Layer] = p
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// snapshot returns the layers in first-seen order.
func (s *pullState) snapshot() []engine.PullProgress {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]engine.PullProgress, 0, len(s.order))
	for _, l := range s.order {
		out = append(out, s.layers[l])
	}
	return out
}

// pullProgressMsg is a new snapshot of a pull's layers.
type pullProgressMsg struct {
	ref    string
	layers []engine.PullProgress
}

// pullDoneMsg ends a pull.
type pullDoneMsg struct {
	ref string
	img engine.ImageSummary
	err error
}

// pullView is the pull overlay: one progress bar per layer.
type pullView struct {
	ref    string
	state  *pullState
	layers []engine.PullProgress
	cancel context.CancelFunc
	styles *Styles
	done   chan struct{}
}

// waitPullCmd waits for the next progress report (or the end of the pull).
func waitPullCmd(ref string, st *pullState, done <-chan struct{}) tea.Cmd {
	return func() tea.Msg {
		select {
		case <-st.changed:
		case <-done:
		}
		return pullProgressMsg{ref: ref, layers: st.snapshot()}
	}
}

func (p *pullView) progress(msg pullProgressMsg) tea.Cmd {
	if msg.ref != p.ref {
		return nil
	}
	p.layers = msg.layers
	select {
	case <-p.done:
		return nil
	default:
	}
	return waitPullCmd(p.ref, p.state, p.done)
}

// startPull starts pulling ref and shows its progress.
func (m *Model) startPull(ref string) tea.Cmd {
	ctx, cancel := context.WithCancel(m.ctx)
	st := newPullState()
	done := make(chan struct{})
	m.pull = &pullView{ref: ref, state: st, cancel: cancel, styles: &m.styles, done: done}
	eng := m.eng
	run := func() tea.Msg {
		defer close(done)
		img, err := eng.Pull(ctx, ref, engine.PullOptions{Progress: st.report})
		return pullDoneMsg{ref: ref, img: img, err: err}
	}
	return tea.Batch(run, waitPullCmd(ref, st, done))
}

func (m *Model) pullDone(msg pullDoneMsg) tea.Cmd {
	if m.pull == nil || m.pull.ref != msg.ref {
		return nil
	}
	m.pull.cancel()
	m.pull = nil
	if msg.err != nil {
		return errCmd(fmt.Errorf("pull %s: %w", msg.ref, msg.err))
	}
	m.view = viewImages
	m.focusPane = false
	m.images.SelectSoon(msg.img.ID)
	return tea.Batch(infoCmd("pulled "+msg.ref+" ("+shortID(msg.img.ID)+", "+humanSize(msg.img.Size)+")"), m.images.reload(m.ctx, m.eng))
}

func (m *Model) updatePull(msg tea.KeyPressMsg) tea.Cmd {
	if msg.String() == "esc" || msg.String() == "ctrl+c" {
		m.pull.cancel()
		return infoCmd("cancelling the pull of " + m.pull.ref + "…")
	}
	return nil
}

// openPullDialog asks which image to pull.
func (m *Model) openPullDialog() {
	m.openForm(newForm(&m.styles, &m.keys.Dialog, "Pull an image",
		[]field{{Label: "Image", Placeholder: "busybox, nginx:alpine, registry:5000/app:1", Hint: "name[:tag] or name@sha256:…; Docker Hub unless a registry is named"}},
		func(_ context.Context, v formValues) tea.Cmd {
			ref := strings.TrimSpace(v.text(0))
			if ref == "" {
				return errCmd(fmt.Errorf("pull: %w: name an image, such as busybox", engine.ErrInvalid))
			}
			return m.startPull(ref)
		}))
}

// View draws the per-layer progress bars.
func (p *pullView) View(width int) string {
	s := p.styles
	w := min(max(width-10, 50), 100)
	barW := max(w-48, 10)
	lines := []string{s.PaneTitle.Render("Pulling " + p.ref), ""}
	if len(p.layers) == 0 {
		lines = append(lines, s.Muted.Render("resolving the manifest…"))
	}
	layers := slices.Clone(p.layers)
	for _, l := range layers {
		frac := 0.0
		switch {
		case l.State == engine.PullComplete || l.State == engine.PullAlreadyExists:
			frac = 1
		case l.Total > 0:
			frac = float64(l.Current) / float64(l.Total)
		}
		bar := progressBar(frac, barW, s)
		amount := ""
		if l.Total > 0 && frac < 1 {
			amount = humanSize(l.Current) + "/" + humanSize(l.Total)
		}
		lines = append(lines, fmt.Sprintf("%-12s %-14s %s %s", l.Layer, l.State, bar, amount))
	}
	lines = append(lines, "", s.Muted.Render("esc cancels"))
	return s.Dialog.Width(w).Render(strings.Join(lines, "\n"))
}

// progressBar draws frac (0..1) as a bar of w cells.
func progressBar(frac float64, w int, s *Styles) string {
	frac = min(max(frac, 0), 1)
	full := int(frac * float64(w))
	return s.Bar.Render(strings.Repeat("█", full)) + s.Muted.Render(strings.Repeat("░", w-full))
}
