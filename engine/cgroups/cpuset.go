package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// maxListMember bounds the numbers of a CPU or memory node list, far above
// any machine's, so that a typing slip ("0-99999999") is an error rather
// than a huge allocation.
const maxListMember = 1 << 16

// ParseList parses a list in the kernel's format, as cpuset.cpus takes it
// ("0-3,5"), into its members in ascending order; "" is the empty list.
func ParseList(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	num := func(t string) (int, error) {
		if t == "" || strings.TrimLeft(t, "0123456789") != "" {
			return 0, fmt.Errorf("parse list %q: %q is not a number", s, t)
		}
		n, err := strconv.Atoi(t)
		if err != nil || n > maxListMember {
			return 0, fmt.Errorf("parse list %q: %s is out of range", s, t)
		}
		return n, nil
	}
	var out []int
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := num(lo)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = num(hi); err != nil {
				return nil, err
			}
			if b < a {
				return nil, fmt.Errorf("parse list %q: range %s is backwards", s, part)
			}
		}
		for n := a; n <= b; n++ {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Host files listing the CPUs and memory nodes that are online.
var (
	onlineCPUs  = "/sys/devices/system/cpu/online"
	onlineNodes = "/sys/devices/system/node/online"
)

// CheckCpuset checks that the lists of CPUs and memory nodes a container
// asks for (Resources.CpusetCPUs, CpusetMems) parse and name only CPUs and
// nodes that are online on this host. Its errors read as docker's.
func CheckCpuset(cpus, mems string) error {
	if err := checkList(cpus, "cpus", "CPUs", onlineCPUs); err != nil {
		return err
	}
	return checkList(mems, "mems", "memory nodes", onlineNodes)
}

func checkList(list, key, what, onlineFile string) error {
	want, err := ParseList(list)
	if err != nil {
		return fmt.Errorf("invalid value %s for cpuset %s", list, key)
	}
	if len(want) == 0 {
		return nil
	}
	online, err := readString(onlineFile)
	if errors.Is(err, os.ErrNotExist) && key == "mems" {
		// A kernel without NUMA support has the one node, 0.
		online, err = "0", nil
	}
	if err != nil {
		// The kernel refuses a missing one when the cgroup is set.
		return nil
	}
	have, err := ParseList(online)
	if err != nil {
		return nil
	}
	for _, n := range want {
		if !slices.Contains(have, n) {
			return fmt.Errorf("requested %s are not available - requested %s, available: %s", what, list, online)
		}
	}
	return nil
}

// cpusetFiles are the v1 cpuset files a new cgroup starts with empty and
// that must be set before a process can join it.
var cpusetFiles = []string{"cpuset.cpus", "cpuset.mems"}

// setCpusetV1 confines the cgroup to r's CPUs and memory nodes. A cgroup
// without a cpuset directory (v1OnDemand) gets one when r names CPUs or
// nodes; the processes already in the cgroup (berth update of a running
// container) move into it. Back to "" the directory stays, with all of its
// parent's CPUs and nodes.
func (c *Cgroup) setCpusetV1(r Resources, fresh bool) error {
	d, made := c.v1["cpuset"], false
	if d == "" {
		if r.CpusetCPUs == "" && r.CpusetMems == "" {
			return nil
		}
		h, ok := v1Hierarchy(c.o, "cpuset", selfCgroups())
		if !ok {
			return fmt.Errorf("cpuset controller: %w", ErrUnsupported)
		}
		var err error
		if d, made, err = makeDir(h, c.o, c.id); err != nil {
			return fmt.Errorf("make cpuset cgroup: %w", err)
		}
		if err := inheritCpusets(h.base, d); err != nil {
			if made {
				removeDirs([]string{d})
			}
			return err
		}
		c.v1["cpuset"] = d
	}
	for i, v := range []string{r.CpusetCPUs, r.CpusetMems} {
		name := cpusetFiles[i]
		if v == "" {
			parent, err := readString(filepath.Join(filepath.Dir(d), name))
			if err != nil {
				// A stand-in root has no parent's value to take.
				continue
			}
			v = parent
		}
		if err := writeFile(d, name, v); err != nil {
			return fmt.Errorf("set %s: %w", name, err)
		}
	}
	if made && !fresh {
		return c.moveProcs(d)
	}
	return nil
}

// inheritCpusets gives every directory from below base down to dir that
// has no CPUs or memory nodes yet those of its parent, as the kernel
// requires before a process can join.
func inheritCpusets(base, dir string) error {
	rel, err := filepath.Rel(base, dir)
	if err != nil {
		return fmt.Errorf("set cpuset: %w", err)
	}
	cur := base
	for el := range strings.SplitSeq(rel, string(filepath.Separator)) {
		cur = filepath.Join(cur, el)
		for _, name := range cpusetFiles {
			// A stand-in root has no file yet: it reads as empty.
			if own, _ := readString(filepath.Join(cur, name)); own != "" {
				continue
			}
			parent, err := readString(filepath.Join(filepath.Dir(cur), name))
			if err != nil {
				continue
			}
			if err := writeFile(cur, name, parent); err != nil {
				return fmt.Errorf("set %s of %s: %w", name, cur, err)
			}
		}
	}
	return nil
}

// moveProcs moves the cgroup's processes into dir, a directory made after
// they joined the others. A process may fork while the others move, so it
// goes over them again until a pass finds none left out (at most ten).
func (c *Cgroup) moveProcs(dir string) error {
	src := c.procsDir()
	for range 10 {
		pids, err := readFields(filepath.Join(src, "cgroup.procs"))
		if err != nil {
			return fmt.Errorf("move processes to %s: %w", dir, gone(err))
		}
		// Read as empty when missing: a stand-in root has no file yet.
		in, _ := readFields(filepath.Join(dir, "cgroup.procs"))
		moved := 0
		for _, pid := range pids {
			if slices.Contains(in, pid) {
				continue
			}
			if err := writeFile(dir, "cgroup.procs", pid); err != nil && !errors.Is(err, syscall.ESRCH) {
				return fmt.Errorf("move process %s to %s: %w", pid, dir, err)
			}
			moved++
		}
		if moved == 0 {
			return nil
		}
	}
	return nil
}
