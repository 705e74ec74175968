// Package containerinit is the init of berth's containers: the process
// the container monitor starts (re-executing berth with argv[0]
// "berth-init") in the container's new namespaces, which mounts the
// container's filesystem, pivots into it, sets up its devices, hostname,
// limits, user and capabilities, and execs the container's command. It
// also defines the spec and status messages the monitor and the init
// exchange over the init's sync socket.
//
// The init runs from this package's init function, so it starts before
// the packages berth's other commands need initialise; the package
// imports only the standard library and golang.org/x/sys/unix to keep
// that early.
package containerinit

// Spec is everything a container's init needs, resolved by the monitor
// to host paths and final values, and sent to the init over its sync
// socket. The init never reads the store.
type Spec struct {
	// Root is the store root; Lower entries are relative to it, which
	// keeps the overlay mount options short.
	Root string `json:"root"`
	// Lower are the overlay lower directories, top first.
	Lower  []string `json:"lower"`
	Upper  string   `json:"upper"`
	Work   string   `json:"work"`
	Rootfs string   `json:"rootfs"`

	Args       []string `json:"args"`
	Env        []string `json:"env"`
	Cwd        string   `json:"cwd"`
	User       string   `json:"user"`
	Hostname   string   `json:"hostname"`
	Tty        bool     `json:"tty"`
	NewNet     bool     `json:"newNet"`
	CgroupNS   bool     `json:"cgroupNS"`
	ReadOnly   bool     `json:"readOnly"`
	Privileged bool     `json:"privileged"`
	Caps       []string `json:"caps"`
	Mounts     []Mount  `json:"mounts"`
	Masked     []string `json:"masked"`
	ReadOnlyP  []string `json:"readOnlyPaths"`
	NoFile     uint64   `json:"noFile"`
	// WaitRelease makes the init report Ready just before it execs the
	// container's process and wait for the monitor's release: the
	// monitor applies the limits a multi-threaded Go process cannot start
	// under (a pids limit below its thread count) only then, as runc does
	// on its procReady.
	WaitRelease bool `json:"waitRelease,omitempty"`
	// CgroupTasks are the container's cgroup v1 directories, which the
	// init's thread joins itself (see joinCgroups).
	CgroupTasks []string `json:"cgroupTasks,omitempty"`
	// The init starts before the monitor has read the container's record,
	// so what depends on it comes with the spec, as descriptors
	// (SCM_RIGHTS) in this order: with NetNS, the network namespace the
	// init joins first thing; with Stdio, the container's stdin, stdout
	// and stderr, which replace the init's /dev/null (a container with a
	// terminal gets the PTY the init makes instead).
	NetNS bool `json:"netNS,omitempty"`
	Stdio bool `json:"stdio,omitempty"`
}

// MaxSpecFds is the most descriptors a spec message carries.
const MaxSpecFds = 4

// Mount is one mount the init makes inside the rootfs before
// pivot_root.
type Mount struct {
	// Type is "bind" or "tmpfs".
	Type   string `json:"type"`
	Source string `json:"source,omitempty"`
	Dest   string `json:"dest"`
	RO     bool   `json:"ro,omitempty"`
	// Data holds tmpfs options.
	Data string `json:"data,omitempty"`
}

// Msg is what the init reports to the monitor over the sync socket. A
// message with PTY set carries the PTY master as SCM_RIGHTS; a message
// with Error set ends the start: Code is docker's exit code (125 engine
// error, 126 cannot execute, 127 not found). With the spec's WaitRelease,
// a message with Ready set says the init is about to exec and waits for
// one byte (Release) from the monitor. When the init execs the
// container's process the socket closes (it is close-on-exec), which is
// how the monitor learns the start succeeded.
type Msg struct {
	PTY   bool   `json:"pty,omitempty"`
	Ready bool   `json:"ready,omitempty"`
	Code  int    `json:"code,omitempty"`
	Error string `json:"error,omitempty"`
}

// Release is the byte the monitor sends a Ready init to let it exec.
const Release = 'r'

// DefaultPath is the PATH a container gets when neither the image nor the
// user sets one.
const DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
