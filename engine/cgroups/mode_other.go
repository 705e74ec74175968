//go:build !linux

package cgroups

import "fmt"

// DetectMode reports the cgroup layout mounted at root. Control groups
// exist only on Linux; elsewhere it returns ErrNoCgroupFS.
func DetectMode(root string) (Mode, error) {
	return 0, fmt.Errorf("detect cgroup mode of %s: %w", root, ErrNoCgroupFS)
}

// isCgroup2 reports whether dir is on a cgroup2 filesystem.
func isCgroup2(dir string) bool { return false }
