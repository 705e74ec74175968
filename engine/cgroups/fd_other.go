//go:build !linux

package cgroups

import (
	"fmt"
	"os"
)

// OpenDir opens the cgroup's v2 directory for SysProcAttr.CgroupFD; only
// Linux has it.
func (c *Cgroup) OpenDir() (*os.File, error) {
	return nil, fmt.Errorf("open cgroup %s directory: %w", c.id, ErrUnsupported)
}
