package cgroups

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		r    Resources
		ok   bool
	}{
		{"zero", Resources{}, true},
		{"all set", Resources{MemoryLimit: 1 << 30, MemorySwap: 2 << 30, CPUQuota: 1.5, CPUShares: 512, PidsLimit: 100, Devices: DefaultDevices()}, true},
		{"unlimited swap", Resources{MemoryLimit: 1 << 20, MemorySwap: -1}, true},
		{"unlimited pids", Resources{PidsLimit: -1}, true},
		{"negative memory", Resources{MemoryLimit: -5}, false},
		{"swap without memory", Resources{MemorySwap: 1 << 30}, false},
		{"swap below memory", Resources{MemoryLimit: 2 << 20, MemorySwap: 1 << 20}, false},
		{"negative cpus", Resources{CPUQuota: -1}, false},
		{"tiny cpus", Resources{CPUQuota: 0.001}, false},
		{"shares too small", Resources{CPUShares: 1}, false},
		{"shares too big", Resources{CPUShares: 300000}, false},
		{"pids below -1", Resources{PidsLimit: -2}, false},
		{"bad device type", Resources{Devices: []DeviceRule{{Type: 'x', Major: 1, Minor: 3, Access: "r"}}}, false},
		{"bad device access", Resources{Devices: []DeviceRule{{Type: 'c', Major: 1, Minor: 3, Access: "rx"}}}, false},
		{"empty device access", Resources{Devices: []DeviceRule{{Type: 'c', Major: 1, Minor: 3}}}, false},
		{"cpu period and quota", Resources{CFSPeriod: 50000, CFSQuota: 20000, CpusetCPUs: "0-1,3", CpusetMems: "0", MemoryReservation: 1 << 20}, true},
		{"unlimited cpu quota", Resources{CFSQuota: -1}, true},
		{"cpu period too short", Resources{CFSPeriod: 999}, false},
		{"cpu period too long", Resources{CFSPeriod: 1000001}, false},
		{"cpu quota too small", Resources{CFSQuota: 999}, false},
		{"cpus and quota", Resources{CPUQuota: 1, CFSQuota: 50000}, false},
		{"cpus and period", Resources{CPUQuota: 1, CFSPeriod: 50000}, false},
		{"bad cpuset", Resources{CpusetCPUs: "0-"}, false},
		{"bad mems", Resources{CpusetMems: "a"}, false},
		{"negative reservation", Resources{MemoryReservation: -1}, false},
		{"reservation above limit", Resources{MemoryLimit: 8 << 20, MemoryReservation: 16 << 20}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.r.Validate()
			if tt.ok && err != nil {
				t.Fatalf("Validate() = %v, want nil", err)
			}
			if !tt.ok && !errors.Is(err, ErrInvalidResources) {
				t.Fatalf("Validate() = %v, want ErrInvalidResources", err)
			}
		})
	}
}

func TestNewRejectsBadIDs(t *testing.T) {
	root := t.TempDir()
	for _, id := range []string{"", ".", "..", "../x", "a/b", ".hidden", "a b", strings.Repeat("a", 256)} {
		t.Run(id, func(t *testing.T) {
			_, err := New(id, Resources{}, WithRoot(root), WithMode(Unified))
			if !errors.Is(err, ErrInvalidID) {
				t.Fatalf("New(%q) = %v, want ErrInvalidID", id, err)
			}
			if _, err := Load(id, WithRoot(root), WithMode(Unified)); !errors.Is(err, ErrInvalidID) {
				t.Fatalf("Load(%q) = %v, want ErrInvalidID", id, err)
			}
		})
	}
}

