// Package launch starts a container's process. A thread of the
// container's monitor, locked and dedicated to it, moves into the
// container's new mount, UTS and IPC namespaces, joins its network
// namespace (made on a thread of its own, NewNetNS), mounts the container's filesystem and pivots into it, sets
// up its devices, hostname and terminal, resolves its user and command,
// and then forks the process in a new PID namespace. What only a process
// inside that namespace can do (mount /proc) and what belongs to the
// process rather than the thread (cgroups, session, streams, limits,
// user, capabilities) the child does between fork and execve, with raw
// system calls the thread prepared (see program).
//
// No second program runs before the container's command: the thread's
// work is ordinary Go in the monitor, and the forked child runs no Go
// runtime. Nothing of the host binary is left in the container either:
// the monitor runs from its sealed copy, and the child execs the
// container's command. The one exception is a container run with --init
// (Spec.Init): its child executes the monitor's sealed copy, by
// descriptor, as the container's init (package pid1), and that starts the
// command.
package launch

import "github.com/berth-dev/berth/engine/cgroups"

// Spec is everything Start needs, resolved by the monitor to host paths
// and final values. Start never reads the store.
type Spec struct {
	// Root is the store root; Lower entries are relative to it, which
	// keeps the overlay mount options short.
	Root string
	// Lower are the overlay lower directories, top first.
	Lower  []string
	Upper  string
	Work   string
	Rootfs string
	// Volatile leaves the upper directory unsynced: its unmount does not
	// sync the store's whole filesystem, for a container whose upper
	// directory goes when it ends (--rm). After a crash of the host such
	// an upper directory cannot be mounted again.
	Volatile bool

	Args     []string
	Env      []string
	Cwd      string
	User     string
	Hostname string
	// Domainname is the NIS domain name, if any.
	Domainname string
	Tty        bool
	// TtySize is the rows and columns the terminal starts with (0: unset).
	TtySize  [2]uint16
	CgroupNS bool
	// Cgroupfs is the layout of the host's /sys/fs/cgroup, mounted in the
	// container's cgroup namespace (when CgroupNS), read-only unless
	// Privileged.
	Cgroupfs   []cgroups.FSMount
	ReadOnly   bool
	Privileged bool
	Caps       []string
	// Seccomp runs the process under SeccompFilter(Caps).
	Seccomp   bool
	Mounts    []Mount
	Masked    []string
	ReadOnlyP []string
	NoFile    uint64
	// Rlimits are set after NoFile, which one for RLIMIT_NOFILE replaces.
	Rlimits []Rlimit
	// ShmSize is the size of /dev/shm in bytes; 0 means 64 MiB.
	ShmSize int64
	// Devices are made in /dev besides the standard nodes.
	Devices []Device
	// HostPID, HostIPC and HostUTS keep the process in the host's PID,
	// IPC (and /dev/shm) and UTS namespaces (--pid, --ipc, --uts host).
	HostPID, HostIPC, HostUTS bool
	// GroupAdd are supplementary groups the process gets besides its
	// user's (--group-add).
	GroupAdd []string
	// Sysctls are KEY=VALUE kernel settings of the container's
	// namespaces (--sysctl), written before it starts.
	Sysctls []string
	// Init runs the berth binary the monitor runs from (its sealed copy)
	// as the process, with the command as its arguments: the container's
	// init (package pid1, --init).
	Init bool
	// PIDOf and IPCOf, if not 0, are processes whose PID and IPC (and
	// /dev/shm) namespaces the process joins (--pid, --ipc
	// container:NAME).
	PIDOf, IPCOf int
	// OOMScoreAdj, if not 0, is the process's oom_score_adj
	// (--oom-score-adj); 0 leaves the one it inherits from the monitor.
	OOMScoreAdj int
}

// Device is a host device node made in the container's /dev (--device).
type Device struct {
	// Path is where the node goes in the container.
	Path         string
	Mode         uint32 // type and permission bits, as the host's node has them
	Major, Minor uint32
	UID, GID     uint32
}

// Mount is one mount made inside the rootfs before pivot_root.
type Mount struct {
	// Type is "bind" or "tmpfs".
	Type   string
	Source string
	Dest   string
	RO     bool
	// Data holds tmpfs options.
	Data string
	// Fill, for a volume, first copies what the container's filesystem
	// holds at Dest into the volume if the volume is empty, as docker
	// does unless the volume is mounted nocopy.
	Fill bool
}

// DefaultPath is the PATH a container gets when neither the image nor the
// user sets one.
const DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
