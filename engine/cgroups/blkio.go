package cgroups

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"
)

// BlockLimit limits a container's I/O on one block device, a whole disk
// named by its numbers (docker --blkio-weight-device, --device-read-bps
// and the like). Zero fields set nothing.
type BlockLimit struct {
	Major, Minor int64
	// Weight is the container's relative share of the device (10..1000),
	// in place of Resources.BlkioWeight.
	Weight uint16
	// ReadBps and WriteBps are bytes, ReadIOps and WriteIOps operations,
	// per second.
	ReadBps, WriteBps, ReadIOps, WriteIOps uint64
}

// dev is the device as control files name it: "8:0".
func (b BlockLimit) dev() string {
	return strconv.FormatInt(b.Major, 10) + ":" + strconv.FormatInt(b.Minor, 10)
}

// validWeight reports whether w is a block I/O weight the kernel takes,
// or 0 for none.
func validWeight(w uint16) bool {
	return w == 0 || (w >= 10 && w <= 1000)
}

func (r Resources) validateBlkio() error {
	if !validWeight(r.BlkioWeight) {
		return fmt.Errorf("blkio weight %d: not between 10 and 1000: %w", r.BlkioWeight, ErrInvalidResources)
	}
	for _, b := range r.BlkioDevices {
		if b.Major < 0 || b.Minor < 0 || b.Major > 1<<31 || b.Minor > 1<<31 {
			return fmt.Errorf("block device %s: %w", b.dev(), ErrInvalidResources)
		}
		if !validWeight(b.Weight) {
			return fmt.Errorf("blkio weight %d of %s: not between 10 and 1000: %w", b.Weight, b.dev(), ErrInvalidResources)
		}
	}
	return nil
}

// blkioSet reports whether r sets any block I/O limit.
func (r Resources) blkioSet() bool {
	return r.BlkioWeight != 0 || len(r.BlkioDevices) > 0
}

// weighted reports whether r sets a block I/O weight.
func (r Resources) weighted() bool {
	if r.BlkioWeight != 0 {
		return true
	}
	for _, b := range r.BlkioDevices {
		if b.Weight != 0 {
			return true
		}
	}
	return false
}

// setBlkioV1 writes the weights and rate limits of r to the v1 blkio
// directory d. The weights go to blkio.weight, or where the kernel has
// only the BFQ scheduler's, to blkio.bfq.weight (which takes the same
// range); each rate goes to its blkio.throttle file, one rule per write.
func setBlkioV1(d string, r Resources) error {
	prefix := "blkio."
	if r.weighted() && !exists(d, "blkio.weight") {
		prefix = "blkio.bfq."
		if !exists(d, "blkio.bfq.weight") {
			return fmt.Errorf("blkio weight: %w", ErrUnsupported)
		}
	}
	if r.BlkioWeight != 0 {
		if err := writeFile(d, prefix+"weight", strconv.Itoa(int(r.BlkioWeight))); err != nil {
			return fmt.Errorf("set blkio weight: %w", err)
		}
	}
	var weights []string
	for _, b := range r.BlkioDevices {
		if b.Weight != 0 {
			weights = append(weights, b.dev()+" "+strconv.Itoa(int(b.Weight)))
		}
	}
	if err := writeWeights(d, prefix+"weight_device", weights); err != nil {
		return err
	}
	files := []struct {
		name string
		val  func(BlockLimit) uint64
	}{
		{"blkio.throttle.read_bps_device", func(b BlockLimit) uint64 { return b.ReadBps }},
		{"blkio.throttle.write_bps_device", func(b BlockLimit) uint64 { return b.WriteBps }},
		{"blkio.throttle.read_iops_device", func(b BlockLimit) uint64 { return b.ReadIOps }},
		{"blkio.throttle.write_iops_device", func(b BlockLimit) uint64 { return b.WriteIOps }},
	}
	for _, f := range files {
		var rules []string
		for _, b := range r.BlkioDevices {
			if v := f.val(b); v != 0 {
				rules = append(rules, b.dev()+" "+strconv.FormatUint(v, 10))
			}
		}
		if len(rules) == 0 {
			continue
		}
		if err := writeValues(d, f.name, rules); err != nil {
			return fmt.Errorf("set %s: %w", f.name, err)
		}
	}
	return nil
}

// writeWeights writes weight rules ("default W", "8:0 W") to the control
// file name, a write each, and names the disk whose I/O scheduler has no
// weights when the kernel refuses one.
func writeWeights(d, name string, rules []string) error {
	for _, rule := range rules {
		err := writeValues(d, name, []string{rule})
		if errors.Is(err, syscall.EOPNOTSUPP) {
			dev, _, _ := strings.Cut(rule, " ")
			return fmt.Errorf("weight of disk %s: its I/O scheduler has no weights; bfq has (/sys/dev/block/%s/queue/scheduler): %w", dev, dev, ErrUnsupported)
		}
		if err != nil {
			return fmt.Errorf("set %s: %w", name, err)
		}
	}
	return nil
}

// setBlkioV2 writes the weights and rate limits of r to the v2 io files
// of d: io.bfq.weight where the BFQ scheduler's file is (same range as
// v1), else io.weight with the weight scaled to 1..10000 as runc does;
// the rates of a device go to io.max in one line.
func setBlkioV2(d string, r Resources) error {
	name, scale := "io.bfq.weight", func(w uint16) uint64 { return uint64(w) }
	if r.weighted() && !exists(d, name) {
		name, scale = "io.weight", func(w uint16) uint64 { return 1 + (uint64(w)-10)*9999/990 }
		if !exists(d, name) {
			return fmt.Errorf("io weight: %w", ErrUnsupported)
		}
	}
	var weights, max []string
	if r.BlkioWeight != 0 {
		weights = append(weights, "default "+strconv.FormatUint(scale(r.BlkioWeight), 10))
	}
	for _, b := range r.BlkioDevices {
		if b.Weight != 0 {
			weights = append(weights, b.dev()+" "+strconv.FormatUint(scale(b.Weight), 10))
		}
		var rates []string
		for _, kv := range []struct {
			key string
			v   uint64
		}{{"rbps", b.ReadBps}, {"wbps", b.WriteBps}, {"riops", b.ReadIOps}, {"wiops", b.WriteIOps}} {
			if kv.v != 0 {
				rates = append(rates, kv.key+"="+strconv.FormatUint(kv.v, 10))
			}
		}
		if len(rates) > 0 {
			max = append(max, b.dev()+" "+strings.Join(rates, " "))
		}
	}
	if err := writeWeights(d, name, weights); err != nil {
		return err
	}
	if len(max) > 0 {
		if err := writeValues(d, "io.max", max); err != nil {
			return fmt.Errorf("set io.max: %w", err)
		}
	}
	return nil
}
