package cgroups

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// OpenDir opens the cgroup's v2 directory for
// syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(f.Fd())}, which
// starts a child directly inside the cgroup (clone3 CLONE_INTO_CGROUP,
// Linux 5.7+). Only Unified hosts can use it: on Hybrid hosts the limits
// live in v1 hierarchies the child would not join, so OpenDir returns
// ErrUnsupported there and the caller uses Add. The caller closes f.
func (c *Cgroup) OpenDir() (*os.File, error) {
	if c.mode != Unified {
		return nil, fmt.Errorf("open cgroup %s directory: %w", c.id, ErrUnsupported)
	}
	fd, err := unix.Open(c.unified, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open cgroup %s directory: %w", c.id, err)
	}
	return os.NewFile(uintptr(fd), c.unified), nil
}
