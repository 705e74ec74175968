package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Health states, as docker's State.Health.Status.
const (
	HealthStarting  = "starting"
	HealthHealthy   = "healthy"
	HealthUnhealthy = "unhealthy"
)

// Health is the State.Health section of docker inspect: the status, the
// failures in a row, and the last checks.
type Health struct {
	Status        string
	FailingStreak int
	Log           []HealthResult
}

// HealthResult is one health check's run.
type HealthResult struct {
	Start, End time.Time
	ExitCode   int
	Output     string
}

// Docker's health check defaults and limits.
const (
	defaultHealthInterval = 30 * time.Second
	defaultHealthTimeout  = 30 * time.Second
	defaultHealthRetries  = 3
	healthLogEntries      = 5
	healthOutputMax       = 4096
)

// healthCommand returns the command a health check runs, or nil if the
// container has none (no HEALTHCHECK, or NONE).
func healthCommand(hc *HealthConfig) []string {
	if hc == nil || len(hc.Test) == 0 {
		return nil
	}
	switch hc.Test[0] {
	case "CMD":
		if len(hc.Test) > 1 {
			return hc.Test[1:]
		}
	case "CMD-SHELL":
		if len(hc.Test) > 1 {
			return []string{"/bin/sh", "-c", hc.Test[1]}
		}
	}
	return nil
}

// checkHealthConfig refuses negative durations and retries, and a test
// berth cannot run.
func checkHealthConfig(hc *HealthConfig) error {
	if hc == nil {
		return nil
	}
	if hc.Interval < 0 || hc.Timeout < 0 || hc.StartPeriod < 0 || hc.Retries < 0 {
		return invalidf("health check durations and retries must not be negative")
	}
	if len(hc.Test) > 0 && hc.Test[0] != "NONE" && healthCommand(hc) == nil {
		return invalidf("invalid health check test %q: want NONE, CMD ARGS... or CMD-SHELL COMMAND", hc.Test)
	}
	return nil
}

// mergeHealthcheck applies the caller's health check settings over the
// image's, as docker run does: each non-zero field replaces the image's,
// and none disables the check. It returns nil when there is none.
func mergeHealthcheck(image *v1.HealthConfig, opts *HealthConfig, none bool) (*HealthConfig, error) {
	if none {
		if opts != nil {
			return nil, invalidf("--no-healthcheck conflicts with --health-* options")
		}
		return &HealthConfig{Test: []string{"NONE"}}, nil
	}
	var hc HealthConfig
	if image != nil {
		hc = HealthConfig{Test: image.Test, Interval: image.Interval, Timeout: image.Timeout, StartPeriod: image.StartPeriod, Retries: image.Retries}
	}
	if opts != nil {
		if len(opts.Test) > 0 {
			hc.Test = opts.Test
		}
		for _, f := range []struct{ dst, src *time.Duration }{
			{&hc.Interval, &opts.Interval}, {&hc.Timeout, &opts.Timeout}, {&hc.StartPeriod, &opts.StartPeriod},
		} {
			if *f.src != 0 {
				*f.dst = *f.src
			}
		}
		if opts.Retries != 0 {
			hc.Retries = opts.Retries
		}
	}
	if len(hc.Test) == 0 && hc.Interval == 0 && hc.Timeout == 0 && hc.StartPeriod == 0 && hc.Retries == 0 {
		return nil, nil
	}
	if err := checkHealthConfig(&hc); err != nil {
		return nil, err
	}
	return &hc, nil
}

