package cgroups

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// DetectMode reports the cgroup layout mounted at root (normally
// /sys/fs/cgroup): a cgroup2 filesystem is Unified, a directory (tmpfs on a
// real host) with a cgroup2 filesystem mounted at unified/ is Hybrid, any other directory
// is Legacy. It returns ErrNoCgroupFS if root does not exist.
func DetectMode(root string) (Mode, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(root, &st); err != nil {
		if os.IsNotExist(err) {
			return 0, fmt.Errorf("detect cgroup mode of %s: %w", root, ErrNoCgroupFS)
		}
		return 0, fmt.Errorf("detect cgroup mode of %s: %w", root, err)
	}
	if st.Type == unix.CGROUP2_SUPER_MAGIC {
		return Unified, nil
	}
	if st.Type == unix.CGROUP_SUPER_MAGIC {
		// A single v1 hierarchy mounted at root itself.
		return Legacy, nil
	}
	var ust unix.Statfs_t
	if err := unix.Statfs(filepath.Join(root, "unified"), &ust); err == nil && ust.Type == unix.CGROUP2_SUPER_MAGIC {
		return Hybrid, nil
	}
	return Legacy, nil
}

// isCgroup2 reports whether dir is on a cgroup2 filesystem.
func isCgroup2(dir string) bool {
	var st unix.Statfs_t
	return unix.Statfs(dir, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}
