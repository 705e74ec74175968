package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/engine/cgroups"
)

// WeightDevice is a container's block I/O weight on one device
// (--blkio-weight-device), in the shape of docker's
// HostConfig.BlkioWeightDevice entries.
type WeightDevice struct {
	Path   string
	Weight uint16
}

// ThrottleDevice is a rate limit of a container's I/O on one device, in
// bytes or operations per second (--device-read-bps, --device-write-bps,
// --device-read-iops, --device-write-iops), in the shape of docker's
// HostConfig.BlkioDeviceReadBps entries.
type ThrottleDevice struct {
	Path string
	Rate uint64
}

// blockLimits resolves the per-device block I/O limits of h to the
// numbers of the disks they name, one BlockLimit a disk. The devices are
// looked up as they are now, so a start after a reboot finds a disk that
// got new numbers.
func (h *HostConfig) blockLimits() ([]cgroups.BlockLimit, error) {
	// Every start asks, and most containers set none: no work for them.
	if len(h.BlkioWeightDevice)+len(h.BlkioDeviceReadBps)+len(h.BlkioDeviceWriteBps)+len(h.BlkioDeviceReadIOps)+len(h.BlkioDeviceWriteIOps) == 0 {
		return nil, nil
	}
	var out []cgroups.BlockLimit
	at := map[[2]int64]int{}
	index := func(flag, path string) (int, error) {
		major, minor, err := wholeDisk(flag, path)
		if err != nil {
			return 0, err
		}
		k := [2]int64{major, minor}
		i, ok := at[k]
		if !ok {
			i = len(out)
			at[k] = i
			out = append(out, cgroups.BlockLimit{Major: major, Minor: minor})
		}
		return i, nil
	}
	for _, d := range h.BlkioWeightDevice {
		i, err := index("--blkio-weight-device", d.Path)
		if err != nil {
			return nil, err
		}
		out[i].Weight = d.Weight
	}
	for _, kind := range []struct {
		flag string
		devs []ThrottleDevice
		rate func(*cgroups.BlockLimit) *uint64
	}{
		{"--device-read-bps", h.BlkioDeviceReadBps, func(b *cgroups.BlockLimit) *uint64 { return &b.ReadBps }},
		{"--device-write-bps", h.BlkioDeviceWriteBps, func(b *cgroups.BlockLimit) *uint64 { return &b.WriteBps }},
		{"--device-read-iops", h.BlkioDeviceReadIOps, func(b *cgroups.BlockLimit) *uint64 { return &b.ReadIOps }},
		{"--device-write-iops", h.BlkioDeviceWriteIOps, func(b *cgroups.BlockLimit) *uint64 { return &b.WriteIOps }},
	} {
		for _, d := range kind.devs {
			i, err := index(kind.flag, d.Path)
			if err != nil {
				return nil, err
			}
			*kind.rate(&out[i]) = d.Rate
		}
	}
	return out, nil
}

// wholeDisk returns the numbers of the block device at path, which must
// be a whole disk: the kernel keeps block I/O limits per disk, not per
// partition.
func wholeDisk(flag, path string) (major, minor int64, err error) {
	dev, err := hostDevice(DeviceMapping{PathOnHost: path})
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return 0, 0, invalidf("%s %s: %v", flag, path, err)
	}
	if dev.Mode&unix.S_IFMT != unix.S_IFBLK {
		return 0, 0, invalidf("%s %s: not a block device", flag, path)
	}
	sys := fmt.Sprintf("/sys/dev/block/%d:%d", dev.Major, dev.Minor)
	if _, err := os.Stat(sys + "/partition"); err == nil {
		disk := "its disk"
		// The entry links to .../block/DISK/PARTITION.
		if p, err := filepath.EvalSymlinks(sys); err == nil {
			disk = "/dev/" + filepath.Base(filepath.Dir(p))
		}
		return 0, 0, invalidf("%s %s: a partition; block I/O limits apply to whole disks (%s)", flag, path, disk)
	}
	return int64(dev.Major), int64(dev.Minor), nil
}