func TestCPUPercent(t *testing.T) {
	sample := func(usage, system uint64, cpus int) Stats {
		return Stats{CPU: CPUStats{UsageNanos: usage, SystemUsageNanos: system, OnlineCPUs: cpus}}
	}
	const s = 1_000_000_000
	tests := []struct {
		name      string
		prev, cur Stats
		want      float64
	}{
		// One second on a 2-CPU host is 2 s of host CPU time.
		{"one busy cpu of two", sample(1*s, 10*s, 2), sample(2*s, 12*s, 2), 100},
		{"two busy cpus of two", sample(1*s, 10*s, 2), sample(3*s, 12*s, 2), 200},
		{"half a cpu", sample(0, 10*s, 2), sample(s/2, 12*s, 2), 50},
		{"quarter of one cpu on four", sample(0, 0, 4), sample(s/4, 4*s, 4), 25},
		{"idle", sample(5*s, 10*s, 2), sample(5*s, 12*s, 2), 0},
		{"no host time passed", sample(1*s, 10*s, 2), sample(2*s, 10*s, 2), 0},
		{"counter reset by restart", sample(9*s, 10*s, 2), sample(1*s, 12*s, 2), 0},
		{"cpu count unknown", sample(0, 0, 0), sample(s, 2*s, 0), 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CPUPercent(tt.prev, tt.cur); got != tt.want {
				t.Fatalf("CPUPercent() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseProcStat(t *testing.T) {
	const stat = `cpu  100 2 50 1000 10 3 5 7 0 0
cpu0 50 1 25 500 5 2 3 4 0 0
cpu1 50 1 25 500 5 1 2 3 0 0
intr 12345 0 0
ctxt 999
`
	total, cpus, err := parseProcStat(strings.NewReader(stat))
	if err != nil {
		t.Fatal(err)
	}
	// user+nice+system+idle+iowait+irq+softirq, steal excluded, in ns.
	if want := uint64(100+2+50+1000+10+3+5) * 10_000_000; total != want {
		t.Errorf("total = %d, want %d", total, want)
	}
	if cpus != 2 {
		t.Errorf("cpus = %d, want 2", cpus)
	}
	if _, _, err := parseProcStat(strings.NewReader("intr 1\n")); err == nil {
		t.Error("parseProcStat without a cpu line succeeded")
	}
}

func TestMemoryStats(t *testing.T) {
	tests := []struct {
		name                 string
		raw, inactive, limit uint64
		want                 MemoryStats
	}{
		{"cache subtracted", 100 << 20, 30 << 20, 256 << 20, MemoryStats{Usage: 70 << 20, RawUsage: 100 << 20, InactiveFile: 30 << 20, Limit: 256 << 20, Limited: true}},
		{"inactive above usage", 10, 20, 100, MemoryStats{Usage: 10, RawUsage: 10, InactiveFile: 20, Limit: 100, Limited: true}},
		{"v1 unlimited", 10, 0, 9223372036854771712, MemoryStats{Usage: 10, RawUsage: 10}},
		{"v2 max", 10, 0, maxValue, MemoryStats{Usage: 10, RawUsage: 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := memoryStats(tt.raw, tt.inactive, tt.limit); got != tt.want {
				t.Fatalf("memoryStats() = %+v, want %+v", got, tt.want)
			}
		})
	}
	if got := (MemoryStats{Usage: 25, Limit: 100}).Percent(); got != 25 {
		t.Errorf("Percent() = %v, want 25", got)
	}
}

func TestParseBlockIO(t *testing.T) {
	v1 := `8:0 Read 4096
8:0 Write 8192
8:0 Sync 0
8:0 Total 12288
254:0 Read 100
254:0 Write 1
Total 12389
`
	b, err := parseBlkioV1(strings.NewReader(v1))
	if err != nil {
		t.Fatal(err)
	}
	if want := (BlkIOStats{ReadBytes: 4196, WriteBytes: 8193}); b != want {
		t.Errorf("parseBlkioV1() = %+v, want %+v", b, want)
	}
	v2 := `8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0
254:0 rbytes=100 wbytes=1 rios=1 wios=1 dbytes=0 dios=0
`
	b, err = parseIOStatV2(strings.NewReader(v2))
	if err != nil {
		t.Fatal(err)
	}
	if want := (BlkIOStats{ReadBytes: 4196, WriteBytes: 8193}); b != want {
		t.Errorf("parseIOStatV2() = %+v, want %+v", b, want)
	}
}

func TestSharesToWeight(t *testing.T) {
	for _, tt := range []struct {
		shares int64
		want   uint64
	}{{0, 100}, {2, 1}, {1024, 39}, {262144, 10000}} {
		if got := sharesToWeight(tt.shares); got != tt.want {
			t.Errorf("sharesToWeight(%d) = %d, want %d", tt.shares, got, tt.want)
		}
	}
}

// readFile returns the trimmed content of path or fails the test.
func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func mustWrite(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkFiles compares control files below dir with want.
func checkFiles(t *testing.T, dir string, want map[string]string) {
	t.Helper()
	for _, name := range slices.Sorted(maps.Keys(want)) {
		if got := readFile(t, filepath.Join(dir, name)); got != want[name] {
			t.Errorf("%s = %q, want %q", name, got, want[name])
		}
	}
}

func TestUnifiedWrites(t *testing.T) {
	root := t.TempDir()
	mustWrite(t, filepath.Join(root, "cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma misc")
	dir := filepath.Join(root, "berth", "c1")
	// Swap accounting on: the kernel shows memory.swap.max.
	mustWrite(t, filepath.Join(dir, "memory.swap.max"), "max")
	r := Resources{MemoryLimit: 64 << 20, MemorySwap: 96 << 20, MemoryReservation: 32 << 20, CPUQuota: 1.5, CPUShares: 512, PidsLimit: 100, CpusetCPUs: "0-1", CpusetMems: "0"}
	cg, err := New("c1", r, WithRoot(root), WithMode(Unified))
	if err != nil {
		t.Fatal(err)
	}
	checkFiles(t, root, map[string]string{
		"cgroup.subtree_control":       "+cpu +cpuset +io +memory +pids",
		"berth/cgroup.subtree_control": "+cpu +cpuset +io +memory +pids",
	})
	checkFiles(t, dir, map[string]string{
		"memory.max":      "67108864",
		"memory.swap.max": "33554432",
		"memory.low":      "33554432",
		"cpu.max":         "150000 100000",
		"cpu.weight":      "20",
		"pids.max":        "100",
		"cpuset.cpus":     "0-1",
		"cpuset.mems":     "0",
	})
	if got, want := cg.Paths(), map[string]string{UnifiedKey: dir}; !maps.Equal(got, want) {
		t.Errorf("Paths() = %v, want %v", got, want)
	}

	t.Run("update lifts limits", func(t *testing.T) {
		if err := cg.Update(Resources{}); err != nil {
			t.Fatal(err)
		}
		checkFiles(t, dir, map[string]string{
			"memory.max":      "max",
			"memory.swap.max": "max",
			"memory.low":      "0",
			"cpu.max":         "max 100000",
			"cpu.weight":      "100",
			"pids.max":        "max",
			"cpuset.cpus":     "",
			"cpuset.mems":     "",
		})
	})
	t.Run("cpu period and quota", func(t *testing.T) {
		if err := cg.Update(Resources{CFSPeriod: 50000, CFSQuota: 25000}); err != nil {
			t.Fatal(err)
		}
		checkFiles(t, dir, map[string]string{"cpu.max": "25000 50000"})
	})
	t.Run("default swap is twice memory", func(t *testing.T) {
		if err := cg.Update(Resources{MemoryLimit: 10 << 20}); err != nil {
			t.Fatal(err)
		}
		checkFiles(t, dir, map[string]string{"memory.max": "10485760", "memory.swap.max": "10485760"})
	})
	t.Run("add", func(t *testing.T) {
		if err := cg.Add(4242); err != nil {
			t.Fatal(err)
		}
		checkFiles(t, dir, map[string]string{"cgroup.procs": "4242"})
	})
	t.Run("freeze", func(t *testing.T) {
		if err := cg.Freeze(t.Context()); err != nil {
			t.Fatal(err)
		}
		checkFiles(t, dir, map[string]string{"cgroup.freeze": "1"})
		if err := cg.Thaw(); err != nil {
			t.Fatal(err)
		}
		checkFiles(t, dir, map[string]string{"cgroup.freeze": "0"})
	})
	t.Run("load", func(t *testing.T) {
		l, err := Load("c1", WithRoot(root), WithMode(Unified))
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(l.Paths(), cg.Paths()) {
			t.Errorf("Load().Paths() = %v, want %v", l.Paths(), cg.Paths())
		}
		if _, err := Load("c2", WithRoot(root), WithMode(Unified)); !errors.Is(err, ErrNotExist) {
			t.Errorf("Load(c2) = %v, want ErrNotExist", err)
		}
	})
	t.Run("open dir only on unified", func(t *testing.T) {
		f, err := cg.OpenDir()
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	})
	t.Run("delete", func(t *testing.T) {
		if err := cg.Delete(t.Context()); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stat %s after Delete: %v, want not exist", dir, err)
		}
		if err := cg.Delete(t.Context()); err != nil {
			t.Errorf("second Delete() = %v, want nil", err)
		}
	})
}

func TestUnifiedMissingController(t *testing.T) {
	root := t.TempDir()
	mustWrite(t, filepath.Join(root, "cgroup.controllers"), "cpu io")
	_, err := New("c1", Resources{PidsLimit: 10}, WithRoot(root), WithMode(Unified))
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("New with pids limit and no pids controller = %v, want ErrUnsupported", err)
	}
	if _, err := os.Stat(filepath.Join(root, "berth", "c1")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed New left its directory behind: %v", err)
	}
	// Without a pids limit the missing controller does not matter.
	if _, err := New("c1", Resources{CPUQuota: 1}, WithRoot(root), WithMode(Unified)); err != nil {
		t.Fatalf("New without pids limit = %v", err)
	}
	if _, err := (&Cgroup{id: "c1", mode: Legacy, v1: map[string]string{}}).OpenDir(); !errors.Is(err, ErrUnsupported) {
		t.Errorf("OpenDir on a legacy cgroup = %v, want ErrUnsupported", err)
	}
}

// fakeV1 lays out a v1 root with cpu and cpuacct co-mounted, as systemd
// does, and returns it.
func fakeV1(t *testing.T, hybrid bool) string {
	root := t.TempDir()
	for _, d := range []string{"cpu,cpuacct", "memory", "pids", "freezer", "blkio", "devices"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range []string{"cpu", "cpuacct"} {
		if err := os.Symlink("cpu,cpuacct", filepath.Join(root, l)); err != nil {
			t.Fatal(err)
		}
	}
	if hybrid {
		if err := os.Mkdir(filepath.Join(root, "unified"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestLegacyWrites(t *testing.T) {
	for _, mode := range []Mode{Legacy, Hybrid} {
		t.Run(mode.String(), func(t *testing.T) {
			root := fakeV1(t, mode == Hybrid)
			// Swap accounting on.
			mustWrite(t, filepath.Join(root, "memory/berth/c1/memory.memsw.limit_in_bytes"), "9223372036854771712")
			r := Resources{MemoryLimit: 64 << 20, CPUQuota: 0.5, CPUShares: 512, PidsLimit: 100, Devices: DefaultDevices()}
			cg, err := New("c1", r, WithRoot(root), WithMode(mode))
			if err != nil {
				t.Fatal(err)
			}
			p := cg.Paths()
			cpu := filepath.Join(root, "cpu,cpuacct/berth/c1")
			want := map[string]string{
				"cpu":     cpu,
				"cpuacct": cpu,
				"memory":  filepath.Join(root, "memory/berth/c1"),
				"pids":    filepath.Join(root, "pids/berth/c1"),
				"freezer": filepath.Join(root, "freezer/berth/c1"),
				"blkio":   filepath.Join(root, "blkio/berth/c1"),
				"devices": filepath.Join(root, "devices/berth/c1"),
			}
			if mode == Hybrid {
				want[UnifiedKey] = filepath.Join(root, "unified/berth/c1")
			}
			if !maps.Equal(p, want) {
				t.Fatalf("Paths() = %v, want %v", p, want)
			}
			checkFiles(t, p["memory"], map[string]string{
				"memory.limit_in_bytes":       "67108864",
				"memory.memsw.limit_in_bytes": "134217728",
			})
			checkFiles(t, cpu, map[string]string{
				"cpu.cfs_period_us": "100000",
				"cpu.cfs_quota_us":  "50000",
				"cpu.shares":        "512",
			})
			checkFiles(t, p["pids"], map[string]string{"pids.max": "100"})
			// devices.deny got "a", then each rule went to devices.allow,
			// in order, one write each; the stand-in file collects them.
			var allow strings.Builder
			for _, rule := range DefaultDevices() {
				allow.WriteString(rule.String())
			}
			checkFiles(t, p["devices"], map[string]string{"devices.deny": "a", "devices.allow": allow.String()})

			if err := cg.Add(77); err != nil {
				t.Fatal(err)
			}
			for _, d := range cg.dirs() {
				checkFiles(t, d, map[string]string{"cgroup.procs": "77"})
			}
			if err := cg.Update(Resources{}); err != nil {
				t.Fatal(err)
			}
			checkFiles(t, p["memory"], map[string]string{"memory.limit_in_bytes": "-1", "memory.memsw.limit_in_bytes": "-1"})
			checkFiles(t, cpu, map[string]string{"cpu.cfs_quota_us": "-1", "cpu.shares": "1024"})
			checkFiles(t, p["pids"], map[string]string{"pids.max": "max"})
			checkFiles(t, p["devices"], map[string]string{"devices.allow": "a"})

			if err := cg.Freeze(t.Context()); err != nil {
				t.Fatal(err)
			}
			if f, err := cg.Frozen(); err != nil || !f {
				t.Errorf("Frozen() = %v, %v, want true", f, err)
			}
			if err := cg.Thaw(); err != nil {
				t.Fatal(err)
			}
			checkFiles(t, p["freezer"], map[string]string{"freezer.state": "THAWED"})

			if err := cg.Delete(t.Context()); err != nil {
				t.Fatal(err)
			}
			for k, d := range p {
				if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s directory %s after Delete: %v", k, d, err)
				}
			}
		})
	}
}

func TestParseList(t *testing.T) {
	tests := []struct {
		in   string
		want []int
		ok   bool
	}{
		{"", nil, true},
		{"0", []int{0}, true},
		{"0-3,5", []int{0, 1, 2, 3, 5}, true},
		{"5,0-1,1", []int{0, 1, 5}, true},
		{"3-3", []int{3}, true},
		{"3-1", nil, false},
		{"0-", nil, false},
		{"-1", nil, false},
		{"+1", nil, false},
		{"1,,2", nil, false},
		{"a", nil, false},
		{"0-99999999", nil, false},
	}
	for _, tt := range tests {
		got, err := ParseList(tt.in)
		if tt.ok != (err == nil) || !slices.Equal(got, tt.want) {
			t.Errorf("ParseList(%q) = %v, %v; want %v (ok %v)", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestCheckCpuset(t *testing.T) {
	dir := t.TempDir()
	cpus, nodes := filepath.Join(dir, "cpus"), filepath.Join(dir, "nodes")
	mustWrite(t, cpus, "0-1\n")
	mustWrite(t, nodes, "0\n")
	oldCPUs, oldNodes := onlineCPUs, onlineNodes
	onlineCPUs, onlineNodes = cpus, nodes
	t.Cleanup(func() { onlineCPUs, onlineNodes = oldCPUs, oldNodes })
	tests := []struct{ cpus, mems, err string }{
		{"", "", ""},
		{"0-1", "0", ""},
		{"1", "", ""},
		{"0-2", "", "requested CPUs are not available - requested 0-2, available: 0-1"},
		{"", "1", "requested memory nodes are not available - requested 1, available: 0"},
		{"x", "", "invalid value x for cpuset cpus"},
		{"", "0,", "invalid value 0, for cpuset mems"},
	}
	for _, tt := range tests {
		err := CheckCpuset(tt.cpus, tt.mems)
		if got := fmt.Sprint(err); (tt.err == "" && err != nil) || (tt.err != "" && got != tt.err) {
			t.Errorf("CheckCpuset(%q, %q) = %v, want %q", tt.cpus, tt.mems, err, tt.err)
		}
	}
	// Without NUMA the kernel has no node list: node 0 is all there is.
	onlineNodes = filepath.Join(dir, "missing")
	if err := CheckCpuset("", "0"); err != nil {
		t.Errorf("CheckCpuset(mems 0) without a node list = %v", err)
	}
	if err := CheckCpuset("", "1"); err == nil {
		t.Error("CheckCpuset(mems 1) without a node list = nil, want an error")
	}
}

// TestLegacyCpusetOnDemand checks that a cgroup joins the cpuset
// hierarchy only once its limits name CPUs or nodes, takes its parent's
// lists where they name none, and leaves it with Delete.
func TestLegacyCpusetOnDemand(t *testing.T) {
	root := fakeV1(t, false)
	if err := os.MkdirAll(filepath.Join(root, "cpuset"), 0o755); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(root, "cpuset/cpuset.cpus"), "0-3")
	mustWrite(t, filepath.Join(root, "cpuset/cpuset.mems"), "0-1")
	cg, err := New("c1", Resources{}, WithRoot(root), WithMode(Legacy))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cg.Paths()["cpuset"]; ok {
		t.Fatalf("Paths() = %v, want no cpuset without a cpuset limit", cg.Paths())
	}
	if err := cg.Add(77); err != nil {
		t.Fatal(err)
	}
	if err := cg.Update(Resources{CpusetCPUs: "2"}); err != nil {
		t.Fatal(err)
	}
	d := filepath.Join(root, "cpuset/berth/c1")
	if got := cg.Paths()["cpuset"]; got != d {
		t.Fatalf("cpuset path = %q, want %s", got, d)
	}
	checkFiles(t, filepath.Join(root, "cpuset/berth"), map[string]string{"cpuset.cpus": "0-3", "cpuset.mems": "0-1"})
	// The process already in the cgroup moved into the new directory.
	checkFiles(t, d, map[string]string{"cpuset.cpus": "2", "cpuset.mems": "0-1", "cgroup.procs": "77"})
	l, err := Load("c1", WithRoot(root), WithMode(Legacy))
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Paths()["cpuset"]; got != d {
		t.Errorf("Load: cpuset path = %q, want %s", got, d)
	}
	if err := l.Update(Resources{}); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, d, map[string]string{"cpuset.cpus": "0-3", "cpuset.mems": "0-1"})
	if err := cg.Delete(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stat %s after Delete: %v, want not exist", d, err)
	}
}

func TestLegacySwapOrder(t *testing.T) {
	// Without swap accounting only memory.limit_in_bytes is written.
	root := fakeV1(t, false)
	cg, err := New("c1", Resources{MemoryLimit: 1 << 20, MemorySwap: -1}, WithRoot(root), WithMode(Legacy))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(cg.Paths()["memory"], "memory.memsw.limit_in_bytes")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("memsw written without swap accounting: %v", err)
	}
	checkFiles(t, cg.Paths()["memory"], map[string]string{"memory.limit_in_bytes": "1048576"})
}

func TestDeviceRuleString(t *testing.T) {
	for _, tt := range []struct {
		r    DeviceRule
		want string
	}{
		{DeviceRule{Type: 'c', Major: 1, Minor: 3, Access: "rwm"}, "c 1:3 rwm"},
		{DeviceRule{Type: 'c', Major: 136, Minor: -1, Access: "rwm"}, "c 136:* rwm"},
		{DeviceRule{Type: 'b', Major: -1, Minor: -1, Access: "m"}, "b *:* m"},
		{DeviceRule{Type: 'a', Major: -1, Minor: -1, Access: "rwm"}, "a *:* rwm"},
	} {
		if got := tt.r.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

// TestPrepareThenUpdate checks that Prepare makes the directories without
// writing any limit, and that the first Update then applies the limits
// (and leaves the defaults of fresh directories unwritten) as New would.
func TestPrepareThenUpdate(t *testing.T) {
	root := fakeV1(t, true)
	cg, err := Prepare("c2", WithRoot(root), WithMode(Hybrid))
	if err != nil {
		t.Fatal(err)
	}
	p := cg.Paths()
	for k, d := range p {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s directory after Prepare: %v", k, err)
		}
	}
	for _, f := range []string{"memory.limit_in_bytes", "devices.deny", "devices.allow"} {
		d := p["memory"]
		if strings.HasPrefix(f, "devices") {
			d = p["devices"]
		}
		if _, err := os.Stat(filepath.Join(d, f)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Prepare wrote %s: %v", f, err)
		}
	}
	if err := cg.Update(Resources{MemoryLimit: 32 << 20, Devices: DefaultDevices()}); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, p["memory"], map[string]string{"memory.limit_in_bytes": "33554432"})
	checkFiles(t, p["devices"], map[string]string{"devices.deny": "a"})
	if _, err := os.Stat(filepath.Join(p["pids"], "pids.max")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("first Update wrote pids.max without a pids limit: %v", err)
	}
}

func TestSwappinessAndOOMKillDisable(t *testing.T) {
	swappiness := uint64(10)
	r := Resources{MemorySwappiness: &swappiness, OOMKillDisable: true}
	root := fakeV1(t, true)
	cg, err := New("c1", r, WithRoot(root), WithMode(Hybrid))
	if err != nil {
		t.Fatal(err)
	}
	checkFiles(t, cg.Paths()["memory"], map[string]string{"memory.swappiness": "10", "memory.oom_control": "1"})

	root = t.TempDir()
	mustWrite(t, filepath.Join(root, "cgroup.controllers"), "cpu io memory pids")
	for _, r := range []Resources{{MemorySwappiness: &swappiness}, {OOMKillDisable: true}} {
		if _, err := New("c1", r, WithRoot(root), WithMode(Unified)); !errors.Is(err, ErrUnsupported) {
			t.Errorf("New(%+v) on v2 = %v, want ErrUnsupported", r, err)
		}
	}
	over := uint64(101)
	if err := (Resources{MemorySwappiness: &over}).Validate(); !errors.Is(err, ErrInvalidResources) {
		t.Errorf("Validate of swappiness 101 = %v, want ErrInvalidResources", err)
	}
}
