package engine

import (
	"time"

	"github.com/berth-dev/berth/store"
)

// Container states, as docker names them.
const (
	StateCreated    = "created"
	StateRunning    = "running"
	StatePaused     = "paused"
	StateRestarting = "restarting"
	StateExited     = "exited"
	StateDead       = "dead"
)

// ContainerConfig is the host-independent configuration of a container, in
// the shape of docker's Config (inspect prints it as is).
type ContainerConfig struct {
	Hostname     string
	Domainname   string
	User         string
	AttachStdin  bool
	AttachStdout bool
	AttachStderr bool
	ExposedPorts map[string]struct{} `json:",omitempty"`
	Tty          bool
	OpenStdin    bool
	StdinOnce    bool
	Env          []string
	Cmd          []string
	Image        string
	Volumes      map[string]struct{}
	WorkingDir   string
	Entrypoint   []string
	// MacAddress is the MAC the container's interface on its network
	// has (--mac-address); "" derives it from the address, as docker
	// does.
	MacAddress  string `json:",omitempty"`
	Labels      map[string]string
	StopSignal  string        `json:",omitempty"`
	StopTimeout *int          `json:",omitempty"`
	Healthcheck *HealthConfig `json:",omitempty"`
}

// HealthConfig is a container's health check, as docker's
// Config.Healthcheck (and the image's HEALTHCHECK): Test is ["NONE"],
// ["CMD", ARGS...] or ["CMD-SHELL", COMMAND]; zero durations and retries
// take docker's defaults (30 s, 30 s, none, 3).
type HealthConfig struct {
	Test        []string      `json:",omitempty"`
	Interval    time.Duration `json:",omitempty"`
	Timeout     time.Duration `json:",omitempty"`
	StartPeriod time.Duration `json:",omitempty"`
	Retries     int           `json:",omitempty"`
}

// PortBinding is one host address a container port is published on.
type PortBinding struct {
	HostIP   string `json:"HostIp"`
	HostPort string
}

// RestartPolicy is docker's restart policy: Name is "no", "always",
// "unless-stopped" or "on-failure" (which honours MaximumRetryCount).
type RestartPolicy struct {
	Name              string
	MaximumRetryCount int
}

// HostConfig is the host-dependent configuration of a container, in the
// shape of docker's HostConfig.
type HostConfig struct {
	Binds           []string
	NetworkMode     string
	PortBindings    map[string][]PortBinding
	PublishAllPorts bool
	RestartPolicy   RestartPolicy
	AutoRemove      bool
	Privileged      bool
	// Init is true for a container run with --init, null otherwise, as
	// in docker.
	Init           *bool
	CapAdd         []string
	CapDrop        []string
	SecurityOpt    []string `json:",omitempty"`
	ExtraHosts     []string
	Dns            []string
	DnsSearch      []string
	DnsOptions     []string
	ShmSize        int64
	Ulimits        []Ulimit
	Devices        []DeviceMapping
	PidMode        string
	IpcMode        string
	UTSMode        string
	Sysctls        map[string]string `json:",omitempty"`
	GroupAdd       []string
	ReadonlyRootfs bool
	Tmpfs          map[string]string `json:",omitempty"`
	VolumesFrom    []string
	Memory         int64
	MemorySwap     int64
	// MemoryReservation is the soft memory limit (--memory-reservation).
	MemoryReservation int64
	// MemorySwappiness is how readily the kernel swaps the container's
	// memory out (--memory-swappiness, 0..100); null is the host's.
	MemorySwappiness *int64
	// OomKillDisable keeps the OOM killer off the container's processes
	// (--oom-kill-disable): at the memory limit they wait for memory.
	OomKillDisable bool
	CpuShares      int64
	NanoCpus       int64 `json:"NanoCpus"`
	// CpuPeriod and CpuQuota are the CPU bandwidth in microseconds
	// (--cpu-period, --cpu-quota).
	CpuPeriod int64
	CpuQuota  int64
	// CpusetCpus and CpusetMems are the CPUs and memory nodes the
	// container may use (--cpuset-cpus, --cpuset-mems); "" means all.
	CpusetCpus string
	CpusetMems string
	PidsLimit  *int64
	// BlkioWeight is the container's relative share of block I/O
	// (--blkio-weight, 10..1000); 0 is the kernel's default.
	BlkioWeight uint16
	// BlkioWeightDevice and the BlkioDevice rates are weights and rate
	// limits on single disks (--blkio-weight-device, --device-read-bps,
	// --device-write-bps, --device-read-iops, --device-write-iops).
	BlkioWeightDevice    []WeightDevice
	BlkioDeviceReadBps   []ThrottleDevice
	BlkioDeviceWriteBps  []ThrottleDevice
	BlkioDeviceReadIOps  []ThrottleDevice
	BlkioDeviceWriteIOps []ThrottleDevice
	// OomScoreAdj is the container process's oom_score_adj
	// (--oom-score-adj): how readily the kernel picks it in an OOM.
	OomScoreAdj int
	LogConfig   LogConfig
	// ConsoleSize is the height and width of the container's terminal
	// at its start.
	ConsoleSize [2]uint
}

