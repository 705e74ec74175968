package cgroups

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Stats is a snapshot of a cgroup's resource usage, in the units docker's
// stats API uses. Counters are cumulative; rates come from two snapshots
// (CPUPercent).
type Stats struct {
	// Read is when the snapshot was taken.
	Read time.Time
	// CPU is the CPU time used.
	CPU CPUStats
	// Memory is the memory in use and the limit.
	Memory MemoryStats
	// Pids counts the processes and threads.
	Pids PidsStats
	// BlkIO is the block device I/O.
	BlkIO BlkIOStats
}

// CPUStats is cumulative CPU time.
type CPUStats struct {
	// UsageNanos is the CPU time used by the cgroup's processes.
	UsageNanos uint64
	// UserNanos and SystemNanos split UsageNanos into user and kernel
	// mode (v1 counts them in clock ticks, so they are coarser).
	UserNanos, SystemNanos uint64
	// SystemUsageNanos is the CPU time of the whole host, all CPUs,
	// since boot, from /proc/stat (docker's system_cpu_usage).
	SystemUsageNanos uint64
	// OnlineCPUs is the number of CPUs online on the host.
	OnlineCPUs int
}

// MemoryStats is the cgroup's memory use.
type MemoryStats struct {
	// Usage is the memory in use as docker stats shows it: RawUsage
	// minus InactiveFile (page cache the kernel can drop at once).
	Usage uint64
	// RawUsage is the kernel's count (memory.usage_in_bytes,
	// memory.current), page cache included.
	RawUsage uint64
	// InactiveFile is the inactive file cache (v1 total_inactive_file,
	// v2 inactive_file).
	InactiveFile uint64
	// Limit is the memory limit, or the host's total memory if the
	// cgroup has none (as docker stats shows it).
	Limit uint64
	// Limited reports whether the cgroup has a limit of its own.
	Limited bool
}

// Percent returns Usage as a percentage of Limit (docker's MEM %).
func (m MemoryStats) Percent() float64 {
	if m.Limit == 0 {
		return 0
	}
	return float64(m.Usage) / float64(m.Limit) * 100
}

// PidsStats counts the cgroup's tasks.
type PidsStats struct {
	// Current is the number of processes and threads.
	Current uint64
	// Limit is pids.max; 0 means unlimited.
	Limit uint64
}

// BlkIOStats is the cgroup's block device I/O, summed over devices.
type BlkIOStats struct {
	// ReadBytes and WriteBytes are bytes transferred to and from block
	// devices (page cache hits and not yet written back data excluded).
	ReadBytes, WriteBytes uint64
}

// CPUPercent computes docker's CPU % between two snapshots of the same
// cgroup: the cgroup's share of the host's CPU time over the interval,
// scaled by the number of CPUs, so one busy CPU reads 100 and two read
// 200. It returns 0 when either delta is not positive (the first sample,
// or a counter reset by a restart).
func CPUPercent(prev, cur Stats) float64 {
	if cur.CPU.UsageNanos <= prev.CPU.UsageNanos || cur.CPU.SystemUsageNanos <= prev.CPU.SystemUsageNanos {
		return 0
	}
	cpu := float64(cur.CPU.UsageNanos - prev.CPU.UsageNanos)
	sys := float64(cur.CPU.SystemUsageNanos - prev.CPU.SystemUsageNanos)
	n := cur.CPU.OnlineCPUs
	if n == 0 {
		n = 1
	}
	return cpu / sys * float64(n) * 100
}

// clockTicks is USER_HZ, the unit of /proc/stat and cpuacct.stat; it is
// 100 on every Linux architecture berth runs on.
const clockTicks = 100

// nanosPerTick converts USER_HZ ticks to nanoseconds.
const nanosPerTick = uint64(time.Second) / clockTicks

// Stats reads the cgroup's usage counters. Counters of controllers the
// host lacks read as zero. It returns ErrNotExist if the cgroup is gone.
func (c *Cgroup) Stats() (Stats, error) {
	st := Stats{Read: time.Now()}
	if _, err := os.Stat(c.procsDir()); err != nil {
		return st, fmt.Errorf("read stats of cgroup %s: %w", c.id, ErrNotExist)
	}
	var err error
	if c.mode == Unified {
		err = c.statsV2(&st)
	} else {
		err = c.statsV1(&st)
	}
	if err == nil {
		err = readHostStats(&st)
	}
	if err != nil {
		return st, fmt.Errorf("read stats of cgroup %s: %w", c.id, err)
	}
	return st, nil
}

