package engine

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// initSpec is everything a container's init needs, resolved by the monitor
// to host paths and final values, and sent to the init over its sync
// socket. The init never reads the store.
type initSpec struct {
	// Root is the store root; Lower entries are relative to it, which
	// keeps the overlay mount options short.
	Root string `json:"root"`
	// Lower are the overlay lower directories, top first.
	Lower  []string `json:"lower"`
	Upper  string   `json:"upper"`
	Work   string   `json:"work"`
	Rootfs string   `json:"rootfs"`

	Args       []string    `json:"args"`
	Env        []string    `json:"env"`
	Cwd        string      `json:"cwd"`
	User       string      `json:"user"`
	Hostname   string      `json:"hostname"`
	Tty        bool        `json:"tty"`
	NewNet     bool        `json:"newNet"`
	CgroupNS   bool        `json:"cgroupNS"`
	ReadOnly   bool        `json:"readOnly"`
	Privileged bool        `json:"privileged"`
	Caps       []string    `json:"caps"`
	Mounts     []specMount `json:"mounts"`
	Masked     []string    `json:"masked"`
	ReadOnlyP  []string    `json:"readOnlyPaths"`
	NoFile     uint64      `json:"noFile"`
	// WaitRelease makes the init report Ready just before it execs the
	// container's process and wait for the monitor's release: the
	// monitor applies the limits a multi-threaded Go process cannot start
	// under (a pids limit below its thread count) only then, as runc does
	// on its procReady.
	WaitRelease bool `json:"waitRelease,omitempty"`
	// CgroupTasks are the container's cgroup v1 directories, which the
	// init's thread joins itself (see joinCgroups).
	CgroupTasks []string `json:"cgroupTasks,omitempty"`
}

// specMount is one mount the init makes inside the rootfs before
// pivot_root.
type specMount struct {
	// Type is "bind" or "tmpfs".
	Type   string `json:"type"`
	Source string `json:"source,omitempty"`
	Dest   string `json:"dest"`
	RO     bool   `json:"ro,omitempty"`
	// Data holds tmpfs options.
	Data string `json:"data,omitempty"`
}

// initMsg is what the init reports to the monitor over the sync socket. A
// message with PTY set carries the PTY master as SCM_RIGHTS; a message
// with Error set ends the start: Code is docker's exit code (125 engine
// error, 126 cannot execute, 127 not found). With the spec's WaitRelease,
// a message with Ready set says the init is about to exec and waits for
// one byte (initRelease) from the monitor. When the init execs the
// container's process the socket closes (it is close-on-exec), which is
// how the monitor learns the start succeeded.
type initMsg struct {
	PTY   bool   `json:"pty,omitempty"`
	Ready bool   `json:"ready,omitempty"`
	Code  int    `json:"code,omitempty"`
	Error string `json:"error,omitempty"`
}

// initRelease is the byte the monitor sends a Ready init to let it exec.
const initRelease = 'r'

// maskedPaths are covered (with /dev/null or an empty read-only tmpfs) in
// every unprivileged container, as docker does.
var maskedPaths = []string{
	"/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys",
	"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
	"/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
}

// readOnlyPaths are remounted read-only in every unprivileged container.
var readOnlyPaths = []string{
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
}

// defaultPath is the PATH a container gets when neither the image nor the
// user sets one.
const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// initSpec builds the init's spec for one start of container rec.
func (e *Engine) initSpec(rec *containerRecord, newNet bool) (*initSpec, error) {
	p := e.st.Container(rec.ID)
	root := e.st.Root()
	rel := func(path string) (string, error) {
		r, err := filepath.Rel(root, path)
		if err != nil || strings.HasPrefix(r, "..") {
			return "", fmt.Errorf("layer %s is outside the store", path)
		}
		return r, nil
	}
	init, err := rel(filepath.Join(p.Dir, initLayerDir))
	if err != nil {
		return nil, err
	}
	lower := []string{init}
	for i := len(rec.Layers) - 1; i >= 0; i-- {
		l, err := rel(e.st.LayerDir(rec.Layers[i]))
		if err != nil {
			return nil, err
		}
		lower = append(lower, l)
	}
	caps, err := containerCaps(rec.HostConfig.Privileged, rec.HostConfig.CapAdd, rec.HostConfig.CapDrop)
	if err != nil {
		return nil, err
	}
	env := []string{"HOSTNAME=" + rec.Config.Hostname}
	if rec.Config.Tty {
		env = append(env, "TERM=xterm")
	}
	env = mergeEnv(env, rec.Config.Env)
	s := &initSpec{
		Root:       root,
		Lower:      lower,
		Upper:      p.Upper,
		Work:       p.Work,
		Rootfs:     p.Merged,
		Args:       append([]string{rec.Path}, rec.Args...),
		Env:        env,
		Cwd:        rec.Config.WorkingDir,
		User:       rec.Config.User,
		Hostname:   rec.Config.Hostname,
		Tty:        rec.Config.Tty,
		NewNet:     newNet,
		CgroupNS:   cgroupNSAvailable(),
		ReadOnly:   rec.HostConfig.ReadonlyRootfs,
		Privileged: rec.HostConfig.Privileged,
		Caps:       caps,
		NoFile:     1 << 20,
	}
	if !s.Privileged {
		s.Masked, s.ReadOnlyP = maskedPaths, readOnlyPaths
	}
	for _, m := range rec.Mounts {
		switch m.Type {
		case "bind", "volume":
			s.Mounts = append(s.Mounts, specMount{Type: "bind", Source: m.Source, Dest: m.Destination, RO: !m.RW})
		case "tmpfs":
			s.Mounts = append(s.Mounts, specMount{Type: "tmpfs", Dest: m.Destination, RO: !m.RW, Data: m.Options})
		}
	}
	// Mount parents before children.
	sort.SliceStable(s.Mounts, func(i, j int) bool {
		return strings.Count(path.Clean(s.Mounts[i].Dest), "/") < strings.Count(path.Clean(s.Mounts[j].Dest), "/")
	})
	user := map[string]bool{}
	for _, m := range s.Mounts {
		user[path.Clean(m.Dest)] = true
	}
	for _, f := range []struct{ src, dst string }{
		{p.Hosts, "/etc/hosts"}, {p.Hostname, "/etc/hostname"}, {p.ResolvConf, "/etc/resolv.conf"},
	} {
		if !user[f.dst] {
			s.Mounts = append(s.Mounts, specMount{Type: "bind", Source: f.src, Dest: f.dst, RO: s.ReadOnly})
		}
	}
	return s, nil
}

// cgroupNSAvailable reports whether the kernel has cgroup namespaces.
func cgroupNSAvailable() bool {
	_, err := os.Stat("/proc/self/ns/cgroup")
	return err == nil
}
