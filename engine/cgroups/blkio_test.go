package cgroups

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// blkioLimits are the limits the write tests apply: a weight, and for two
// disks a device weight and each kind of rate.
var blkioLimits = Resources{BlkioWeight: 300, BlkioDevices: []BlockLimit{
	{Major: 8, Minor: 0, Weight: 500, ReadBps: 1 << 20, WriteIOps: 20},
	{Major: 8, Minor: 16, WriteBps: 2 << 20, ReadIOps: 100},
}}

func TestBlkioLegacyWrites(t *testing.T) {
	for _, sched := range []string{"", "bfq."} {
		t.Run("blkio."+sched+"weight", func(t *testing.T) {
			root := fakeV1(t, false)
			dir := filepath.Join(root, "blkio/berth/c1")
			mustWrite(t, filepath.Join(dir, "blkio."+sched+"weight"), "100")
			if _, err := New("c1", blkioLimits, WithRoot(root), WithMode(Legacy)); err != nil {
				t.Fatal(err)
			}
			checkFiles(t, dir, map[string]string{
				"blkio." + sched + "weight":        "300",
				"blkio." + sched + "weight_device": "8:0 500",
			})
			// Rules for accounting on the host's own disks come first
			// (enableBlkioAccounting); the limits follow, a write each.
			for name, want := range map[string]string{
				"blkio.throttle.read_bps_device":   "8:0 1048576",
				"blkio.throttle.write_bps_device":  "8:16 2097152",
				"blkio.throttle.read_iops_device":  "8:16 100",
				"blkio.throttle.write_iops_device": "8:0 20",
			} {
				if got := readFile(t, filepath.Join(dir, name)); !strings.HasSuffix(got, want) {
					t.Errorf("%s = %q, want it to end in %q", name, got, want)
				}
			}
		})
	}
	t.Run("no weight file", func(t *testing.T) {
		root := fakeV1(t, false)
		_, err := New("c1", Resources{BlkioWeight: 300}, WithRoot(root), WithMode(Legacy))
		if !errors.Is(err, ErrUnsupported) {
			t.Fatalf("New with a weight and no weight file = %v, want ErrUnsupported", err)
		}
		// Rates need no weight file.
		limits := Resources{BlkioDevices: []BlockLimit{{Major: 8, Minor: 0, ReadBps: 4096}}}
		if _, err := New("c1", limits, WithRoot(root), WithMode(Legacy)); err != nil {
			t.Fatalf("New with a rate limit = %v", err)
		}
	})
}

func TestBlkioUnifiedWrites(t *testing.T) {
	for _, tt := range []struct {
		file, weight, device string
	}{
		{"io.bfq.weight", "default 300", "8:0 500"},
		// io.weight ranges over 1..10000: 10 is 1, 1000 is 10000.
		{"io.weight", "default 2930", "8:0 4950"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			root := t.TempDir()
			mustWrite(t, filepath.Join(root, "cgroup.controllers"), "cpu io memory pids")
			dir := filepath.Join(root, "berth", "c1")
			mustWrite(t, filepath.Join(dir, tt.file), "")
			if _, err := New("c1", blkioLimits, WithRoot(root), WithMode(Unified)); err != nil {
				t.Fatal(err)
			}
			checkFiles(t, dir, map[string]string{
				tt.file:  tt.weight + tt.device,
				"io.max": "8:0 rbps=1048576 wiops=20" + "8:16 wbps=2097152 riops=100",
			})
		})
	}
	t.Run("no io controller", func(t *testing.T) {
		root := t.TempDir()
		mustWrite(t, filepath.Join(root, "cgroup.controllers"), "cpu memory pids")
		if _, err := New("c1", blkioLimits, WithRoot(root), WithMode(Unified)); !errors.Is(err, ErrUnsupported) {
			t.Fatalf("New with block I/O limits and no io controller = %v, want ErrUnsupported", err)
		}
	})
}

func TestBlkioValidate(t *testing.T) {
	for _, r := range []Resources{
		{BlkioWeight: 9},
		{BlkioWeight: 1001},
		{BlkioDevices: []BlockLimit{{Major: 8, Weight: 5}}},
		{BlkioDevices: []BlockLimit{{Major: -1, ReadBps: 1}}},
	} {
		if err := r.Validate(); !errors.Is(err, ErrInvalidResources) {
			t.Errorf("Validate(%+v) = %v, want ErrInvalidResources", r, err)
		}
	}
	for _, r := range []Resources{{BlkioWeight: 10}, {BlkioWeight: 1000}, blkioLimits} {
		if err := r.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v", r, err)
		}
	}
}
