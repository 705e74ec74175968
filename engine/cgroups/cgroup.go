package cgroups

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DefaultRoot is where the cgroup filesystem is mounted on Linux.
const DefaultRoot = "/sys/fs/cgroup"

// DefaultParent is the directory, in each hierarchy, that holds the
// cgroups of berth's containers.
const DefaultParent = "berth"

// UnifiedKey is the key of the v2 directory in the map returned by
// Cgroup.Paths on Unified and Hybrid hosts.
const UnifiedKey = "unified"

// v1Controllers are the v1 hierarchies a container joins, in the order
// they are created. "systemd" is the controller-less name=systemd
// hierarchy systemd tracks its units with; joining it, as docker does,
// takes the container out of the unit (a login session, say) that started
// it, so stopping that unit does not kill the container.
var v1Controllers = []string{"cpu", "cpuacct", "memory", "pids", "freezer", "blkio", "devices", "systemd"}

// v1OnDemand are the v1 hierarchies a container joins only when its
// limits need them: a new cpuset cgroup has no CPUs until they are copied
// from its parent, work every start would pay for a flag few use.
var v1OnDemand = []string{"cpuset"}

// v2Controllers are the v2 controllers enabled for containers, as written
// to cgroup.subtree_control.
var v2Controllers = []string{"cpu", "cpuset", "io", "memory", "pids"}

// Resources are the limits of a container's cgroup. The zero value sets
// no limit.
type Resources struct {
	// MemoryLimit is the memory limit in bytes (docker --memory); 0 means
	// none. The kernel OOM-kills a process of the container when the
	// container's memory (including kernel memory) cannot be kept below it.
	MemoryLimit int64
	// MemorySwap is the limit of memory plus swap in bytes (docker
	// --memory-swap). 0 means twice MemoryLimit, as docker does; -1 means
	// unlimited swap. A positive value must be at least MemoryLimit, and
	// any non-zero value needs a MemoryLimit. Hosts without swap
	// accounting ignore it, as docker does.
	MemorySwap int64
	// CPUQuota is the CPU bandwidth in CPUs (docker --cpus 1.5): the
	// container gets CPUQuota × 100 ms of CPU time per 100 ms period.
	// 0 means none; otherwise it must be at least 0.01.
	CPUQuota float64
	// CPUShares is the relative CPU weight (docker --cpu-shares,
	// 2..262144); 0 means the default, 1024. On v2 it is converted to
	// cpu.weight as runc does.
	CPUShares int64
	// CFSPeriod and CFSQuota are the CPU bandwidth in microseconds
	// (docker --cpu-period, --cpu-quota): CFSQuota of CPU time per
	// CFSPeriod. A zero period is 100 ms; a quota of 0 or -1 sets none.
	// They cannot be combined with CPUQuota.
	CFSPeriod, CFSQuota int64
	// CpusetCPUs and CpusetMems confine the container to these CPUs and
	// memory nodes (docker --cpuset-cpus 0-2,4, --cpuset-mems), lists in
	// the kernel's format; "" means all of its parent's.
	CpusetCPUs, CpusetMems string
	// MemoryReservation is a soft memory limit in bytes (docker
	// --memory-reservation): under memory pressure the kernel reclaims
	// the container's memory down to it first. 0 means none.
	MemoryReservation int64
	// PidsLimit is the maximum number of processes and threads (docker
	// --pids-limit); 0 and -1 mean unlimited.
	PidsLimit int64
	// Devices, if not nil, is the device allow list: every device node is
	// denied except those matching a rule. nil leaves device access
	// unrestricted, as for --privileged. DefaultDevices returns docker's
	// list. On v2 hosts the list is enforced by an eBPF program attached
	// to the cgroup.
	Devices []DeviceRule
	// MemorySwappiness, if not nil, is how readily the kernel swaps the
	// container's memory out (docker --memory-swappiness, 0..100); v1
	// only.
	MemorySwappiness *uint64
	// OOMKillDisable keeps the kernel from killing the container's
	// processes at its memory limit: they wait for memory instead
	// (docker --oom-kill-disable); v1 only.
	OOMKillDisable bool
	// BlkioWeight is the container's relative share of block I/O (docker
	// --blkio-weight, 10..1000); 0 leaves the weight as it is.
	BlkioWeight uint16
	// BlkioDevices are weights and rate limits of single block devices.
	// A limit, once set, stays until the cgroup is deleted.
	BlkioDevices []BlockLimit
}

