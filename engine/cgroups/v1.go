package cgroups

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// v1Dir returns the directory of a v1 controller. If the controller is
// not mounted it returns "" and, when the caller needs it, ErrUnsupported.
func (c *Cgroup) v1Dir(ctrl string, needed bool) (string, error) {
	if d, ok := c.v1[ctrl]; ok {
		return d, nil
	}
	if needed {
		return "", fmt.Errorf("%s controller: %w", ctrl, ErrUnsupported)
	}
	return "", nil
}

// applyV1 writes r to the v1 control files. Every limit is written, a
// zero field as "no limit", so Update can lift a limit again; in fresh
// directories (see apply) a zero field is left alone.
func (c *Cgroup) applyV1(r Resources, fresh bool) error {
	memory, err := c.v1Dir("memory", r.MemoryLimit > 0 || r.MemoryReservation > 0 || r.MemorySwappiness != nil || r.OOMKillDisable)
	if err != nil {
		return err
	}
	if memory != "" && !(fresh && r.memoryDefault()) {
		if err := setMemoryV1(memory, r); err != nil {
			return err
		}
		if !(fresh && r.MemoryReservation == 0) {
			soft := int64(-1)
			if r.MemoryReservation > 0 {
				soft = r.MemoryReservation
			}
			if err := writeFile(memory, "memory.soft_limit_in_bytes", strconv.FormatInt(soft, 10)); err != nil {
				return fmt.Errorf("set memory reservation: %w", err)
			}
		}
	}
	if r.MemorySwappiness != nil {
		if err := writeFile(memory, "memory.swappiness", strconv.FormatUint(*r.MemorySwappiness, 10)); err != nil {
			return fmt.Errorf("set memory swappiness: %w", err)
		}
	}
	if r.OOMKillDisable {
		if err := writeFile(memory, "memory.oom_control", "1"); err != nil {
			return fmt.Errorf("disable the OOM killer: %w", err)
		}
	}
	if d, err := c.v1Dir("cpu", !r.cpuDefault()); err != nil {
		return err
	} else if d != "" && !(fresh && r.cpuDefault()) {
		shares := r.CPUShares
		if shares == 0 {
			shares = 1024
		}
		quota, period := r.cfs()
		if err := writeFile(d, "cpu.cfs_period_us", strconv.FormatInt(period, 10)); err != nil {
			return fmt.Errorf("set cpu period: %w", err)
		}
		if err := writeFile(d, "cpu.cfs_quota_us", strconv.FormatInt(quota, 10)); err != nil {
			return fmt.Errorf("set cpu quota: %w", err)
		}
		if err := writeFile(d, "cpu.shares", strconv.FormatInt(shares, 10)); err != nil {
			return fmt.Errorf("set cpu shares: %w", err)
		}
	}
	if d, err := c.v1Dir("pids", r.PidsLimit > 0); err != nil {
		return err
	} else if d != "" && !(fresh && r.PidsLimit <= 0) {
		if err := writeFile(d, "pids.max", pidsMax(r.PidsLimit)); err != nil {
			return fmt.Errorf("set pids limit: %w", err)
		}
	}
	if err := c.setCpusetV1(r, fresh); err != nil {
		return err
	}
	if d, err := c.v1Dir("blkio", r.blkioSet()); err != nil {
		return err
	} else if d != "" {
		enableBlkioAccounting(d)
		if err := setBlkioV1(d, r); err != nil {
			return err
		}
	}
	if d, err := c.v1Dir("devices", r.Devices != nil); err != nil {
		return err
	} else if d != "" {
		if err := setDevicesV1(d, r.Devices); err != nil {
			return err
		}
	}
	return nil
}

// pidsMax formats a PidsLimit for pids.max.
func pidsMax(n int64) string {
	if n <= 0 {
		return "max"
	}
	return strconv.FormatInt(n, 10)
}

// setMemoryV1 writes memory.limit_in_bytes and, when swap accounting is
// on, memory.memsw.limit_in_bytes. The kernel keeps memsw >= memory at
// every step, so the order depends on whether the limits go up or down:
// memsw first, and if that is refused (it would drop below the current
// memory limit), memory first.
func setMemoryV1(d string, r Resources) error {
	mem := int64(-1)
	if r.MemoryLimit > 0 {
		mem = r.MemoryLimit
	}
	memStr := strconv.FormatInt(mem, 10)
	if !exists(d, "memory.memsw.limit_in_bytes") {
		if err := writeFile(d, "memory.limit_in_bytes", memStr); err != nil {
			return fmt.Errorf("set memory limit: %w", err)
		}
		return nil
	}
	swStr := strconv.FormatInt(r.memswLimit(), 10)
	if err := writeFile(d, "memory.memsw.limit_in_bytes", swStr); err == nil {
		if err := writeFile(d, "memory.limit_in_bytes", memStr); err != nil {
			return fmt.Errorf("set memory limit: %w", err)
		}
		return nil
	}
	if err := writeFile(d, "memory.limit_in_bytes", memStr); err != nil {
		return fmt.Errorf("set memory limit: %w", err)
	}
	if err := writeFile(d, "memory.memsw.limit_in_bytes", swStr); err != nil {
		return fmt.Errorf("set memory+swap limit: %w", err)
	}
	return nil
}

// setDevicesV1 replaces the device allow list: deny everything, then
// allow each rule; nil allows everything again.
func setDevicesV1(d string, rules []DeviceRule) error {
	if rules == nil {
		if err := writeFile(d, "devices.allow", "a"); err != nil {
			return fmt.Errorf("allow all devices: %w", err)
		}
		return nil
	}
	if err := writeFile(d, "devices.deny", "a"); err != nil {
		return fmt.Errorf("deny all devices: %w", err)
	}
	allow := make([]string, len(rules))
	for i, rule := range rules {
		allow[i] = rule.String()
	}
	if err := writeValues(d, "devices.allow", allow); err != nil {
		return fmt.Errorf("allow devices: %w", err)
	}
	return nil
}

// unthrottledBps is a bandwidth limit no device reaches (4 EiB/s).
const unthrottledBps = "4611686018427387904"

// enableBlkioAccounting sets a bandwidth limit no device reaches on every
// block device with media. Since Linux 5.x the v1 blkio controller counts
// a cgroup's I/O in blkio.throttle.io_service_bytes only for devices on
// which the cgroup has a throttle rule, so without one block I/O always
// reads zero (as it does for docker on such hosts). Devices that refuse a
// rule are skipped: the rule is for accounting only.
func enableBlkioAccounting(d string) {
	// /proc/partitions gives the numbers and sizes of every block device
	// in one read; an entry in /sys/block picks out the whole disks,
	// which are what throttle rules apply to.
	parts, err := os.ReadFile("/proc/partitions")
	if err != nil {
		return
	}
	for line := range strings.Lines(string(parts)) {
		f := strings.Fields(line)
		if len(f) != 4 || f[2] == "0" || strings.Contains(f[3], "/") {
			continue
		}
		if _, err := os.Lstat("/sys/block/" + f[3]); err != nil {
			continue
		}
		dev := f[0] + ":" + f[1]
		_ = writeFile(d, "blkio.throttle.read_bps_device", dev+" "+unthrottledBps)
		_ = writeFile(d, "blkio.throttle.write_bps_device", dev+" "+unthrottledBps)
	}
}
