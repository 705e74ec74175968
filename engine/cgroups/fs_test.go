package cgroups

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var subsystems = map[string]bool{"cpu": true, "cpuacct": true, "cpuset": true, "memory": true, "pids": true,
	"devices": true, "freezer": true, "blkio": true, "net_cls": true, "net_prio": true, "perf_event": true}

func TestParseFSMounts(t *testing.T) {
	for _, tc := range []struct {
		name, mountinfo string
		want            []FSMount
	}{{
		name: "hybrid, one controller per hierarchy",
		mountinfo: `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
`,
		want: []FSMount{
			{Dir: "cpu", Type: "cgroup", Options: "cpu"},
			{Dir: "memory", Type: "cgroup", Options: "memory"},
			{Dir: "systemd", Type: "cgroup", Options: "none,name=systemd"},
			{Dir: "unified", Type: "cgroup2"},
		},
	}, {
		name: "co-mounted controllers, and a hierarchy without berth's",
		mountinfo: `25 22 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
28 25 0:25 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,cpu,cpuacct
29 25 0:26 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,net_cls,net_prio
30 25 0:27 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,memory
90 30 0:27 / /sys/fs/cgroup/memory/deeper rw - cgroup cgroup rw,memory
`,
		want: []FSMount{
			{Dir: "cpu,cpuacct", Type: "cgroup", Options: "cpu,cpuacct"},
			{Dir: "memory", Type: "cgroup", Options: "memory"},
		},
	}, {
		name:      "cgroup v2",
		mountinfo: "26 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n",
		want:      []FSMount{{Dir: "", Type: "cgroup2"}},
	}, {
		name:      "none",
		mountinfo: "22 1 0:21 / /sys rw - sysfs sysfs rw\nbroken line\n",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseFSMounts(strings.NewReader(tc.mountinfo), "/sys/fs/cgroup", subsystems)
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("parseFSMounts = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestWithLinksKeepsLinksToMountedHierarchies(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"cpu,cpuacct", "net_cls,net_prio"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{"cpu": "cpu,cpuacct", "cpuacct": "cpu,cpuacct", "net_cls": "net_cls,net_prio"} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	ms, err := withLinks(root, []FSMount{{Dir: "cpu,cpuacct", Type: "cgroup", Options: "cpu,cpuacct"}})
	want := []FSMount{
		{Dir: "cpu,cpuacct", Type: "cgroup", Options: "cpu,cpuacct"},
		{Dir: "cpu", Link: "cpu,cpuacct"},
		{Dir: "cpuacct", Link: "cpu,cpuacct"},
	}
	if err != nil || !reflect.DeepEqual(ms, want) {
		t.Errorf("withLinks = %+v, %v; want %+v", ms, err, want)
	}
}

func TestUnescapeMount(t *testing.T) {
	if got := unescapeMount(`/sys/fs/cgroup/with\040space`); got != "/sys/fs/cgroup/with space" {
		t.Errorf("unescapeMount = %q", got)
	}
}