// Validate checks that r is in range. It returns ErrInvalidResources.
func (r Resources) Validate() error {
	switch {
	case r.MemoryLimit < 0:
		return fmt.Errorf("memory limit %d: %w", r.MemoryLimit, ErrInvalidResources)
	case r.MemorySwap < -1:
		return fmt.Errorf("memory+swap limit %d: %w", r.MemorySwap, ErrInvalidResources)
	case r.MemorySwap != 0 && r.MemoryLimit == 0:
		return fmt.Errorf("memory+swap limit without a memory limit: %w", ErrInvalidResources)
	case r.MemorySwap > 0 && r.MemorySwap < r.MemoryLimit:
		return fmt.Errorf("memory+swap limit %d below memory limit %d: %w", r.MemorySwap, r.MemoryLimit, ErrInvalidResources)
	case r.CPUQuota < 0 || (r.CPUQuota > 0 && r.CPUQuota < 0.01):
		return fmt.Errorf("cpus %g: %w", r.CPUQuota, ErrInvalidResources)
	case r.CPUShares != 0 && (r.CPUShares < 2 || r.CPUShares > 262144):
		return fmt.Errorf("cpu shares %d: %w", r.CPUShares, ErrInvalidResources)
	case r.CFSPeriod != 0 && (r.CFSPeriod < 1000 || r.CFSPeriod > 1000000):
		return fmt.Errorf("cpu period %d: not between 1000 and 1000000 microseconds: %w", r.CFSPeriod, ErrInvalidResources)
	case r.CFSQuota < -1 || (r.CFSQuota > 0 && r.CFSQuota < 1000):
		return fmt.Errorf("cpu quota %d: less than 1000 microseconds: %w", r.CFSQuota, ErrInvalidResources)
	case r.CPUQuota > 0 && (r.CFSPeriod != 0 || r.CFSQuota > 0):
		return fmt.Errorf("cpus with a cpu period or quota: %w", ErrInvalidResources)
	case r.MemoryReservation < 0:
		return fmt.Errorf("memory reservation %d: %w", r.MemoryReservation, ErrInvalidResources)
	case r.MemoryLimit > 0 && r.MemoryReservation > r.MemoryLimit:
		return fmt.Errorf("memory reservation %d above memory limit %d: %w", r.MemoryReservation, r.MemoryLimit, ErrInvalidResources)
	case r.PidsLimit < -1:
		return fmt.Errorf("pids limit %d: %w", r.PidsLimit, ErrInvalidResources)
	case r.MemorySwappiness != nil && *r.MemorySwappiness > 100:
		return fmt.Errorf("memory swappiness %d: not between 0 and 100: %w", *r.MemorySwappiness, ErrInvalidResources)
	}
	if _, err := ParseList(r.CpusetCPUs); err != nil {
		return fmt.Errorf("cpuset cpus %q: %w", r.CpusetCPUs, ErrInvalidResources)
	}
	if _, err := ParseList(r.CpusetMems); err != nil {
		return fmt.Errorf("cpuset mems %q: %w", r.CpusetMems, ErrInvalidResources)
	}
	for _, d := range r.Devices {
		if err := d.validate(); err != nil {
			return err
		}
	}
	return r.validateBlkio()
}

// memswLimit returns the memory+swap limit to apply: -1 for unlimited.
func (r Resources) memswLimit() int64 {
	switch {
	case r.MemoryLimit == 0 || r.MemorySwap == -1:
		return -1
	case r.MemorySwap == 0:
		return 2 * r.MemoryLimit
	}
	return r.MemorySwap
}

