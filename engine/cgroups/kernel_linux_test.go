package cgroups

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The tests in this file create real cgroups below testParent, so they
// never touch the cgroups of berth's own containers.
const testParent = "berth-test"

// requireCgroups skips the test when it cannot create cgroups.
func requireCgroups(t *testing.T) Mode {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("creating cgroups needs root")
	}
	m, err := DetectMode(DefaultRoot)
	if err != nil {
		t.Skipf("no cgroup filesystem: %v", err)
	}
	return m
}

func randomID(t *testing.T) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// newCgroup creates a cgroup removed (with its processes) when the test
// ends.
func newCgroup(t *testing.T, r Resources, opts ...Option) *Cgroup {
	t.Helper()
	opts = append([]Option{WithParent(testParent)}, opts...)
	cg, err := New(randomID(t), r, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		if err := cg.KillAll(ctx, syscall.SIGKILL); err != nil && !errors.Is(err, ErrNotExist) {
			t.Errorf("cleanup KillAll: %v", err)
		}
		if err := cg.Delete(ctx); err != nil {
			t.Errorf("cleanup Delete: %v", err)
		}
	})
	return cg
}

// proc is a shell started inside a cgroup. Its output is not captured
// through pipes: background children would hold them open and keep Wait
// from returning.
type proc struct {
	cmd  *exec.Cmd
	once sync.Once
	err  error
}

// wait waits for the shell once and returns its exit error.
func (p *proc) wait() error {
	p.once.Do(func() { p.err = p.cmd.Wait() })
	return p.err
}

// startIn starts "sh -c script" held on its stdin until it has been moved
// into cg, so the script runs entirely inside the cgroup.
func startIn(t *testing.T, cg *Cgroup, script string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command("/bin/sh", "-c", "read _; "+script)}
	stdin, err := p.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		_ = p.wait()
	})
	if err := cg.Add(p.cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(stdin, "\n"); err != nil {
		t.Fatal(err)
	}
	stdin.Close()
	return p
}

// waitFor polls cond (kernel state has no change notification the tests
// could use portably) until it holds or ten seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func pidCount(t *testing.T, cg *Cgroup) int {
	t.Helper()
	p, err := cg.Pids()
	if err != nil {
		t.Fatal(err)
	}
	return len(p)
}

func TestDetectModeMatchesMounts(t *testing.T) {
	m, err := DetectMode(DefaultRoot)
	if err != nil {
		t.Skipf("no cgroup filesystem: %v", err)
	}
	types := map[string]string{}
	f, err := os.Open("/proc/self/mounts")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) > 2 {
			types[fs[1]] = fs[2]
		}
	}
	want := Legacy
	switch {
	case types[DefaultRoot] == "cgroup2":
		want = Unified
	case types[DefaultRoot+"/unified"] == "cgroup2":
		want = Hybrid
	}
	if m != want {
		t.Fatalf("DetectMode(%s) = %v, want %v (mounts: %v)", DefaultRoot, m, want, types)
	}
	if _, err := DetectMode(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, ErrNoCgroupFS) {
		t.Errorf("DetectMode(missing) = %v, want ErrNoCgroupFS", err)
	}
}

