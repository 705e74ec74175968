//go:build !linux

package cgroups

import "fmt"

// setDevicesV2 needs eBPF, which only Linux has.
func (c *Cgroup) setDevicesV2(rules []DeviceRule) error {
	if rules != nil {
		return fmt.Errorf("device rules: %w", ErrUnsupported)
	}
	return nil
}