// cfsPeriod is the CFS bandwidth period in microseconds (docker's).
const cfsPeriod = 100000

// cfs returns the CFS period and the quota per period in microseconds,
// -1 for none.
func (r Resources) cfs() (quota, period int64) {
	period = r.CFSPeriod
	if period == 0 {
		period = cfsPeriod
	}
	switch {
	case r.CPUQuota > 0:
		return int64(r.CPUQuota*float64(period) + 0.5), period
	case r.CFSQuota > 0:
		return r.CFSQuota, period
	}
	return -1, period
}

// cpuDefault reports whether r leaves every CPU bandwidth and weight
// setting at the kernel's default.
func (r Resources) cpuDefault() bool {
	return r.CPUQuota == 0 && r.CPUShares == 0 && r.CFSPeriod == 0 && r.CFSQuota <= 0
}

// memoryDefault reports whether r leaves every memory setting at the
// kernel's default.
func (r Resources) memoryDefault() bool {
	return r.MemoryLimit == 0 && r.memswLimit() == -1 && r.MemoryReservation == 0
}

// Option configures New, Load and CleanupOrphans.
type Option func(*options)

type options struct {
	root   string
	mode   Mode
	parent string
}

// WithRoot sets the mount point of the cgroup filesystem (default
// DefaultRoot). Tests point it at a plain directory together with
// WithMode to check the files written.
func WithRoot(dir string) Option {
	return func(o *options) { o.root = dir }
}

// WithMode skips detection and treats the root as the given layout.
func WithMode(m Mode) Option {
	return func(o *options) { o.mode = m }
}

// WithParent sets the name of the directory, in each hierarchy, holding
// the containers' cgroups (default DefaultParent). It must be a single
// path element.
func WithParent(name string) Option {
	return func(o *options) { o.parent = name }
}

func makeOptions(opts []Option) (options, error) {
	o := options{root: DefaultRoot, parent: DefaultParent}
	for _, f := range opts {
		f(&o)
	}
	if err := validateName(o.parent); err != nil {
		return o, fmt.Errorf("cgroup parent %q: %w", o.parent, err)
	}
	if o.mode == 0 {
		m, err := DetectMode(o.root)
		if err != nil {
			return o, err
		}
		o.mode = m
	}
	return o, nil
}

// validateName accepts a single, ordinary path element.
func validateName(s string) error {
	if s == "" || len(s) > 255 || s[0] == '.' {
		return ErrInvalidID
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.'
		if !ok {
			return ErrInvalidID
		}
	}
	return nil
}

// Cgroup is the control group of one container. Its methods are safe for
// concurrent use, but for New and Update, which may add the directory of a
// hierarchy joined on demand (v1OnDemand): the value only records where
// the directories are.
type Cgroup struct {
	id   string
	mode Mode
	// v1 maps a v1 controller name to its directory; co-mounted
	// controllers share one directory.
	v1 map[string]string
	// unified is the v2 directory ("" on Legacy hosts).
	unified string
	// fresh: every directory is new, with the kernel's defaults, and no
	// limits were applied yet (Prepare).
	fresh bool
	// o is where the hierarchies are, for the directories made on demand
	// (v1OnDemand).
	o options
}

// hierarchy is one directory tree a container joins.
type hierarchy struct {
	key  string // controller name, or UnifiedKey
	base string // mount point
	self string // the calling process's cgroup in it, from /proc/self/cgroup
}

// hierarchies lists the mounted hierarchies for o's mode; the v1 ones
// made on demand (v1OnDemand) only with onDemand.
func hierarchies(o options, onDemand bool) ([]hierarchy, error) {
	self := selfCgroups()
	var hs []hierarchy
	if o.mode == Unified {
		if _, err := os.Stat(o.root); err != nil {
			return nil, fmt.Errorf("find cgroup hierarchies in %s: %w", o.root, ErrNoCgroupFS)
		}
		return []hierarchy{{key: UnifiedKey, base: o.root, self: self[""]}}, nil
	}
	controllers := v1Controllers
	if onDemand {
		controllers = slices.Concat(v1Controllers, v1OnDemand)
	}
	for _, c := range controllers {
		if h, ok := v1Hierarchy(o, c, self); ok {
			hs = append(hs, h)
		}
	}
	if o.mode == Hybrid {
		p := filepath.Join(o.root, "unified")
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			hs = append(hs, hierarchy{key: UnifiedKey, base: p, self: self[""]})
		}
	}
	if len(hs) == 0 {
		return nil, fmt.Errorf("find cgroup hierarchies in %s: %w", o.root, ErrNoCgroupFS)
	}
	return hs, nil
}