// withDefault returns d, or def if d is zero.
func withDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// watchHealth runs the health check of the container's process, started
// at started, every interval until ctx ends, as docker does: the status
// starts as starting, turns healthy on a check that exits 0 and unhealthy
// after retries checks in a row that fail (a failure within the start
// period counts only once the container has been healthy), and the last
// five results are kept. Each state goes to health.json; each change of
// status is an event.
func (m *monitor) watchHealth(ctx context.Context, hc *HealthConfig, started time.Time) {
	cmd := healthCommand(hc)
	interval := withDefault(hc.Interval, defaultHealthInterval)
	timeout := withDefault(hc.Timeout, defaultHealthTimeout)
	retries := hc.Retries
	if retries == 0 {
		retries = defaultHealthRetries
	}
	h := Health{Status: HealthStarting}
	m.writeHealth(h)
	t := time.NewTimer(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r := m.checkHealth(ctx, cmd, timeout)
		if ctx.Err() != nil {
			return
		}
		h.Log = append(h.Log, r)
		if len(h.Log) > healthLogEntries {
			h.Log = h.Log[len(h.Log)-healthLogEntries:]
		}
		prev := h.Status
		switch {
		case r.ExitCode == 0:
			h.Status, h.FailingStreak = HealthHealthy, 0
		case h.Status == HealthStarting && r.Start.Sub(started) < hc.StartPeriod:
			// Failures while the container starts do not count.
		default:
			h.FailingStreak++
			if h.FailingStreak >= retries {
				h.Status = HealthUnhealthy
			}
		}
		m.writeHealth(h)
		if h.Status != prev {
			m.e.emit("container", "health_status: "+h.Status, m.id, m.attrs(nil))
		}
		t.Reset(interval)
	}
}

// checkHealth runs cmd in the container once, for at most timeout.
func (m *monitor) checkHealth(ctx context.Context, cmd []string, timeout time.Duration) (r HealthResult) {
	r = HealthResult{Start: time.Now().UTC(), ExitCode: -1}
	defer func() { r.End = time.Now().UTC() }()
	p, err := m.e.Exec(ctx, m.id, ExecOptions{Cmd: cmd})
	if err != nil {
		r.Output = err.Error()
		var ee *ExecError
		if errors.As(err, &ee) {
			r.ExitCode = ee.Code
		}
		return r
	}
	defer p.Close()
	var out limitedBuffer
	var wg sync.WaitGroup
	for _, f := range []*os.File{p.Stdout, p.Stderr} {
		if f != nil {
			wg.Go(func() { io.Copy(&out, f) })
		}
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-p.Done():
		r.ExitCode, _ = p.Wait()
	case <-timer.C:
		p.Signal(syscall.SIGKILL)
		p.Wait()
		r.Output = fmt.Sprintf("Health check exceeded timeout (%v)", timeout)
		return r
	case <-ctx.Done():
		p.Signal(syscall.SIGKILL)
		p.Wait()
		return r
	}
	wg.Wait()
	r.Output = out.String()
	return r
}

func (m *monitor) writeHealth(h Health) {
	if err := m.e.st.WriteContainerHealth(m.id, h); err != nil {
		m.e.log.Warn("write health", "container", m.id, "err", err)
	}
}

// health returns the health check state of container rec in state st:
// nil if it has no health check, starting until the first check's
// result is recorded.
func (e *Engine) health(rec *containerRecord, st containerState) *Health {
	if healthCommand(rec.Config.Healthcheck) == nil {
		return nil
	}
	var h Health
	b, err := os.ReadFile(e.st.Container(rec.ID).Health)
	if err != nil || json.Unmarshal(b, &h) != nil {
		h = Health{Status: HealthStarting}
	}
	return &h
}

// healthSuffix is what docker ps adds to a running container's status:
// " (healthy)", " (unhealthy)" or " (health: starting)".
func healthSuffix(h *Health, st containerState) string {
	if h == nil || st.Status != StateRunning {
		return ""
	}
	if h.Status == HealthStarting {
		return " (health: starting)"
	}
	return " (" + h.Status + ")"
}

// limitedBuffer keeps the first healthOutputMax bytes written to it, as
// docker keeps of a check's output, and takes the rest without keeping
// it.
type limitedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := healthOutputMax - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
