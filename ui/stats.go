package ui

import (
	"context"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/berth-dev/berth/engine"
)

// StatsReader samples a container's resource use (an optional engine
// capability: without it the CPU/MEM column stays empty).
type StatsReader interface {
	// Stats samples running container id's CPU and memory use; it blocks
	// for a short measuring interval.
	Stats(ctx context.Context, id string) (engine.StatsSample, error)
	// StatsSince samples id, measuring CPU use since prev, without
	// blocking.
	StatsSince(ctx context.Context, id string, prev engine.StatsSample) (engine.StatsSample, error)
}

// statsInterval is how often the visible running containers are sampled.
const statsInterval = 2 * time.Second

// statsIdleAfter is how long after the last key or mouse event sampling
// goes on; it resumes with the next one. An unattended screen of running
// containers then costs (almost) nothing.
const statsIdleAfter = time.Minute

// sparkLen is how many samples a sparkline shows.
const sparkLen = 8

// series is the recent CPU use of one container and its last sample.
type series struct {
	last engine.StatsSample
	cpu  []float64 // percent of one CPU
}

// statsState holds the samples behind the CPU/MEM column. Only the rows
// on screen are sampled, and only while some of them run, so an idle
// screen of stopped containers costs nothing.
type statsState struct {
	series map[string]*series
	armed  bool
}

func newStatsState() statsState { return statsState{series: map[string]*series{}} }

// statsTickMsg asks for a round of samples.
type statsTickMsg struct{}

// statsMsg carries a round of samples.
type statsMsg struct {
	samples map[string]engine.StatsSample
}

// prune forgets containers that are gone or stopped.
func (s *statsState) prune(byID map[string]engine.ContainerSummary) {
	for id := range s.series {
		if c, ok := byID[id]; !ok || c.State != engine.StateRunning {
			delete(s.series, id)
		}
	}
}

// visibleRunning returns the running containers on screen.
func visibleRunning(m *Model) []string {
	if m.view != viewContainers {
		return nil
	}
	var out []string
	for _, id := range m.containers.VisibleIDs() {
		if m.containers.byID[id].State == engine.StateRunning {
			out = append(out, id)
		}
	}
	return out
}

// tickIfNeeded arms the next round when sampling is on and something on
// screen runs.
func (s *statsState) tickIfNeeded(m *Model) tea.Cmd {
	if s.armed || !m.cfg.Stats || m.idle() {
		return nil
	}
	if _, ok := m.eng.(StatsReader); !ok || len(visibleRunning(m)) == 0 {
		return nil
	}
	s.armed = true
	return tea.Tick(statsInterval, func(time.Time) tea.Msg { return statsTickMsg{} })
}

// tick samples the visible running containers.
func (s *statsState) tick(_ statsTickMsg, m *Model) tea.Cmd {
	s.armed = false
	ids := visibleRunning(m)
	sr, ok := m.eng.(StatsReader)
	if !ok || len(ids) == 0 {
		return nil
	}
	ctx := m.ctx
	prev := make(map[string]engine.StatsSample, len(ids))
	for _, id := range ids {
		if se, ok := s.series[id]; ok {
			prev[id] = se.last
		}
	}
	return func() tea.Msg {
		out := make(map[string]engine.StatsSample, len(ids))
		for _, id := range ids {
			var st engine.StatsSample
			var err error
			if p, ok := prev[id]; ok {
				st, err = sr.StatsSince(ctx, id, p)
			} else {
				st, err = sr.Stats(ctx, id)
			}
			if err == nil {
				out[id] = st
			}
		}
		return statsMsg{out}
	}
}

// got adds a round of samples and arms the next.
func (s *statsState) got(msg statsMsg, m *Model) tea.Cmd {
	for id, smp := range msg.samples {
		se, ok := s.series[id]
		if !ok {
			se = &series{}
			s.series[id] = se
		}
		se.cpu = append(se.cpu, smp.CPUPercent)
		if len(se.cpu) > sparkLen {
			se.cpu = se.cpu[len(se.cpu)-sparkLen:]
		}
		se.last = smp
	}
	m.renderContainerRows()
	return s.tickIfNeeded(m)
}

// cell draws a container's sparkline and memory use.
func (s *statsState) cell(id string) string {
	se, ok := s.series[id]
	if !ok {
		return ""
	}
	return pad(sparkline(se.cpu, sparkLen), sparkLen, true) + " " + humanSize(int64(se.last.MemUsage))
}

// sparkline draws values (percent) as block characters, scaled to the
// largest of them but at least 100%.
func sparkline(vals []float64, n int) string {
	blocks := []rune("▁▂▃▄▅▆▇█")
	top := 100.0
	for _, v := range vals {
		top = max(top, v)
	}
	var b strings.Builder
	for _, v := range vals[max(len(vals)-n, 0):] {
		i := int(v / top * float64(len(blocks)-1))
		b.WriteRune(blocks[min(max(i, 0), len(blocks)-1)])
	}
	return b.String()
}