func TestKernelLimits(t *testing.T) {
	mode := requireCgroups(t)
	r := Resources{MemoryLimit: 64 << 20, CPUQuota: 0.5, CPUShares: 512, PidsLimit: 50, Devices: DefaultDevices()}
	if mode == Unified {
		r.Devices = nil // checked by TestKernelDeviceFilter
	}
	cg := newCgroup(t, r)
	p := cg.Paths()
	read := func(key, name string) string { return readFile(t, filepath.Join(p[key], name)) }
	switch mode {
	case Legacy, Hybrid:
		// The cgroup sits at the root of each hierarchy, like docker/<id>.
		if want := filepath.Join(DefaultRoot, "memory", testParent, cg.ID()); p["memory"] != want {
			t.Errorf("memory path = %s, want %s", p["memory"], want)
		}
		if _, err := os.Stat(filepath.Join(DefaultRoot, "systemd")); err == nil {
			if want := filepath.Join(DefaultRoot, "systemd", testParent, cg.ID()); p["systemd"] != want {
				t.Errorf("systemd path = %s, want %s", p["systemd"], want)
			}
		}
		if got := read("memory", "memory.limit_in_bytes"); got != "67108864" {
			t.Errorf("memory.limit_in_bytes = %s, want 67108864", got)
		}
		if got := read("pids", "pids.max"); got != "50" {
			t.Errorf("pids.max = %s, want 50", got)
		}
		if got := read("cpu", "cpu.cfs_quota_us"); got != "50000" {
			t.Errorf("cpu.cfs_quota_us = %s, want 50000", got)
		}
		if got := read("cpu", "cpu.shares"); got != "512" {
			t.Errorf("cpu.shares = %s, want 512", got)
		}
		list := read("devices", "devices.list")
		if !strings.Contains(list, "c 1:3 rwm") || strings.Contains(list, "a *:* rwm") {
			t.Errorf("devices.list = %q, want the default allow list", list)
		}
	case Unified:
		if got := read(UnifiedKey, "memory.max"); got != "67108864" {
			t.Errorf("memory.max = %s, want 67108864", got)
		}
		if got := read(UnifiedKey, "pids.max"); got != "50" {
			t.Errorf("pids.max = %s, want 50", got)
		}
		if got := read(UnifiedKey, "cpu.max"); got != "50000 100000" {
			t.Errorf("cpu.max = %s, want 50000 100000", got)
		}
	}

	t.Run("new again adopts it", func(t *testing.T) {
		again, err := New(cg.ID(), r, WithParent(testParent))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := again.Paths(), cg.Paths(); len(got) != len(want) || got["pids"] != want["pids"] {
			t.Errorf("New again: Paths() = %v, want %v", got, want)
		}
	})
	t.Run("update", func(t *testing.T) {
		if err := cg.Update(Resources{MemoryLimit: 128 << 20, PidsLimit: -1}); err != nil {
			t.Fatal(err)
		}
		st, err := cg.Stats()
		if err != nil {
			t.Fatal(err)
		}
		if st.Memory.Limit != 128<<20 || !st.Memory.Limited {
			t.Errorf("memory limit after Update = %d (limited %v), want %d", st.Memory.Limit, st.Memory.Limited, 128<<20)
		}
		if st.Pids.Limit != 0 {
			t.Errorf("pids limit after Update = %d, want 0 (unlimited)", st.Pids.Limit)
		}
	})
	t.Run("load", func(t *testing.T) {
		l, err := Load(cg.ID(), WithParent(testParent))
		if err != nil {
			t.Fatal(err)
		}
		if got := l.Paths(); len(got) != len(p) || got["memory"] != p["memory"] || got[UnifiedKey] != p[UnifiedKey] {
			t.Errorf("Load().Paths() = %v, want %v", got, p)
		}
		if _, err := Load(randomID(t), WithParent(testParent)); !errors.Is(err, ErrNotExist) {
			t.Errorf("Load(unknown) = %v, want ErrNotExist", err)
		}
	})
}

func TestKernelOOMKill(t *testing.T) {
	requireCgroups(t)
	cg := newCgroup(t, Resources{MemoryLimit: 16 << 20})
	if oom, err := cg.OOMKilled(); err != nil || oom {
		t.Fatalf("OOMKilled() before any allocation = %v, %v, want false", oom, err)
	}
	// The string doubles until the kernel kills the shell.
	p := startIn(t, cg, `x=a; while :; do x=$x$x; done`)
	err := p.wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("memory hog exited with %v, want killed", err)
	}
	ws := ee.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("memory hog ended with %v, want SIGKILL", ws)
	}
	oom, err := cg.OOMKilled()
	if err != nil {
		t.Fatal(err)
	}
	if !oom {
		t.Fatal("OOMKilled() = false after the hog was killed, want true")
	}
}

