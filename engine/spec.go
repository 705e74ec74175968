package engine

import (
	"context"
	"debug/elf"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/engine/cgroups"
	"github.com/berth-dev/berth/engine/launch"
)

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

// launchSpec builds what launch.Start needs for one start of container
// rec.
func (e *Engine) launchSpec(rec *containerRecord) (*launch.Spec, error) {
	p := e.st.Container(rec.ID)
	root := e.st.Root()
	rel := func(path string) (string, error) {
		r, err := filepath.Rel(root, path)
		if err != nil || strings.HasPrefix(r, "..") {
			return "", fmt.Errorf("layer %s is outside the store", path)
		}
		return r, nil
	}
	initDir, err := e.initLayer(rec.ID)
	if err != nil {
		return nil, err
	}
	init, err := rel(initDir)
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
	s := &launch.Spec{
		Root:        root,
		Lower:       lower,
		Upper:       p.Upper,
		Work:        p.Work,
		Rootfs:      p.Merged,
		Volatile:    rec.HostConfig.AutoRemove,
		Args:        append([]string{rec.Path}, rec.Args...),
		Env:         env,
		Cwd:         rec.Config.WorkingDir,
		User:        rec.Config.User,
		Hostname:    rec.Config.Hostname,
		Domainname:  rec.Config.Domainname,
		Tty:         rec.Config.Tty,
		TtySize:     [2]uint16{uint16(rec.HostConfig.ConsoleSize[0]), uint16(rec.HostConfig.ConsoleSize[1])},
		CgroupNS:    cgroupNSAvailable(),
		Cgroupfs:    cgroupfsLayout(),
		ReadOnly:    rec.HostConfig.ReadonlyRootfs,
		Privileged:  rec.HostConfig.Privileged,
		Caps:        caps,
		Seccomp:     seccompConfined(rec.HostConfig),
		NoFile:      1 << 20,
		ShmSize:     rec.HostConfig.ShmSize,
		GroupAdd:    rec.HostConfig.GroupAdd,
		HostPID:     rec.HostConfig.PidMode == "host",
		HostIPC:     rec.HostConfig.IpcMode == "host",
		HostUTS:     rec.HostConfig.UTSMode == "host",
		Init:        rec.HostConfig.Init != nil && *rec.HostConfig.Init,
		OOMScoreAdj: rec.HostConfig.OomScoreAdj,
	}
	if s.PIDOf, err = e.sharedNamespace(context.Background(), "pid", rec.HostConfig.PidMode); err != nil {
		return nil, err
	}
	if s.IPCOf, err = e.sharedNamespace(context.Background(), "ipc", rec.HostConfig.IpcMode); err != nil {
		return nil, err
	}
	for _, k := range slices.Sorted(maps.Keys(rec.HostConfig.Sysctls)) {
		s.Sysctls = append(s.Sysctls, k+"="+rec.HostConfig.Sysctls[k])
	}
	for _, d := range rec.HostConfig.Devices {
		dev, err := hostDevice(d)
		if err != nil {
			return nil, fmt.Errorf("error gathering device information while adding custom device %q: %w", d.PathOnHost, err)
		}
		s.Devices = append(s.Devices, dev)
	}
	for _, u := range rec.HostConfig.Ulimits {
		r, _ := launch.RlimitNumber(u.Name)
		if r == unix.RLIMIT_NOFILE {
			s.NoFile = 0
		}
		// -1 is unlimited, as docker has it.
		s.Rlimits = append(s.Rlimits, launch.Rlimit{Name: u.Name, Resource: r, Soft: uint64(u.Soft), Hard: uint64(u.Hard)})
	}
	if !s.Privileged {
		s.Masked, s.ReadOnlyP = maskedPaths, readOnlyPaths
	}
	for _, m := range rec.Mounts {
		switch m.Type {
		case "bind":
			s.Mounts = append(s.Mounts, launch.Mount{Type: "bind", Source: m.Source, Dest: m.Destination, RO: !m.RW})
		case "volume":
			fill := !slices.Contains(strings.Split(m.Mode, ","), "nocopy")
			s.Mounts = append(s.Mounts, launch.Mount{Type: "bind", Source: m.Source, Dest: m.Destination, RO: !m.RW, Fill: fill})
		case "tmpfs":
			s.Mounts = append(s.Mounts, launch.Mount{Type: "tmpfs", Dest: m.Destination, RO: !m.RW, Data: m.Options})
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
			s.Mounts = append(s.Mounts, launch.Mount{Type: "bind", Source: f.src, Dest: f.dst, RO: s.ReadOnly})
		}
	}
	return s, nil
}

// checkInitBinary reports whether the berth binary at path can be a
// container's init (--init): the init runs from its sealed copy inside the
// container, where a dynamic loader of the host's is not, so it must be
// statically linked, as a build with CGO_ENABLED=0 (make build) is.
func checkInitBinary(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("--init: read the berth binary: %w", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return invalidf("--init needs a statically linked berth binary, and this one needs a dynamic loader: build berth with CGO_ENABLED=0 (make build)")
		}
	}
	return nil
}

// cgroupfsLayout is the host's /sys/fs/cgroup, which a container sees in
// its cgroup namespace; nil (no /sys/fs/cgroup in containers) if it
// cannot be read.
var cgroupfsLayout = sync.OnceValue(func() []cgroups.FSMount {
	ms, _ := cgroups.FSLayout("/sys/fs/cgroup")
	return ms
})

// cgroupNSAvailable reports whether the kernel has cgroup namespaces.
func cgroupNSAvailable() bool {
	_, err := os.Stat("/proc/self/ns/cgroup")
	return err == nil
}