// v1Hierarchy returns the v1 hierarchy of controller c, if mounted; self
// is the caller's cgroups (selfCgroups).
func v1Hierarchy(o options, c string, self map[string]string) (hierarchy, bool) {
	p, ok := mountDir(filepath.Join(o.root, c))
	if !ok {
		return hierarchy{}, false
	}
	selfKey := c
	if c == "systemd" {
		selfKey = "name=systemd"
	}
	return hierarchy{key: c, base: p, self: self[selfKey]}, true
}

// mountDir resolves p, an entry of the cgroup root, to the directory it
// is or links to: co-mounted v1 controllers (cpu and cpuacct on
// cpu,cpuacct) are symlinks in the root to their shared mount. It
// reports false if p is neither.
func mountDir(p string) (string, bool) {
	fi, err := os.Lstat(p)
	if err != nil {
		return "", false
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		return p, fi.IsDir()
	}
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", false
	}
	if fi, err := os.Stat(r); err != nil || !fi.IsDir() {
		return "", false
	}
	return r, true
}

// parents returns the directories that may hold containers' cgroups in
// h: parent at the root of the hierarchy first, then parent below the
// caller's own cgroup.
func (h hierarchy) parents(parent string) []string {
	p := []string{filepath.Join(h.base, parent)}
	if h.self != "" && h.self != "/" {
		p = append(p, filepath.Join(h.base, h.self, parent))
	}
	return p
}

// candidates returns where container id's directory may be in h, in the
// order of parents.
func (h hierarchy) candidates(parent, id string) []string {
	var c []string
	for _, p := range h.parents(parent) {
		c = append(c, filepath.Join(p, id))
	}
	return c
}

// selfCgroups parses /proc/self/cgroup into controller -> path; the v2
// entry has the key "".
func selfCgroups() map[string]string {
	m := map[string]string{}
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return m
	}
	for line := range strings.Lines(string(b)) {
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			m[""] = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			m[c] = parts[2]
		}
	}
	return m
}

// New creates the cgroup of container id (or adopts it if it exists) and
// applies r. If creating or applying fails, directories New created are
// removed again. It returns ErrInvalidID, ErrInvalidResources,
// ErrNoCgroupFS, or ErrUnsupported when r needs a controller the host
// lacks.
func New(id string, r Resources, opts ...Option) (*Cgroup, error) {
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("create cgroup %s: %w", id, err)
	}
	c, created, err := prepare(id, opts)
	if err != nil {
		return nil, err
	}
	if err := c.apply(r, c.fresh); err != nil {
		removeDirs(created)
		return nil, fmt.Errorf("create cgroup %s: %w", id, err)
	}
	c.fresh = false
	return c, nil
}

// Prepare creates the cgroup of container id (or adopts it if it exists)
// without applying any limit: a process can join it (CLONE_INTO_CGROUP)
// while its limits are still being worked out, and the first Update
// applies them as New would. It returns the errors New returns.
func Prepare(id string, opts ...Option) (*Cgroup, error) {
	c, _, err := prepare(id, opts)
	return c, err
}