// missing tolerates a control file that does not exist.
func missing(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func (c *Cgroup) statsV1(st *Stats) error {
	if d, ok := c.v1["cpuacct"]; ok {
		v, err := readUint(filepath.Join(d, "cpuacct.usage"))
		if err := missing(err); err != nil {
			return err
		}
		st.CPU.UsageNanos = v
		kv, err := readKeyValues(filepath.Join(d, "cpuacct.stat"))
		if err := missing(err); err != nil {
			return err
		}
		st.CPU.UserNanos = kv["user"] * nanosPerTick
		st.CPU.SystemNanos = kv["system"] * nanosPerTick
	} else if c.unified != "" {
		// cpu.stat is a core v2 file, present without the controller.
		if err := cpuStatV2(c.unified, st); err != nil {
			return err
		}
	}
	if d, ok := c.v1["memory"]; ok {
		raw, err := readUint(filepath.Join(d, "memory.usage_in_bytes"))
		if err := missing(err); err != nil {
			return err
		}
		kv, err := readKeyValues(filepath.Join(d, "memory.stat"))
		if err := missing(err); err != nil {
			return err
		}
		limit, err := readUint(filepath.Join(d, "memory.limit_in_bytes"))
		if err := missing(err); err != nil {
			return err
		}
		st.Memory = memoryStats(raw, kv["total_inactive_file"], limit)
	}
	if d, ok := c.v1["pids"]; ok {
		if err := pidsStats(d, st); err != nil {
			return err
		}
	}
	if d, ok := c.v1["blkio"]; ok {
		for _, name := range []string{"blkio.throttle.io_service_bytes_recursive", "blkio.throttle.io_service_bytes"} {
			f, err := os.Open(filepath.Join(d, name))
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return err
			}
			st.BlkIO, err = parseBlkioV1(f)
			f.Close()
			if err != nil {
				return err
			}
			break
		}
	}
	return nil
}

func (c *Cgroup) statsV2(st *Stats) error {
	d := c.unified
	if err := cpuStatV2(d, st); err != nil {
		return err
	}
	raw, err := readUint(filepath.Join(d, "memory.current"))
	if err := missing(err); err != nil {
		return err
	}
	if err == nil {
		kv, err := readKeyValues(filepath.Join(d, "memory.stat"))
		if err := missing(err); err != nil {
			return err
		}
		limit, err := readUint(filepath.Join(d, "memory.max"))
		if err := missing(err); err != nil {
			return err
		}
		st.Memory = memoryStats(raw, kv["inactive_file"], limit)
	}
	if err := pidsStats(d, st); err != nil {
		return err
	}
	f, err := os.Open(filepath.Join(d, "io.stat"))
	if err := missing(err); err != nil {
		return err
	}
	if err == nil {
		defer f.Close()
		st.BlkIO, err = parseIOStatV2(f)
		if err != nil {
			return err
		}
	}
	return nil
}

func cpuStatV2(d string, st *Stats) error {
	kv, err := readKeyValues(filepath.Join(d, "cpu.stat"))
	if err := missing(err); err != nil {
		return err
	}
	st.CPU.UsageNanos = kv["usage_usec"] * 1000
	st.CPU.UserNanos = kv["user_usec"] * 1000
	st.CPU.SystemNanos = kv["system_usec"] * 1000
	return nil
}

// memoryStats applies docker's convention: usage without inactive file
// cache, and "no limit" shown as the host's memory (filled in later).
func memoryStats(raw, inactive, limit uint64) MemoryStats {
	m := MemoryStats{RawUsage: raw, InactiveFile: inactive, Usage: raw}
	if inactive < raw {
		m.Usage = raw - inactive
	}
	// v1 reports "no limit" as the largest page-aligned int64.
	if limit != maxValue && limit < 1<<62 {
		m.Limit = limit
		m.Limited = true
	}
	return m
}

func pidsStats(d string, st *Stats) error {
	cur, err := readUint(filepath.Join(d, "pids.current"))
	if err := missing(err); err != nil {
		return err
	}
	max, err := readUint(filepath.Join(d, "pids.max"))
	if err := missing(err); err != nil {
		return err
	}
	st.Pids.Current = cur
	if max != maxValue {
		st.Pids.Limit = max
	}
	return nil
}

