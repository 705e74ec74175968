package cgroups

import "errors"

// Sentinel errors returned (wrapped) by this package. Test them with
// errors.Is.
var (
	// ErrNotExist means no cgroup exists for the container id.
	ErrNotExist = errors.New("cgroup does not exist")
	// ErrInvalidID means the container id cannot name a cgroup directory.
	ErrInvalidID = errors.New("invalid cgroup id")
	// ErrInvalidResources means a Resources value is out of range or
	// self-contradictory (a swap limit below the memory limit).
	ErrInvalidResources = errors.New("invalid resources")
	// ErrUnsupported means the host's cgroups lack what the operation
	// needs: a controller that is not mounted or not enabled, or a
	// feature of another cgroup version.
	ErrUnsupported = errors.New("not supported by the host's cgroups")
	// ErrNoCgroupFS means no cgroup filesystem was found at the root.
	ErrNoCgroupFS = errors.New("no cgroup filesystem")
	// ErrTimeout means the kernel did not finish freezing the cgroup, or
	// processes did not leave it, within the allowed time.
	ErrTimeout = errors.New("timed out")
)