func prepare(id string, opts []Option) (c *Cgroup, created []string, err error) {
	if err := validateName(id); err != nil {
		return nil, nil, fmt.Errorf("create cgroup %q: %w", id, err)
	}
	o, err := makeOptions(opts)
	if err != nil {
		return nil, nil, fmt.Errorf("create cgroup %s: %w", id, err)
	}
	hs, err := hierarchies(o, false)
	if err != nil {
		return nil, nil, fmt.Errorf("create cgroup %s: %w", id, err)
	}
	c = &Cgroup{id: id, mode: o.mode, v1: map[string]string{}, fresh: true, o: o}
	for _, h := range hs {
		dir, made, err := makeDir(h, o, id)
		if err != nil {
			removeDirs(created)
			return nil, nil, fmt.Errorf("create cgroup %s: %w", id, err)
		}
		if made {
			created = append(created, dir)
		} else if !slices.Contains(created, dir) { // not co-mounted with one made here
			c.fresh = false
		}
		if h.key == UnifiedKey {
			c.unified = dir
		} else {
			c.v1[h.key] = dir
		}
	}
	return c, created, nil
}

// removeDirs removes the directories a failed New or Prepare created.
// Nothing has joined the cgroup yet, so nothing can keep them busy for
// long.
func removeDirs(created []string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for _, d := range slices.Backward(created) {
		_ = removeTree(ctx, d)
	}
}

// makeDir creates the container's directory in h, trying each candidate
// location in turn when the previous one is not writable.
func makeDir(h hierarchy, o options, id string) (dir string, made bool, err error) {
	var first error
	for _, d := range h.candidates(o.parent, id) {
		made, err := mkdirCgroup(h, o, d)
		if err == nil {
			return d, made, nil
		}
		if first == nil {
			first = err
		}
		if !errors.Is(err, fs.ErrPermission) && !errors.Is(err, syscall.EROFS) {
			break
		}
	}
	return "", false, first
}

// mkdirCgroup creates the parent and the container directory d. On v2 it
// first enables the container controllers for the children of every level
// it creates below the hierarchy's base, as the kernel requires.
func mkdirCgroup(h hierarchy, o options, d string) (bool, error) {
	parent := filepath.Dir(d)
	if o.mode == Unified {
		if err := enableControllers(h.base, parent); err != nil {
			return false, err
		}
	} else if err := os.MkdirAll(parent, 0o755); err != nil {
		return false, fmt.Errorf("make cgroup parent: %w", err)
	}
	err := os.Mkdir(d, 0o755)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("make cgroup directory: %w", err)
	}
	return true, nil
}

// enableControllers creates every directory from base down to dir and
// writes the wanted available controllers into the cgroup.subtree_control
// of each level above the container. The controllers available at a level
// are those its parent enables; the base lists them in cgroup.controllers.
func enableControllers(base, dir string) error {
	rel, err := filepath.Rel(base, dir)
	if err != nil {
		return fmt.Errorf("enable cgroup controllers: %w", err)
	}
	levels := []string{base}
	if rel != "." {
		cur := base
		for _, el := range strings.Split(rel, string(filepath.Separator)) {
			cur = filepath.Join(cur, el)
			levels = append(levels, cur)
		}
	}
	avail, err := readFields(filepath.Join(base, "cgroup.controllers"))
	if err != nil {
		return fmt.Errorf("enable cgroup controllers in %s: %w", base, err)
	}
	for i, l := range levels {
		if i > 0 {
			if err := os.Mkdir(l, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("make cgroup parent: %w", err)
			}
		}
		on := subtreeControl(l)
		var want []string
		for _, c := range v2Controllers {
			if slices.Contains(avail, c) && !slices.Contains(on, c) {
				want = append(want, "+"+c)
			}
		}
		if len(want) > 0 {
			if err := writeFile(l, "cgroup.subtree_control", strings.Join(want, " ")); err != nil {
				// One controller may be refused (a threaded subtree,
				// say); enable the others one by one. A missing
				// controller is reported when a limit needs it.
				for _, w := range want {
					_ = writeFile(l, "cgroup.subtree_control", w)
				}
			}
			on = subtreeControl(l)
		}
		avail = on
	}
	return nil
}

// subtreeControl reads the controllers dir enables for its children.
func subtreeControl(dir string) []string {
	f, _ := readFields(filepath.Join(dir, "cgroup.subtree_control"))
	for i := range f {
		f[i] = strings.TrimPrefix(f[i], "+")
	}
	return f
}

