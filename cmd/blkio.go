package cmd

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/berth-dev/berth/engine"
)

// blkioFlags are the block I/O limits of run and create, with docker's
// names.
type blkioFlags struct {
	weight                                 uint16
	weightDevice                           []string
	readBps, writeBps, readIOps, writeIOps []string
}

func (b *blkioFlags) register(fs *pflag.FlagSet) {
	fs.Uint16Var(&b.weight, "blkio-weight", 0, "block IO (relative weight), between 10 and 1000, or 0 to disable")
	listVar(fs, &b.weightDevice, "blkio-weight-device", "block IO weight (relative device weight; DEVICE:WEIGHT)")
	listVar(fs, &b.readBps, "device-read-bps", "limit read rate (bytes per second) from a device (DEVICE:RATE, e.g. /dev/sda:1mb)")
	listVar(fs, &b.writeBps, "device-write-bps", "limit write rate (bytes per second) to a device (DEVICE:RATE)")
	listVar(fs, &b.readIOps, "device-read-iops", "limit read rate (IO per second) from a device (DEVICE:RATE)")
	listVar(fs, &b.writeIOps, "device-write-iops", "limit write rate (IO per second) to a device (DEVICE:RATE)")
}

// options sets the block I/O limits of o, checking each value's form as
// docker does; the engine checks the devices.
func (b *blkioFlags) options(o *engine.CreateOptions) error {
	o.BlkioWeight = b.weight
	for _, s := range b.weightDevice {
		path, w, err := deviceValue("blkio-weight-device", s)
		if err != nil {
			return err
		}
		n, err := strconv.ParseUint(w, 10, 16)
		if err != nil || (n != 0 && (n < 10 || n > 1000)) {
			return fmt.Errorf("invalid argument %q for \"--blkio-weight-device\" flag: invalid weight for device: %s", s, s)
		}
		o.BlkioWeightDevice = append(o.BlkioWeightDevice, engine.WeightDevice{Path: path, Weight: uint16(n)})
	}
	for _, kind := range []struct {
		flag  string
		vals  []string
		bytes bool
		dst   *[]engine.ThrottleDevice
	}{
		{"device-read-bps", b.readBps, true, &o.BlkioDeviceReadBps},
		{"device-write-bps", b.writeBps, true, &o.BlkioDeviceWriteBps},
		{"device-read-iops", b.readIOps, false, &o.BlkioDeviceReadIOps},
		{"device-write-iops", b.writeIOps, false, &o.BlkioDeviceWriteIOps},
	} {
		for _, s := range kind.vals {
			path, rate, err := deviceValue(kind.flag, s)
			if err != nil {
				return err
			}
			var n uint64
			if kind.bytes {
				v, perr := parseBytes(rate)
				n, err = uint64(v), perr
			} else {
				n, err = strconv.ParseUint(rate, 10, 64)
			}
			if err != nil {
				form := "<device-path>:<number>. Number must be a positive integer"
				if kind.bytes {
					form = "<device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb"
				}
				return fmt.Errorf("invalid argument %q for \"--%s\" flag: invalid rate for device: %s. The correct format is %s", s, kind.flag, s, form)
			}
			*kind.dst = append(*kind.dst, engine.ThrottleDevice{Path: path, Rate: n})
		}
	}
	return nil
}

// deviceValue splits a DEVICE:VALUE flag value, with docker's messages.
func deviceValue(flag, s string) (path, value string, err error) {
	path, value, ok := strings.Cut(s, ":")
	if !ok {
		return "", "", fmt.Errorf("invalid argument %q for \"--%s\" flag: bad format: %s", s, flag, s)
	}
	if !strings.HasPrefix(path, "/dev/") {
		return "", "", fmt.Errorf("invalid argument %q for \"--%s\" flag: bad format for device path: %s", s, flag, s)
	}
	return path, value, nil
}