// LogConfig is a container's log settings, in the shape of docker's
// HostConfig.LogConfig: Type is "berth" (the container's log file) or
// "none" (no log is kept), Config holds the --log-opt keys (max-size,
// max-file).
type LogConfig struct {
	Type   string
	Config map[string]string
}

// MountPoint is a volume, bind or tmpfs mount of a container, in the shape
// of docker's inspect Mounts entries.
type MountPoint struct {
	// Type is "bind", "volume" or "tmpfs".
	Type string
	// Name is the volume name (volumes only).
	Name string `json:",omitempty"`
	// Source is the host path (the volume's data directory for volumes).
	Source      string
	Destination string
	Driver      string `json:",omitempty"`
	Mode        string
	RW          bool
	Propagation string
	// Anonymous marks a volume created for this container only, removed
	// with it by rm -v and --rm.
	Anonymous bool `json:"-"`
	// Options holds tmpfs mount options.
	Options string `json:"-"`
}

// mountRecord is how a MountPoint is stored (MountPoint hides fields from
// inspect output that the store must keep).
type mountRecord struct {
	MountPoint
	Anonymous bool   `json:"anonymous,omitempty"`
	Options   string `json:"options,omitempty"`
	// Inherited marks a mount taken from another container
	// (--volumes-from).
	Inherited bool `json:"inherited,omitempty"`
}

// containerRecord is a container's config.json.
type containerRecord struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	// Image is the image reference as the user gave it.
	Image string `json:"image"`
	// ImageID is the image's ID (sha256:...); the image code refuses to
	// remove images that a container record names here.
	ImageID string `json:"imageID"`
	// Layers are the chain IDs of the image's layers, bottom first.
	Layers     []store.Digest  `json:"layers"`
	Path       string          `json:"path"`
	Args       []string        `json:"args"`
	Config     ContainerConfig `json:"config"`
	HostConfig HostConfig      `json:"hostConfig"`
	Mounts     []mountRecord   `json:"mounts"`
	// Aliases are the --network-alias names on the container's network.
	Aliases []string `json:"aliases,omitempty"`
	// IPv4Address is the address asked for on the container's network
	// (--ip).
	IPv4Address string `json:"ipv4Address,omitempty"`
}

// containerState is a container's state.json. The monitor writes it while
// it lives; other processes write it only when no monitor runs.
type containerState struct {
	Status       string    `json:"status"`
	Pid          int       `json:"pid,omitempty"`
	MonitorPid   int       `json:"monitorPid,omitempty"`
	ExitCode     int       `json:"exitCode"`
	OOMKilled    bool      `json:"oomKilled,omitempty"`
	Error        string    `json:"error,omitempty"`
	StartedAt    time.Time `json:"startedAt"`
	FinishedAt   time.Time `json:"finishedAt"`
	RestartCount int       `json:"restartCount"`
}

// mounts returns the record's mounts as inspect shows them.
func (r *containerRecord) mountPoints() []MountPoint {
	out := make([]MountPoint, 0, len(r.Mounts))
	for _, m := range r.Mounts {
		mp := m.MountPoint
		mp.Anonymous, mp.Options = m.Anonymous, m.Options
		out = append(out, mp)
	}
	return out
}
