// Package cgroups manages the control group of one berth container on
// cgroup v1 (legacy), v2 (unified) and hybrid hosts.
//
// A container's cgroup is named berth/<id> at the root of each hierarchy,
// as docker uses docker/<id>: on a v1 host one directory per controller
// (cpu, cpuacct, memory, pids, freezer, blkio, devices, and name=systemd
// for membership), on a v2 host one
// directory in the unified tree, and on a hybrid host the v1 directories
// plus a membership-only directory in the v2 tree at /sys/fs/cgroup/unified.
// When the root of a hierarchy is not writable (berth itself running in a
// delegated cgroup), the directory is created below the calling process's
// own cgroup instead.
//
// New creates the cgroup and applies Resources; Load finds an existing one
// from another process (the CLI asking for stats of a container whose
// monitor created the cgroup). A Cgroup value is immutable and safe for
// concurrent use; all state lives in the cgroup filesystem.
//
// The root of the cgroup filesystem is an option (WithRoot) so the file
// formats written for each mode can be checked against a plain directory.
package cgroups