// Load finds the existing cgroup of container id. It returns ErrNotExist
// if none of the hierarchies holds it, and ErrInvalidID.
func Load(id string, opts ...Option) (*Cgroup, error) {
	if err := validateName(id); err != nil {
		return nil, fmt.Errorf("load cgroup %q: %w", id, err)
	}
	o, err := makeOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("load cgroup %s: %w", id, err)
	}
	hs, err := hierarchies(o, true)
	if err != nil {
		return nil, fmt.Errorf("load cgroup %s: %w", id, err)
	}
	c := &Cgroup{id: id, mode: o.mode, v1: map[string]string{}, o: o}
	found := false
	for _, h := range hs {
		for _, d := range h.candidates(o.parent, id) {
			if fi, err := os.Stat(d); err == nil && fi.IsDir() {
				found = true
				if h.key == UnifiedKey {
					c.unified = d
				} else {
					c.v1[h.key] = d
				}
				break
			}
		}
	}
	if !found {
		return nil, fmt.Errorf("load cgroup %s: %w", id, ErrNotExist)
	}
	return c, nil
}

// ID returns the container id the cgroup belongs to.
func (c *Cgroup) ID() string { return c.id }

// Mode returns the cgroup layout of the host.
func (c *Cgroup) Mode() Mode { return c.mode }

// Paths returns the cgroup's directories: v1 controller name -> directory
// (co-mounted controllers share one; "systemd" is the name=systemd
// hierarchy), plus UnifiedKey -> the v2 directory on Unified and Hybrid
// hosts. The map is a copy.
func (c *Cgroup) Paths() map[string]string {
	m := make(map[string]string, len(c.v1)+1)
	for k, v := range c.v1 {
		m[k] = v
	}
	if c.unified != "" {
		m[UnifiedKey] = c.unified
	}
	return m
}

// dirs returns every distinct directory of the cgroup, v1 first.
func (c *Cgroup) dirs() []string {
	var ds []string
	for _, k := range slices.Concat(v1Controllers, v1OnDemand) {
		if d, ok := c.v1[k]; ok && !slices.Contains(ds, d) {
			ds = append(ds, d)
		}
	}
	if c.unified != "" {
		ds = append(ds, c.unified)
	}
	return ds
}

// Add moves process pid (all its threads) into the cgroup in every
// hierarchy. Children the process forks afterwards start inside. To have
// a container's init limited from its first instruction, start it blocked
// (on a sync pipe), Add it, then release it.
func (c *Cgroup) Add(pid int) error {
	if pid <= 0 {
		return fmt.Errorf("add process %d to cgroup %s: %w", pid, c.id, syscall.ESRCH)
	}
	for _, d := range c.dirs() {
		if err := writeFile(d, "cgroup.procs", strconv.Itoa(pid)); err != nil {
			return fmt.Errorf("add process %d to cgroup %s: %w", pid, c.id, gone(err))
		}
	}
	return nil
}

// Update applies r in place of the current limits: a zero field removes
// its limit, so callers merge a partial update (docker update) with the
// container's stored resources first. It returns ErrInvalidResources,
// ErrUnsupported, or the kernel's refusal (EBUSY for a memory limit
// below current usage that cannot be reclaimed).
func (c *Cgroup) Update(r Resources) error {
	if err := r.Validate(); err != nil {
		return fmt.Errorf("update cgroup %s: %w", c.id, err)
	}
	if err := c.apply(r, c.fresh); err != nil {
		return fmt.Errorf("update cgroup %s: %w", c.id, gone(err))
	}
	c.fresh = false
	return nil
}

// apply writes r to the control files. With fresh (directories New has
// just made, which hold the kernel's defaults: no memory, CPU or pids
// limit, the default CPU weight) the limits r leaves at their defaults
// are not written again.
func (c *Cgroup) apply(r Resources, fresh bool) error {
	if c.mode == Unified {
		return c.applyV2(r, fresh)
	}
	return c.applyV1(r, fresh)
}
