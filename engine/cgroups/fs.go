package cgroups

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// FSMount is one entry of the cgroup filesystem a container sees at
// /sys/fs/cgroup, laid out as the host's: in its own cgroup namespace,
// each hierarchy shows the container's cgroup as its root.
type FSMount struct {
	// Dir is the entry's name below the cgroup root; "" is the root
	// itself (a cgroup v2 host).
	Dir string
	// Type is "cgroup" (a v1 hierarchy) or "cgroup2"; Options are a v1
	// hierarchy's controllers (or name=NAME), as mount(8) takes them.
	Type, Options string
	// Link, if not empty, makes Dir a symbolic link to it (co-mounted
	// controllers: cpu -> cpu,cpuacct).
	Link string
}

// FSLayout returns the cgroup filesystems mounted on root (normally
// /sys/fs/cgroup) that hold containers' cgroups (the v1 hierarchies of
// v1Controllers: a container's cgroup namespace is rooted at the host's
// root in the others, cpuset among them) and the symbolic links to them
// beside them, read from /proc/self/mountinfo and root. It returns nil if
// there are none.
func FSLayout(root string) ([]FSMount, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ms, err := parseFSMounts(f, root, knownSubsystems())
	if err != nil || len(ms) == 0 || ms[0].Dir == "" {
		return ms, err
	}
	return withLinks(root, ms)
}

// parseFSMounts returns the cgroup filesystems mountinfo has on root or
// directly below it, for FSLayout; subsystems are the kernel's v1
// controllers. A cgroup v2 root comes back alone.
func parseFSMounts(mountinfo io.Reader, root string, subsystems map[string]bool) ([]FSMount, error) {
	var out []FSMount
	sc := bufio.NewScanner(mountinfo)
	for sc.Scan() {
		// ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPEROPTIONS
		fields := strings.Fields(sc.Text())
		sep := slices.Index(fields, "-")
		if sep < 5 || len(fields) < sep+4 {
			continue
		}
		point, fstype := unescapeMount(fields[4]), fields[sep+1]
		if fstype != "cgroup" && fstype != "cgroup2" {
			continue
		}
		var dir string
		switch {
		case point == root:
		case filepath.Dir(point) == root:
			dir = filepath.Base(point)
		default:
			continue
		}
		m := FSMount{Dir: dir, Type: fstype}
		if fstype == "cgroup" {
			var opts []string
			ours := false
			for _, o := range strings.Split(fields[sep+3], ",") {
				if subsystems[o] || strings.HasPrefix(o, "name=") {
					opts = append(opts, o)
					ours = ours || slices.Contains(v1Controllers, strings.TrimPrefix(o, "name="))
				}
			}
			if !ours {
				continue
			}
			if !subsystems[opts[0]] {
				// A named hierarchy without controllers.
				opts = append([]string{"none"}, opts...)
			}
			m.Options = strings.Join(opts, ",")
		}
		if dir == "" {
			return []FSMount{m}, sc.Err()
		}
		out = append(out, m)
	}
	return out, sc.Err()
}

// withLinks adds to ms the symbolic links in root to its directories.
func withLinks(root string, ms []FSMount) ([]FSMount, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	mounted := func(dir string) bool {
		return slices.ContainsFunc(ms, func(m FSMount) bool { return m.Dir == dir })
	}
	for _, e := range entries {
		if e.Type()&os.ModeSymlink == 0 {
			continue
		}
		if target, err := os.Readlink(filepath.Join(root, e.Name())); err == nil && mounted(target) {
			ms = append(ms, FSMount{Dir: e.Name(), Link: target})
		}
	}
	return ms, nil
}

// knownSubsystems returns the v1 controllers the kernel has, from
// /proc/cgroups.
func knownSubsystems() map[string]bool {
	m := map[string]bool{}
	b, err := os.ReadFile("/proc/cgroups")
	if err != nil {
		return m
	}
	for line := range strings.Lines(string(b)) {
		if f := strings.Fields(line); len(f) > 0 && !strings.HasPrefix(f[0], "#") {
			m[f[0]] = true
		}
	}
	return m
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, ok := octal(s[i+1 : i+4]); ok {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func octal(s string) (byte, bool) {
	if len(s) != 3 {
		return 0, false
	}
	var v int
	for _, c := range s {
		if c < '0' || c > '7' {
			return 0, false
		}
		v = v*8 + int(c-'0')
	}
	return byte(v), v < 256
}