func TestKernelPidsLimit(t *testing.T) {
	requireCgroups(t)
	const limit = 10
	cg := newCgroup(t, Resources{PidsLimit: limit})
	// Forks sleepers until fork fails; the shell then gives up.
	p := startIn(t, cg, `i=0; while [ $i -lt 100 ]; do sleep 1000 & i=$((i+1)); done; wait`)
	if err := p.wait(); err == nil {
		t.Fatalf("fork loop succeeded with a pids limit of %d, want a fork failure", limit)
	}
	n := pidCount(t, cg)
	if n == 0 || n > limit {
		t.Fatalf("%d processes in the cgroup, want 1..%d", n, limit)
	}
	st, err := cg.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Pids.Limit != limit || st.Pids.Current > limit || st.Pids.Current < uint64(n) {
		t.Errorf("Stats().Pids = %+v, want limit %d and current %d..%d", st.Pids, limit, n, limit)
	}
	if err := cg.KillAll(t.Context(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the sleepers to die", func() bool { return pidCount(t, cg) == 0 })
}

// TestKernelCpuset checks the cpuset joined on demand: a running process
// of a cgroup made without one is confined to the CPU Update names, and
// so are the processes it forks afterwards.
func TestKernelCpuset(t *testing.T) {
	requireCgroups(t)
	online, err := ParseList(readFile(t, onlineCPUs))
	if err != nil || len(online) < 2 {
		t.Skipf("confining to one CPU shows only with two online (online: %v)", online)
	}
	cg := newCgroup(t, Resources{})
	p := startIn(t, cg, `sleep 1000 & wait`)
	allowed := func(pid int) string {
		for line := range strings.Lines(readFile(t, fmt.Sprintf("/proc/%d/status", pid))) {
			if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
				return strings.TrimSpace(v)
			}
		}
		return ""
	}
	last := strconv.Itoa(online[len(online)-1])
	if err := cg.Update(Resources{CpusetCPUs: last}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the shell's sleeper", func() bool { return pidCount(t, cg) == 2 })
	pids, err := cg.Pids()
	if err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if got := allowed(pid); got != last {
			t.Errorf("process %d may run on CPUs %s, want %s", pid, got, last)
		}
	}
	if got := allowed(p.cmd.Process.Pid); got != last {
		t.Errorf("the shell may run on CPUs %s, want %s", got, last)
	}
	if err := cg.Update(Resources{MemoryReservation: 32 << 20, CFSPeriod: 50000, CFSQuota: 25000}); err != nil {
		t.Fatal(err)
	}
	if mode := cg.Mode(); mode != Unified {
		paths := cg.Paths()
		if got := readFile(t, filepath.Join(paths["memory"], "memory.soft_limit_in_bytes")); got != "33554432" {
			t.Errorf("memory.soft_limit_in_bytes = %s, want 33554432", got)
		}
		if got := readFile(t, filepath.Join(paths["cpu"], "cpu.cfs_period_us")); got != "50000" {
			t.Errorf("cpu.cfs_period_us = %s, want 50000", got)
		}
	}
	// Without a list the cgroup has all its parent's CPUs again.
	if got := allowed(p.cmd.Process.Pid); got == last || got == "" {
		t.Errorf("the shell may run on CPUs %q after the cpuset was lifted", got)
	}
}

// cpuUsage returns the cgroup's CPU time.
func cpuUsage(t *testing.T, cg *Cgroup) uint64 {
	t.Helper()
	st, err := cg.Stats()
	if err != nil {
		t.Fatal(err)
	}
	return st.CPU.UsageNanos
}

func TestKernelFreeze(t *testing.T) {
	requireCgroups(t)
	cg := newCgroup(t, Resources{})
	startIn(t, cg, `while :; do :; done`)
	waitFor(t, "the busy loop to use CPU", func() bool { return cpuUsage(t, cg) > 10_000_000 })

	if err := cg.Freeze(t.Context()); err != nil {
		t.Fatal(err)
	}
	if f, err := cg.Frozen(); err != nil || !f {
		t.Fatalf("Frozen() = %v, %v after Freeze, want true", f, err)
	}
	if err := cg.Freeze(t.Context()); err != nil {
		t.Fatalf("Freeze of a frozen cgroup = %v, want nil", err)
	}
	before := cpuUsage(t, cg)
	// Frozen work cannot be observed as an event: give the loop time
	// it would otherwise spend running.
	time.Sleep(300 * time.Millisecond)
	if after := cpuUsage(t, cg); after != before {
		t.Fatalf("CPU usage grew from %d to %d ns while frozen", before, after)
	}
	if err := cg.Thaw(); err != nil {
		t.Fatal(err)
	}
	if f, err := cg.Frozen(); err != nil || f {
		t.Fatalf("Frozen() = %v, %v after Thaw, want false", f, err)
	}
	waitFor(t, "the loop to run again", func() bool { return cpuUsage(t, cg) > before+10_000_000 })
}

func TestKernelStats(t *testing.T) {
	requireCgroups(t)
	cg := newCgroup(t, Resources{MemoryLimit: 64 << 20, CPUQuota: 0.5})
	dir := t.TempDir()
	// Direct I/O reaches the disk at once; then burn CPU.
	startIn(t, cg, `dd if=/dev/zero of=`+dir+`/f bs=1M count=4 oflag=direct 2>/dev/null; while :; do :; done`)
	waitFor(t, "the busy loop to use CPU", func() bool { return cpuUsage(t, cg) > 50_000_000 })

	first, err := cg.Stats()
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // a sampling interval, as docker stats uses
	second, err := cg.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if c := second.CPU; c.SystemUsageNanos == 0 || c.OnlineCPUs < 1 || c.UserNanos+c.SystemNanos == 0 {
		t.Errorf("CPU stats = %+v, want host usage, cpu count and a user/system split", c)
	}
	// The quota holds the loop to half a CPU; other load on the host can
	// only lower it.
	if pct := CPUPercent(first, second); pct < 15 || pct > 60 {
		t.Errorf("CPUPercent = %.1f with --cpus 0.5, want about 50", pct)
	}
	m := second.Memory
	if m.Limit != 64<<20 || !m.Limited || m.Usage == 0 || m.Usage > m.RawUsage || m.RawUsage > 64<<20 {
		t.Errorf("memory stats = %+v, want usage within a 64 MiB limit", m)
	}
	if second.Pids.Current < 1 {
		t.Errorf("pids current = %d, want at least 1", second.Pids.Current)
	}
	var fst syscall.Stat_t
	if err := syscall.Stat(dir, &fst); err == nil && fst.Dev>>8 != 0 {
		if second.BlkIO.WriteBytes < 4<<20 {
			t.Errorf("block write bytes = %d after a 4 MiB direct write, want at least %d", second.BlkIO.WriteBytes, 4<<20)
		}
	} else {
		t.Logf("temp dir not on a block device: block I/O not checked")
	}
}

func TestKernelKillAll(t *testing.T) {
	requireCgroups(t)
	tests := []struct {
		name   string
		sig    syscall.Signal
		frozen bool
	}{
		{"SIGKILL", syscall.SIGKILL, false},
		{"SIGTERM", syscall.SIGTERM, false},
		{"SIGKILL paused", syscall.SIGKILL, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cg := newCgroup(t, Resources{})
			sh := startIn(t, cg, `sleep 1000 & sleep 1000 & sleep 1000 & wait`)
			waitFor(t, "four processes", func() bool { return pidCount(t, cg) == 4 })
			if tt.frozen {
				if err := cg.Freeze(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			if err := cg.KillAll(t.Context(), tt.sig); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "every process to die", func() bool { return pidCount(t, cg) == 0 })
			if err := sh.wait(); err == nil {
				t.Error("shell exited 0 after KillAll, want killed")
			}
			if f, err := cg.Frozen(); err != nil || f {
				t.Errorf("Frozen() after KillAll = %v, %v, want false", f, err)
			}
		})
	}
	t.Run("SIGTERM keeps a paused cgroup paused", func(t *testing.T) {
		cg := newCgroup(t, Resources{})
		startIn(t, cg, `sleep 1000`)
		waitFor(t, "two processes", func() bool { return pidCount(t, cg) == 2 })
		if err := cg.Freeze(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := cg.KillAll(t.Context(), syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if f, err := cg.Frozen(); err != nil || !f {
			t.Fatalf("Frozen() after SIGTERM to a paused cgroup = %v, %v, want true", f, err)
		}
		if n := pidCount(t, cg); n != 2 {
			t.Fatalf("%d processes while paused, want 2 (the signal waits for unpause)", n)
		}
		if err := cg.Thaw(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the signal to take effect after unpause", func() bool { return pidCount(t, cg) == 0 })
	})
}

func TestKernelDelete(t *testing.T) {
	requireCgroups(t)
	cg, err := New(randomID(t), Resources{PidsLimit: 20}, WithParent(testParent))
	if err != nil {
		t.Fatal(err)
	}
	sh := startIn(t, cg, `sleep 1000`)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := cg.Delete(ctx); !errors.Is(err, ErrTimeout) {
		t.Fatalf("Delete with processes inside = %v, want ErrTimeout", err)
	}
	if err := cg.KillAll(t.Context(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = sh.wait()
	// Delete retries while the killed processes finish exiting.
	if err := cg.Delete(t.Context()); err != nil {
		t.Fatal(err)
	}
	for k, d := range cg.Paths() {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s directory %s still there after Delete: %v", k, d, err)
		}
	}
	if err := cg.Delete(t.Context()); err != nil {
		t.Errorf("second Delete() = %v, want nil", err)
	}
	if _, err := Load(cg.ID(), WithParent(testParent)); !errors.Is(err, ErrNotExist) {
		t.Errorf("Load after Delete = %v, want ErrNotExist", err)
	}
	if _, err := cg.Stats(); !errors.Is(err, ErrNotExist) {
		t.Errorf("Stats after Delete = %v, want ErrNotExist", err)
	}
	if err := cg.KillAll(t.Context(), syscall.SIGKILL); !errors.Is(err, ErrNotExist) {
		t.Errorf("KillAll after Delete = %v, want ErrNotExist", err)
	}
	if err := cg.Freeze(t.Context()); !errors.Is(err, ErrNotExist) {
		t.Errorf("Freeze after Delete = %v, want ErrNotExist", err)
	}
	if _, err := cg.Pids(); !errors.Is(err, ErrNotExist) {
		t.Errorf("Pids after Delete = %v, want ErrNotExist", err)
	}
	if err := cg.Add(os.Getpid()); !errors.Is(err, ErrNotExist) {
		t.Errorf("Add after Delete = %v, want ErrNotExist", err)
	}
}

func TestKernelCleanupOrphans(t *testing.T) {
	requireCgroups(t)
	parent := testParent + "-orphans-" + randomID(t)[:8]
	opt := WithParent(parent)
	var cgs []*Cgroup
	for range 3 {
		cg, err := New(randomID(t), Resources{}, opt)
		if err != nil {
			t.Fatal(err)
		}
		cgs = append(cgs, cg)
	}
	t.Cleanup(func() {
		for _, cg := range cgs {
			_ = cg.KillAll(context.Background(), syscall.SIGKILL)
			_ = cg.Delete(context.Background())
		}
		for _, d := range cgs[0].Paths() {
			_ = os.Remove(filepath.Dir(d))
		}
	})
	keep, orphan := cgs[0], cgs[1]
	sh := startIn(t, orphan, `sleep 1000`)

	live := func(id string) bool { return id == keep.ID() }
	if err := CleanupOrphans(t.Context(), live, opt); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(keep.ID(), opt); err != nil {
		t.Errorf("live cgroup removed: Load = %v", err)
	}
	for _, cg := range cgs[1:] {
		if _, err := Load(cg.ID(), opt); !errors.Is(err, ErrNotExist) {
			t.Errorf("orphan %s: Load = %v, want ErrNotExist", cg.ID(), err)
		}
	}
	var ee *exec.ExitError
	if err := sh.wait(); !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("process of the orphan cgroup ended with %v, want SIGKILL", err)
	}
}

// v2Root returns a real cgroup2 hierarchy to run Unified code against: the
// root on a v2 host, the unified/ mount on a hybrid one.
func v2Root(t *testing.T) string {
	switch requireCgroups(t) {
	case Unified:
		return DefaultRoot
	case Hybrid:
		return filepath.Join(DefaultRoot, "unified")
	}
	t.Skip("no cgroup2 hierarchy on this host")
	return ""
}

func TestKernelDeviceFilter(t *testing.T) {
	root := v2Root(t)
	rules := []DeviceRule{
		{Type: 'c', Major: 1, Minor: 3, Access: "rwm"}, // /dev/null
		{Type: 'c', Major: 1, Minor: 5, Access: "r"},   // /dev/zero, read only
	}
	cg := newCgroup(t, Resources{Devices: rules}, WithRoot(root), WithMode(Unified))
	script := `cat /dev/null && echo null-ok
head -c1 /dev/zero >/dev/null && echo zero-read-ok
(echo x >/dev/zero) 2>/dev/null || echo zero-write-denied
(head -c1 /dev/urandom >/dev/null) 2>/dev/null || echo urandom-denied`
	var out bytes.Buffer
	p := &proc{cmd: exec.Command("/bin/sh", "-c", "read _; "+script)}
	p.cmd.Stdout = &out
	stdin, err := p.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := cg.Add(p.cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	io.WriteString(stdin, "\n")
	stdin.Close()
	if err := p.wait(); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Fields(out.String()), []string{"null-ok", "zero-read-ok", "zero-write-denied", "urandom-denied"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("device access inside the cgroup: %v, want %v", got, want)
	}

	t.Run("update replaces the program", func(t *testing.T) {
		if err := cg.Update(Resources{Devices: DefaultDevices()}); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(cg.Paths()[UnifiedKey])
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		ids, err := attachedDeviceFilters(int(f.Fd()))
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != 1 {
			t.Fatalf("%d device programs attached after Update, want 1", len(ids))
		}
		if err := cg.Update(Resources{}); err != nil {
			t.Fatal(err)
		}
		if ids, err := attachedDeviceFilters(int(f.Fd())); err != nil || len(ids) != 0 {
			t.Fatalf("device programs after Update(nil) = %v, %v, want none", ids, err)
		}
	})
}

// TestKernelUnifiedLifecycle runs the v2 code paths (cgroup.freeze,
// cgroup.kill, cpu.stat) against a real cgroup2 hierarchy.
func TestKernelUnifiedLifecycle(t *testing.T) {
	root := v2Root(t)
	cg := newCgroup(t, Resources{}, WithRoot(root), WithMode(Unified))
	startIn(t, cg, `sleep 1000 & while :; do :; done`)
	waitFor(t, "the busy loop to use CPU", func() bool { return cpuUsage(t, cg) > 10_000_000 })
	if err := cg.Freeze(t.Context()); err != nil {
		t.Fatal(err)
	}
	before := cpuUsage(t, cg)
	time.Sleep(200 * time.Millisecond) // time the loop would have run
	if after := cpuUsage(t, cg); after-before > 1_000_000 {
		t.Fatalf("CPU usage grew by %d ns while frozen", after-before)
	}
	if err := cg.KillAll(t.Context(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every process to die", func() bool { return pidCount(t, cg) == 0 })
	f, err := cg.OpenDir()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// A child started straight into the cgroup.
	cmd := exec.Command("/bin/sh", "-c", "cat /proc/self/cgroup")
	cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(f.Fd())}
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	rel, _ := filepath.Rel(root, cg.Paths()[UnifiedKey])
	if !strings.Contains(string(out), "0::/"+rel+"\n") {
		t.Errorf("/proc/self/cgroup of a child started with CgroupFD:\n%s\nwant 0::/%s", out, rel)
	}
}

// TestMain removes the test parents the kernel tests leave in each
// hierarchy once all tests are done.
func TestMain(m *testing.M) {
	code := m.Run()
	if os.Geteuid() == 0 {
		dirs, _ := filepath.Glob(filepath.Join(DefaultRoot, "*", testParent))
		more, _ := filepath.Glob(filepath.Join(DefaultRoot, testParent))
		for _, d := range append(dirs, more...) {
			_ = os.Remove(d)
		}
	}
	os.Exit(code)
}

// fsImmutableFL is FS_IMMUTABLE_FL from linux/fs.h.
const fsImmutableFL = 0x10

// setImmutable sets or clears the immutable attribute of dir, which makes
// mkdir inside it fail with EPERM even for root.
func setImmutable(t *testing.T, dir string, on bool) bool {
	t.Helper()
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	flags, err := unix.IoctlGetInt(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil {
		return false
	}
	if on {
		flags |= fsImmutableFL
	} else {
		flags &^= fsImmutableFL
	}
	return unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, flags) == nil
}

func TestFallbackBelowOwnCgroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("setting the immutable attribute needs root")
	}
	self := selfCgroups()["memory"]
	if self == "" || self == "/" {
		t.Skip("this process's memory cgroup is the root; no fallback location to test")
	}
	root := fakeV1(t, false)
	mem := filepath.Join(root, "memory")
	own := filepath.Join(mem, self)
	if err := os.MkdirAll(own, 0o755); err != nil {
		t.Fatal(err)
	}
	// The root of the memory hierarchy is not writable, as when berth
	// runs in a container or a delegated cgroup.
	if !setImmutable(t, mem, true) {
		t.Skip("temp dir filesystem has no immutable attribute")
	}
	t.Cleanup(func() { setImmutable(t, mem, false) })

	cg, err := New("c1", Resources{MemoryLimit: 32 << 20}, WithRoot(root), WithMode(Legacy))
	if err != nil {
		t.Fatal(err)
	}
	p := cg.Paths()
	if want := filepath.Join(own, "berth", "c1"); p["memory"] != want {
		t.Errorf("memory path = %s, want %s below the caller's cgroup", p["memory"], want)
	}
	if want := filepath.Join(root, "pids", "berth", "c1"); p["pids"] != want {
		t.Errorf("pids path = %s, want %s at the root", p["pids"], want)
	}
	checkFiles(t, p["memory"], map[string]string{"memory.limit_in_bytes": "33554432"})
	l, err := Load("c1", WithRoot(root), WithMode(Legacy))
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Paths()["memory"]; got != p["memory"] {
		t.Errorf("Load().Paths()[memory] = %s, want %s", got, p["memory"])
	}
}

// BenchmarkLifecycle measures what a container start and removal cost in
// cgroup work: New with limits, Add, KillAll, Delete.
func BenchmarkLifecycle(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("creating cgroups needs root")
	}
	r := Resources{MemoryLimit: 64 << 20, PidsLimit: 100, CPUQuota: 1, Devices: DefaultDevices()}
	for i := 0; b.Loop(); i++ {
		cg, err := New(fmt.Sprintf("bench%d", i), r, WithParent(testParent))
		if err != nil {
			b.Fatal(err)
		}
		cmd := exec.Command("/bin/true")
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		_ = cg.Add(cmd.Process.Pid)
		_ = cmd.Wait()
		if err := cg.KillAll(b.Context(), syscall.SIGKILL); err != nil {
			b.Fatal(err)
		}
		if err := cg.Delete(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}

func TestKernelAddJoinsEveryHierarchy(t *testing.T) {
	requireCgroups(t)
	cg := newCgroup(t, Resources{})
	p := startIn(t, cg, `sleep 1000`)
	b, err := os.ReadFile(filepath.Join("/proc", fmt.Sprint(p.cmd.Process.Pid), "cgroup"))
	if err != nil {
		t.Fatal(err)
	}
	want := "/" + testParent + "/" + cg.ID()
	joined := 0
	for line := range strings.Lines(string(b)) {
		f := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(f) != 3 {
			continue
		}
		key := f[1]
		if key == "" {
			key = UnifiedKey
		}
		ours := false
		for _, c := range strings.Split(strings.TrimPrefix(key, "name="), ",") {
			if _, ok := cg.Paths()[c]; ok {
				ours = true
			}
		}
		if !ours {
			continue
		}
		joined++
		if f[2] != want {
			t.Errorf("/proc/PID/cgroup %s: %s, want %s", f[1], f[2], want)
		}
	}
	if joined == 0 {
		t.Fatalf("no hierarchy of the cgroup in /proc/PID/cgroup:\n%s", b)
	}
}

// BenchmarkNewDefault measures the cgroup work of starting and removing a
// container with docker's defaults (no limits, the default device list):
// New and Delete.
func BenchmarkNewDefault(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("creating cgroups needs root")
	}
	r := Resources{Devices: DefaultDevices()}
	for i := 0; b.Loop(); i++ {
		cg, err := New(fmt.Sprintf("benchdef%d", i), r, WithParent(testParent))
		if err != nil {
			b.Fatal(err)
		}
		if err := cg.Delete(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}