// parseBlkioV1 sums blkio.throttle.io_service_bytes lines "MAJ:MIN Read N".
func parseBlkioV1(r io.Reader) (BlkIOStats, error) {
	var b BlkIOStats
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 {
			continue
		}
		v, err := strconv.ParseUint(f[2], 10, 64)
		if err != nil {
			continue
		}
		switch f[1] {
		case "Read":
			b.ReadBytes += v
		case "Write":
			b.WriteBytes += v
		}
	}
	return b, sc.Err()
}

// parseIOStatV2 sums io.stat lines "MAJ:MIN rbytes=N wbytes=N ...".
func parseIOStatV2(r io.Reader) (BlkIOStats, error) {
	var b BlkIOStats
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		for _, kv := range f[min(1, len(f)):] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				continue
			}
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				continue
			}
			switch k {
			case "rbytes":
				b.ReadBytes += n
			case "wbytes":
				b.WriteBytes += n
			}
		}
	}
	return b, sc.Err()
}

// readHostStats fills in the host's CPU time and CPU count from
// /proc/stat, and the memory limit of an unlimited cgroup from
// /proc/meminfo.
func readHostStats(st *Stats) error {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return err
	}
	defer f.Close()
	st.CPU.SystemUsageNanos, st.CPU.OnlineCPUs, err = parseProcStat(f)
	if err != nil {
		return err
	}
	if !st.Memory.Limited {
		total, err := hostMemory()
		if err != nil {
			return err
		}
		st.Memory.Limit = total
	}
	return nil
}

// parseProcStat returns the host's total CPU time in nanoseconds as
// docker computes it (user+nice+system+idle+iowait+irq+softirq of the
// "cpu" line) and the number of "cpuN" lines (online CPUs).
func parseProcStat(r io.Reader) (uint64, int, error) {
	var total uint64
	cpus := 0
	seen := false
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || !strings.HasPrefix(f[0], "cpu") {
			continue
		}
		if f[0] != "cpu" {
			cpus++
			continue
		}
		if len(f) < 8 {
			return 0, 0, fmt.Errorf("parse /proc/stat: short cpu line")
		}
		for _, s := range f[1:8] {
			v, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return 0, 0, fmt.Errorf("parse /proc/stat: %w", err)
			}
			total += v
		}
		seen = true
	}
	if err := sc.Err(); err != nil {
		return 0, 0, err
	}
	if !seen {
		return 0, 0, fmt.Errorf("parse /proc/stat: no cpu line")
	}
	return total * nanosPerTick, cpus, nil
}

// hostMemory returns MemTotal from /proc/meminfo in bytes.
func hostMemory() (uint64, error) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "MemTotal:" {
			kb, err := strconv.ParseUint(f[1], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parse /proc/meminfo: %w", err)
			}
			return kb * 1024, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("parse /proc/meminfo: no MemTotal")
}

// OOMKilled reports whether the kernel has OOM-killed a process of the
// cgroup because of its memory limit (docker's State.OOMKilled). Read it
// after the container exits and before Delete. It uses the oom_kill
// counter (v1 memory.oom_control, Linux 4.13+; v2 memory.events) and on
// older v1 kernels memory.failcnt, which also counts reclaim that
// succeeded. A cgroup without a memory controller reports false.
func (c *Cgroup) OOMKilled() (bool, error) {
	n, err := c.oomKills()
	if err != nil {
		return false, fmt.Errorf("read oom kills of cgroup %s: %w", c.id, err)
	}
	return n > 0, nil
}

func (c *Cgroup) oomKills() (uint64, error) {
	if c.mode == Unified {
		kv, err := readKeyValues(filepath.Join(c.unified, "memory.events"))
		if errors.Is(err, fs.ErrNotExist) {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		return kv["oom_kill"], nil
	}
	d, ok := c.v1["memory"]
	if !ok {
		return 0, nil
	}
	kv, err := readKeyValues(filepath.Join(d, "memory.oom_control"))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, ErrNotExist
		}
		return 0, err
	}
	if n, ok := kv["oom_kill"]; ok {
		return n, nil
	}
	return readUint(filepath.Join(d, "memory.failcnt"))
}
