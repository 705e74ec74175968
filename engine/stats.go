package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/engine/cgroups"
)

// StatsSample is one reading of a running container's resource use, with
// docker stats' columns.
type StatsSample struct {
	ID   string
	Name string
	Read time.Time
	// CPUPercent is the CPU use over the sampling interval, 100 per busy
	// CPU (docker's CPU %).
	CPUPercent float64
	// MemUsage is memory in use without inactive page cache (docker's
	// convention), MemLimit the limit (the host's memory without one).
	MemUsage, MemLimit uint64
	MemPercent         float64
	// NetRx and NetTx count bytes received and sent on the container's
	// interfaces other than lo.
	NetRx, NetTx uint64
	// BlockRead and BlockWrite count bytes read from and written to
	// block devices.
	BlockRead, BlockWrite uint64
	// Pids counts processes and threads.
	Pids uint64
	// Raw holds the cgroup counters the sample was computed from.
	Raw cgroups.Stats
}

// statsInterval is the window over which Stats measures CPU use.
const statsInterval = 100 * time.Millisecond

// Stats samples running container ref's resource use. CPU % is measured
// over a short interval (Stats blocks for about 100 ms); StatsSince
// measures it against an earlier sample instead.
func (e *Engine) Stats(ctx context.Context, ref string) (StatsSample, error) {
	first, err := e.statsOnce(ctx, ref)
	if err != nil {
		return first, err
	}
	select {
	case <-ctx.Done():
		return first, ctx.Err()
	case <-time.After(statsInterval):
	}
	return e.StatsSince(ctx, ref, first)
}

// StatsSince samples container ref, computing CPU % since prev (an earlier
// sample of the same container), as a stats stream does.
func (e *Engine) StatsSince(ctx context.Context, ref string, prev StatsSample) (StatsSample, error) {
	s, err := e.statsOnce(ctx, ref)
	if err != nil {
		return s, err
	}
	s.CPUPercent = cgroups.CPUPercent(prev.Raw, s.Raw)
	return s, nil
}

func (e *Engine) statsOnce(ctx context.Context, ref string) (StatsSample, error) {
	id, err := e.ResolveContainer(ctx, ref)
	if err != nil {
		return StatsSample{}, err
	}
	rec, err := e.readRecord(id)
	if err != nil {
		return StatsSample{}, err
	}
	s := StatsSample{ID: id, Name: rec.Name, Read: time.Now()}
	st, err := e.readState(id)
	if err != nil {
		return s, err
	}
	if st.Status != StateRunning && st.Status != StatePaused {
		return s, nil
	}
	cg, err := cgroups.Load(id)
	if err != nil {
		return s, fmt.Errorf("stats %s: %w", id[:12], err)
	}
	raw, err := cg.Stats()
	if err != nil {
		return s, fmt.Errorf("stats %s: %w", id[:12], err)
	}
	s.Raw = raw
	s.Read = raw.Read
	s.MemUsage, s.MemLimit, s.MemPercent = raw.Memory.Usage, raw.Memory.Limit, raw.Memory.Percent()
	s.BlockRead, s.BlockWrite = raw.BlkIO.ReadBytes, raw.BlkIO.WriteBytes
	s.Pids = raw.Pids.Current
	if rec.HostConfig.NetworkMode != "host" {
		s.NetRx, s.NetTx = netDev(filepath.Join("/proc", strconv.Itoa(st.Pid), "net", "dev"))
	}
	return s, nil
}

// netDev sums the received and sent bytes of the interfaces in a
// /proc/PID/net/dev file, lo excluded.
func netDev(path string) (rx, tx uint64) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(name) == "lo" {
			continue
		}
		f := strings.Fields(rest)
		if len(f) < 9 {
			continue
		}
		r, _ := strconv.ParseUint(f[0], 10, 64)
		t, _ := strconv.ParseUint(f[8], 10, 64)
		rx += r
		tx += t
	}
	return rx, tx
}
