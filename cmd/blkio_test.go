package cmd

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// testBlockIO runs containers with block I/O limits on the disk that
// holds b's store (part of TestContainerLimits).
func testBlockIO(t *testing.T, b *berthBin) {
	if _, err := os.Stat("/sys/fs/cgroup/blkio/blkio.throttle.write_iops_device"); err != nil {
		t.Skip("no cgroup v1 blkio hierarchy on this host")
	}
	disk, numbers := storeDisk(b.root)
	if disk == "" {
		t.Skip("the store's filesystem is on no disk of its own")
	}
	sched, err := os.ReadFile(filepath.Join("/sys/dev/block", numbers, "queue/scheduler"))
	if err != nil {
		t.Fatal(err)
	}

	// 20 direct writes of 4 KiB at 10 a second take about two seconds;
	// without the limit they take milliseconds.
	start := time.Now()
	out := b.ok("run", "--rm", "--device-write-iops", disk+":10", "--device-read-bps", disk+":1mb", "bb", "sh", "-c",
		"cat /sys/fs/cgroup/blkio/blkio.throttle.write_iops_device /sys/fs/cgroup/blkio/blkio.throttle.read_bps_device; "+
			"dd if=/dev/zero of=/x bs=4k count=20 oflag=direct 2>/dev/null")
	if took := time.Since(start); took < time.Second {
		t.Errorf("20 direct writes under --device-write-iops %s:10 took %v, want over a second", disk, took)
	}
	if want := numbers + " 10\n" + numbers + " 1048576\n"; out != want {
		t.Errorf("throttle rules seen inside = %q, want %q", out, want)
	}

	if strings.Contains(string(sched), "bfq") {
		// The kernel has BFQ, whose cgroup files hold the weight when
		// there is no blkio.weight.
		id := strings.TrimSpace(b.ok("run", "-d", "--blkio-weight", "300", "bb", "sleep", "100"))
		t.Cleanup(func() { b.run("", "rm", "-f", id) })
		weight := "cat /sys/fs/cgroup/blkio/blkio.weight 2>/dev/null || cat /sys/fs/cgroup/blkio/blkio.bfq.weight"
		if out := b.ok("exec", id, "sh", "-c", weight); out != "300\n" {
			t.Errorf("weight seen inside = %q, want 300", out)
		}
		b.ok("update", "--blkio-weight", "700", id)
		if out := b.ok("exec", id, "sh", "-c", weight); out != "700\n" {
			t.Errorf("weight after update --blkio-weight 700 = %q", out)
		}
		if h := b.inspect(id)["HostConfig"].(map[string]any); h["BlkioWeight"].(float64) != 700 {
			t.Errorf("HostConfig.BlkioWeight = %v, want 700", h["BlkioWeight"])
		}
	}

	id := strings.TrimSpace(b.ok("create", "--device-read-iops", disk+":100", "--device-write-bps", disk+":2m", "bb", "true"))
	t.Cleanup(func() { b.run("", "rm", "-f", id) })
	h := b.inspect(id)["HostConfig"].(map[string]any)
	for key, want := range map[string]string{
		"BlkioDeviceReadIOps":  fmt.Sprintf("[map[Path:%s Rate:100]]", disk),
		"BlkioDeviceWriteBps":  fmt.Sprintf("[map[Path:%s Rate:2.097152e+06]]", disk),
		"BlkioDeviceReadBps":   "<nil>",
		"BlkioDeviceWriteIOps": "<nil>",
	} {
		if got := fmt.Sprint(h[key]); got != want {
			t.Errorf("HostConfig.%s = %s, want %s", key, got, want)
		}
	}

	before := b.ok("ps", "-aq")
	bad := []struct {
		flags []string
		err   string
	}{
		{[]string{"--device-read-bps", disk}, "bad format: " + disk},
		{[]string{"--device-read-bps", "sda:1m"}, "bad format for device path: sda:1m"},
		{[]string{"--device-write-bps", disk + ":fast"}, "invalid rate for device: " + disk + ":fast"},
		{[]string{"--device-read-iops", disk + ":-1"}, "invalid rate for device: " + disk + ":-1"},
		{[]string{"--blkio-weight-device", disk + ":5"}, "invalid weight for device: " + disk + ":5"},
		{[]string{"--blkio-weight", "5"}, "Range of blkio weight is from 10 to 1000"},
		{[]string{"--device-write-iops", "/dev/null:10"}, "--device-write-iops /dev/null: not a block device"},
		{[]string{"--device-read-bps", "/dev/no-such-disk:1m"}, "--device-read-bps /dev/no-such-disk: no such file or directory"},
	}
	if !strings.Contains(string(sched), "[bfq]") {
		bad = append(bad, struct {
			flags []string
			err   string
		}{[]string{"--blkio-weight-device", disk + ":500"}, "weight of disk " + numbers + ": its I/O scheduler has no weights"})
	}
	for _, bad := range bad {
		code, _, errs := b.run("", append(append([]string{"run", "--rm"}, bad.flags...), "bb", "true")...)
		if code != 125 || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, bad.err) {
			t.Errorf("run %v = %d %q, want 125 and one line with %q", bad.flags, code, errs, bad.err)
		}
	}
	if after := b.ok("ps", "-aq"); after != before {
		t.Errorf("refused runs left containers: ps -aq %q, was %q", after, before)
	}
}

// storeDisk returns the device node of the whole disk that holds dir,
// and its numbers ("254:0"); "" if its filesystem is on none (tmpfs).
func storeDisk(dir string) (dev, numbers string) {
	var st syscall.Stat_t
	if err := syscall.Stat(dir, &st); err != nil {
		return "", ""
	}
	sys, err := filepath.EvalSymlinks(fmt.Sprintf("/sys/dev/block/%d:%d", unix.Major(st.Dev), unix.Minor(st.Dev)))
	if err != nil {
		return "", ""
	}
	if _, err := os.Stat(filepath.Join(sys, "partition")); err == nil {
		sys = filepath.Dir(sys)
	}
	b, err := os.ReadFile(filepath.Join(sys, "dev"))
	if err != nil {
		return "", ""
	}
	dev = "/dev/" + filepath.Base(sys)
	if fi, err := os.Stat(dev); err != nil || fi.Mode()&os.ModeDevice == 0 {
		return "", ""
	}
	return dev, strings.TrimSpace(string(b))
}
