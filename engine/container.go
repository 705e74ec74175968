package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/berth-dev/berth/engine/logfile"
	"github.com/berth-dev/berth/engine/spawn"
	"github.com/berth-dev/berth/store"
)

// ContainerNotFoundError is returned for a container reference that names
// no container: "no such container: web".
type ContainerNotFoundError struct {
	Ref string
}

func (e *ContainerNotFoundError) Error() string { return "no such container: " + e.Ref }

// Unwrap returns ErrNotFound.
func (e *ContainerNotFoundError) Unwrap() error { return ErrNotFound }

// NameConflictError is returned when a container name is taken.
type NameConflictError struct {
	Name string
	// ID is the container holding the name.
	ID string
}

func (e *NameConflictError) Error() string {
	return fmt.Sprintf("Conflict. The container name \"/%s\" is already in use by container %q. You have to remove (or rename) that container to be able to reuse that name.", e.Name, e.ID)
}

// Unwrap returns ErrConflict.
func (e *NameConflictError) Unwrap() error { return ErrConflict }

// StateError is returned for an operation the container's state does not
// allow, such as removing a running container.
type StateError struct {
	ID    string
	State string
	Msg   string
}

func (e *StateError) Error() string { return e.Msg }

// Unwrap returns ErrConflict.
func (e *StateError) Unwrap() error { return ErrConflict }

// CreateOptions describe a container to create, as docker create's flags
// do. Zero values take the image's defaults.
type CreateOptions struct {
	// Image is the image reference (name[:tag], name@digest or ID).
	Image string
	// Name is the container's name; empty generates one.
	Name string
	// Cmd replaces the image's Cmd when not nil.
	Cmd []string
	// Entrypoint replaces the image's Entrypoint when not nil; a pointer
	// to "" clears it. Replacing the entrypoint also drops the image's Cmd.
	Entrypoint *string
	// Env holds KEY=VALUE entries added to (or replacing those of) the
	// image's environment.
	Env        []string
	WorkingDir string
	// User is user[:group], names or numbers, resolved in the container.
	User     string
	Hostname string
	Labels   map[string]string
	Tty      bool
	// ConsoleSize is the height and width of the terminal (Tty) the
	// container starts with, as docker's; zero leaves it to the first
	// resize.
	ConsoleSize [2]uint
	// OpenStdin keeps the container's stdin open for attach clients (-i).
	OpenStdin bool
	// Volumes are -v specs: NAME:DST[:ro], /SRC:DST[:ro] or DST.
	Volumes []string
	// Tmpfs are --tmpfs specs: DST[:OPTIONS].
	Tmpfs []string
	// VolumesFrom are --volumes-from specs, CONTAINER[:ro|:rw]: that
	// container's volumes and bind mounts, read-only or read-write, or as
	// it has them.
	VolumesFrom []string
	ReadOnly    bool
	// Memory is the memory limit in bytes; 0 means none.
	Memory int64
	// MemorySwap limits memory plus swap (--memory-swap): 0 means twice
	// Memory, -1 unlimited.
	MemorySwap int64
	// NanoCPUs is the CPU limit in billionths of a CPU (--cpus 1.5 is
	// 1.5e9); 0 means none.
	NanoCPUs int64
	// CPUShares is the relative CPU weight (--cpu-shares); 0 means 1024.
	CPUShares int64
	// CPUPeriod and CPUQuota are the CPU bandwidth in microseconds
	// (--cpu-period, --cpu-quota); 0 leaves the period at 100 ms and sets
	// no quota.
	CPUPeriod, CPUQuota int64
	// CpusetCPUs and CpusetMems are the CPUs and memory nodes the
	// container may use (--cpuset-cpus 0-2,4, --cpuset-mems); "" means
	// all.
	CpusetCPUs, CpusetMems string
	// MemoryReservation is a soft memory limit in bytes
	// (--memory-reservation); 0 means none.
	MemoryReservation int64
	// MemorySwappiness, if not nil, is the container's swappiness
	// (--memory-swappiness, 0..100).
	MemorySwappiness *int64
	// OOMKillDisable keeps the OOM killer off the container
	// (--oom-kill-disable).
	OOMKillDisable bool
	// OOMScoreAdj is the container process's oom_score_adj
	// (--oom-score-adj, -1000..1000).
	OOMScoreAdj int
	// PidsLimit limits processes; 0 means none.
	PidsLimit int64
	CapAdd    []string
	CapDrop   []string
	// Privileged gives the container all capabilities and devices.
	Privileged bool
	// BlkioWeight, BlkioWeightDevice and the BlkioDevice rates are the
	// block I/O limits, as in HostConfig.
	BlkioWeight       uint16
	BlkioWeightDevice []WeightDevice
	BlkioDeviceReadBps, BlkioDeviceWriteBps,
	BlkioDeviceReadIOps, BlkioDeviceWriteIOps []ThrottleDevice
	// Init runs an init as the container's first process, which starts
	// the command, passes signals on to it and reaps orphans (--init).
	Init bool
	// SecurityOpt are --security-opt settings (see checkSecurityOpts).
	SecurityOpt []string
	// ExtraHosts are --add-host HOST:IP entries for /etc/hosts.
	ExtraHosts []string
	// DNS, DNSSearch and DNSOptions replace the nameserver, search and
	// options lines of the container's resolv.conf.
	DNS, DNSSearch, DNSOptions []string
	// ShmSize is the size of /dev/shm in bytes; 0 means 64 MiB.
	ShmSize int64
	// Ulimits are --ulimit NAME=SOFT[:HARD] settings.
	Ulimits []string
	// Devices are --device HOST[:CONTAINER[:PERMISSIONS]] settings.
	Devices []string
	// Sysctls are --sysctl KEY=VALUE kernel settings.
	Sysctls []string
	// GroupAdd are --group-add supplementary groups (names or GIDs).
	GroupAdd []string
	// Expose are --expose ports: PORT[-PORT][/PROTO].
	Expose []string
	// Domainname is the container's NIS domain name (--domainname).
	Domainname string
	// AttachStdin, AttachStdout and AttachStderr are the standard streams
	// a client attaches to (docker's Config fields of the same names; run
	// -a, and none with -d). Stdin is also attached with OpenStdin.
	AttachStdin, AttachStdout, AttachStderr bool
	// MacAddress is the MAC of the container's interface on its network
	// (--mac-address), a unicast one; "" derives it from its address.
	MacAddress string
	// PidMode, IpcMode and UTSMode are "host" to keep the container in
	// the host's PID, IPC or UTS namespace (--pid, --ipc, --uts).
	PidMode, IpcMode, UTSMode string
	// Healthcheck's non-zero fields replace the image's HEALTHCHECK ones
	// (--health-cmd is Test ["CMD-SHELL", CMD]); NoHealthcheck disables
	// the image's.
	Healthcheck   *HealthConfig
	NoHealthcheck bool
	// Restart is a restart policy: "", "no", "always", "unless-stopped",
	// "on-failure" or "on-failure:N".
	Restart string
	// LogDriver is --log-driver: "" or "berth" (docker's "json-file"
	// and "local" are taken for it) keeps the output in the container's
	// log, "none" keeps none.
	LogDriver string
	// LogOpts are --log-opt settings of the container's log:
	// max-size=SIZE (10m, 1g) and max-file=N, as docker's json-file
	// driver takes them. None means one log that is never rotated.
	LogOpts    []string
	AutoRemove bool
	// NetworkMode is "none", "host", "bridge" or a network name; empty
	// picks the default.
	NetworkMode string
	// PortBindings and PublishAllPorts are stored for the network code
	// (-p, -P), keyed "PORT/PROTO".
	PortBindings    map[string][]PortBinding
	PublishAllPorts bool
	// NetworkAliases are names (--network-alias) the container's peers
	// on its user network resolve to it. The default bridge, host and
	// none networks have no name resolution and refuse them.
	NetworkAliases []string
	// IPv4Address is the container's address on its user-defined network
	// (--ip); "" leases a free one.
	IPv4Address string
	// Platform, if set, is the platform the image must be for
	// (--platform os/arch[/variant]); an image of another one counts as
	// missing, so that run pulls the right one.
	Platform string
	// StopSignal and StopTimeout (seconds) override the image's.
	StopSignal  string
	StopTimeout *int
}

// defaultNetworkMode is the network of a container created without one,
// docker's default bridge.
const defaultNetworkMode = DefaultBridge

// Create creates a container from an image without starting it and
// returns its ID. The image's config applies as docker applies it:
// Entrypoint and Cmd (a new entrypoint drops the image's Cmd), Env (the
// caller's entries replace the image's by key), WorkingDir, User,
// StopSignal, ExposedPorts, Labels and Volumes (anonymous volumes). It
// returns an *ImageNotFoundError, a *NameConflictError, or ErrInvalid for
// bad options; on any error nothing is left behind.
func (e *Engine) Create(ctx context.Context, o CreateOptions) (string, error) {
	id, err := spawn.NewID()
	if err != nil {
		return "", fmt.Errorf("create container: %w", err)
	}
	return id, e.create(ctx, o, id)
}

// create creates container id as Create does.
func (e *Engine) create(ctx context.Context, o CreateOptions, id string) error {
	img, icfg, err := e.LookupImage(ctx, o.Image)
	if err != nil {
		return err
	}
	if o.Platform != "" {
		if err := checkPlatform(o.Image, o.Platform, icfg); err != nil {
			return err
		}
	}
	if o.Name != "" {
		if err := store.CheckName(o.Name); err != nil {
			return invalidf("invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", o.Name)
		}
	}
	cfg, host, err := mergeConfig(icfg, o)
	if err != nil {
		return err
	}
	full := append(append([]string(nil), cfg.Entrypoint...), cfg.Cmd...)
	if len(full) == 0 {
		return fmt.Errorf("create container: %w: no command specified", ErrInvalid)
	}
	var netOwner *containerRecord
	if ref, ok := strings.CutPrefix(host.NetworkMode, "container:"); ok {
		if netOwner, err = e.netOwner(ctx, ref, o); err != nil {
			return err
		}
		host.NetworkMode = "container:" + netOwner.ID
	}
	if _, err := e.networkFor(host.NetworkMode); err != nil {
		return err
	}
	for _, mode := range []*string{&host.PidMode, &host.IpcMode} {
		if ref, ok := strings.CutPrefix(*mode, "container:"); ok {
			target, err := e.ResolveContainer(ctx, ref)
			if err != nil {
				return err
			}
			*mode = "container:" + target
		}
	}
	if len(o.NetworkAliases) > 0 {
		if m := host.NetworkMode; m == DefaultBridge || m == "host" || m == "none" {
			return netInvalid("network-scoped alias is supported only for containers in user defined networks")
		}
	}
	if o.IPv4Address != "" {
		if err := e.checkStaticIP(host.NetworkMode, o.IPv4Address); err != nil {
			return err
		}
	}
	if o.MacAddress != "" {
		if err := checkMAC(host.NetworkMode, o.MacAddress); err != nil {
			return err
		}
	}
	inherited, err := e.volumesFrom(ctx, o.VolumesFrom)
	if err != nil {
		return err
	}
	mounts, err := parseMounts(o.Volumes, o.Tmpfs, inherited, cfg.Volumes)
	if err != nil {
		return err
	}
	if netOwner != nil {
		cfg.Hostname = netOwner.Config.Hostname
	}
	if cfg.Hostname == "" {
		cfg.Hostname = id[:12]
		if host.NetworkMode == "host" || host.UTSMode == "host" {
			if h, err := os.Hostname(); err == nil {
				cfg.Hostname = h
			}
		}
	}
	rec := &containerRecord{
		ID:          id,
		Created:     time.Now().UTC(),
		Image:       o.Image,
		ImageID:     string(img.ID),
		Layers:      img.ChainIDs(),
		Path:        full[0],
		Args:        full[1:],
		Config:      cfg,
		HostConfig:  host,
		Aliases:     o.NetworkAliases,
		IPv4Address: o.IPv4Address,
	}
	var made []string // volumes made for this container, removed on failure
	fail := func(err error) error {
		for _, v := range made {
			e.st.DeleteVolume(v)
		}
		return err
	}
	for i := range mounts {
		m := &mounts[i]
		if m.Type != "volume" {
			continue
		}
		if m.Anonymous && !m.Inherited {
			name, err := spawn.NewID()
			if err != nil {
				return fail(err)
			}
			m.Name = name
		}
		created, err := e.ensureVolume(m.Name)
		if err != nil {
			return fail(err)
		}
		if created {
			made = append(made, m.Name)
		}
		m.Source = e.st.VolumePath(m.Name)
	}
	rec.Mounts = mounts
	for _, m := range mounts {
		if m.Type == "bind" && !m.Inherited {
			host.Binds = append(host.Binds, bindSpec(m))
		}
	}
	rec.HostConfig.Binds = host.Binds
	// A container removed when it exits needs no durable records: a
	// power loss ends it anyway. Its writes still survive a kill -9.
	var wo []store.WriteOption
	if o.AutoRemove {
		wo = append(wo, store.NoSync())
	}
	name := o.Name
	for try := 0; ; try++ {
		if name == "" || try > 0 && o.Name == "" {
			name = randomName(try)
		}
		err := e.st.ReserveName(name, id, wo...)
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrExists) {
			return fail(fmt.Errorf("create container: %w", err))
		}
		if o.Name != "" || try > 10 {
			owner, _ := e.st.LookupName(name)
			return fail(&NameConflictError{Name: name, ID: owner})
		}
	}
	rec.Name = name
	if _, err := e.st.CreateContainer(id, rec, wo...); err != nil {
		e.st.ReleaseName(name, id)
		return fail(fmt.Errorf("create container: %w", err))
	}
	// No state is written: a container without one reads as created
	// (readStateRaw). Its hosts, hostname and resolv.conf files are
	// written by each start (writeContainerFiles).
	if _, err := e.st.InitLayer(); err != nil {
		e.st.DeleteContainer(id)
		e.st.ReleaseName(name, id)
		return fail(fmt.Errorf("create container: %w", err))
	}
	for _, v := range made {
		e.emit("volume", "create", v, nil)
	}
	e.emit("container", "create", id, map[string]string{"name": name, "image": o.Image})
	return nil
}

// mergeConfig applies the caller's options over the image's config as
// docker does.
func mergeConfig(icfg *v1.ConfigFile, o CreateOptions) (ContainerConfig, HostConfig, error) {
	var ic v1.Config
	if icfg != nil {
		ic = icfg.Config
	}
	c := ContainerConfig{
		Hostname:     o.Hostname,
		User:         ic.User,
		AttachStdout: o.AttachStdout,
		AttachStderr: o.AttachStderr,
		AttachStdin:  o.AttachStdin || o.OpenStdin,
		OpenStdin:    o.OpenStdin,
		StdinOnce:    o.OpenStdin,
		Tty:          o.Tty,
		Image:        o.Image,
		WorkingDir:   ic.WorkingDir,
		Entrypoint:   ic.Entrypoint,
		Cmd:          ic.Cmd,
		StopSignal:   ic.StopSignal,
		StopTimeout:  o.StopTimeout,
	}
	if o.Entrypoint != nil {
		c.Entrypoint = nil
		if *o.Entrypoint != "" {
			c.Entrypoint = []string{*o.Entrypoint}
		}
		c.Cmd = nil
	}
	if o.Cmd != nil {
		c.Cmd = o.Cmd
	}
	if o.User != "" {
		c.User = o.User
	}
	if o.WorkingDir != "" {
		if !path.IsAbs(o.WorkingDir) {
			return c, HostConfig{}, invalidf("the working directory '%s' is invalid, it needs to be an absolute path", o.WorkingDir)
		}
		c.WorkingDir = o.WorkingDir
	}
	if o.StopSignal != "" {
		c.StopSignal = o.StopSignal
	}
	if c.StopSignal != "" {
		if _, err := parseSignal(c.StopSignal); err != nil {
			return c, HostConfig{}, err
		}
	}
	c.Env = mergeEnv(ic.Env, o.Env)
	if len(ic.Labels)+len(o.Labels) > 0 {
		c.Labels = map[string]string{}
		for k, v := range ic.Labels {
			c.Labels[k] = v
		}
		for k, v := range o.Labels {
			c.Labels[k] = v
		}
	}
	hc, err := mergeHealthcheck(ic.Healthcheck, o.Healthcheck, o.NoHealthcheck)
	if err != nil {
		return c, HostConfig{}, err
	}
	c.Healthcheck = hc
	if len(ic.ExposedPorts) > 0 {
		c.ExposedPorts = map[string]struct{}{}
		for p := range ic.ExposedPorts {
			c.ExposedPorts[p] = struct{}{}
		}
	}
	exposed, err := exposedPorts(o.Expose)
	if err != nil {
		return c, HostConfig{}, err
	}
	for p := range o.PortBindings {
		exposed = append(exposed, p)
	}
	for _, p := range exposed {
		if c.ExposedPorts == nil {
			c.ExposedPorts = map[string]struct{}{}
		}
		c.ExposedPorts[p] = struct{}{}
	}
	c.Domainname = o.Domainname
	c.MacAddress = o.MacAddress
	if len(ic.Volumes) > 0 {
		c.Volumes = map[string]struct{}{}
		for v := range ic.Volumes {
			c.Volumes[v] = struct{}{}
		}
	}
	policy, err := parseRestartPolicy(o.Restart)
	if err != nil {
		return c, HostConfig{}, err
	}
	if o.AutoRemove && policy.Name != "no" {
		return c, HostConfig{}, invalidf("conflicting options: cannot combine --restart and --rm")
	}
	if _, err := containerCaps(o.Privileged, o.CapAdd, o.CapDrop); err != nil {
		return c, HostConfig{}, err
	}
	if err := checkSecurityOpts(o.SecurityOpt); err != nil {
		return c, HostConfig{}, err
	}
	if o.Init {
		if err := checkInitBinary("/proc/self/exe"); err != nil {
			return c, HostConfig{}, err
		}
	}
	if err := checkExtraHosts(o.ExtraHosts); err != nil {
		return c, HostConfig{}, err
	}
	if err := checkDNS(o.DNS); err != nil {
		return c, HostConfig{}, err
	}
	if o.ShmSize < 0 {
		return c, HostConfig{}, invalidf("invalid --shm-size: it must be positive")
	}
	shm := o.ShmSize
	if shm == 0 {
		shm = 64 << 20 // docker's default, and inspect shows it as docker's does
	}
	if err := checkNamespaceModes(o); err != nil {
		return c, HostConfig{}, err
	}
	sysctls, err := parseSysctls(o.Sysctls, o.NetworkMode, o.IpcMode, o.UTSMode)
	if err != nil {
		return c, HostConfig{}, err
	}
	var devices []DeviceMapping
	for _, s := range o.Devices {
		d, err := parseDevice(s)
		if err != nil {
			return c, HostConfig{}, err
		}
		devices = append(devices, d)
	}
	var ulimits []Ulimit
	for _, s := range o.Ulimits {
		u, err := parseUlimit(s)
		if err != nil {
			return c, HostConfig{}, err
		}
		ulimits = append(ulimits, u)
	}
	if o.OOMScoreAdj < -1000 || o.OOMScoreAdj > 1000 {
		return c, HostConfig{}, invalidf("invalid value %d, range for oom score adj is [-1000, 1000]", o.OOMScoreAdj)
	}
	logConfig, err := parseLogConfig(o.LogDriver, o.LogOpts)
	if err != nil {
		return c, HostConfig{}, err
	}
	h := HostConfig{
		ConsoleSize:       o.ConsoleSize,
		NetworkMode:       o.NetworkMode,
		PortBindings:      o.PortBindings,
		PublishAllPorts:   o.PublishAllPorts,
		RestartPolicy:     policy,
		AutoRemove:        o.AutoRemove,
		Privileged:        o.Privileged,
		CapAdd:            o.CapAdd,
		CapDrop:           o.CapDrop,
		SecurityOpt:       o.SecurityOpt,
		ExtraHosts:        o.ExtraHosts,
		Dns:               o.DNS,
		DnsSearch:         o.DNSSearch,
		DnsOptions:        o.DNSOptions,
		ShmSize:           shm,
		Ulimits:           ulimits,
		Devices:           devices,
		PidMode:           o.PidMode,
		IpcMode:           o.IpcMode,
		UTSMode:           o.UTSMode,
		Sysctls:           sysctls,
		GroupAdd:          o.GroupAdd,
		ReadonlyRootfs:    o.ReadOnly,
		VolumesFrom:       o.VolumesFrom,
		Memory:            o.Memory,
		MemorySwap:        o.MemorySwap,
		MemoryReservation: o.MemoryReservation,
		CpuShares:         o.CPUShares,
		NanoCpus:          o.NanoCPUs,
		CpuPeriod:         o.CPUPeriod,
		CpuQuota:          o.CPUQuota,
		CpusetCpus:        o.CpusetCPUs,
		CpusetMems:        o.CpusetMems,
		OomScoreAdj:       o.OOMScoreAdj,
		LogConfig:         logConfig,
	}
	if h.NetworkMode == "" || h.NetworkMode == "default" {
		h.NetworkMode = defaultNetworkMode
	}
	if o.PidsLimit > 0 {
		n := o.PidsLimit
		h.PidsLimit = &n
	}
	h.MemorySwappiness, h.OomKillDisable = o.MemorySwappiness, o.OOMKillDisable
	h.BlkioWeight, h.BlkioWeightDevice = o.BlkioWeight, o.BlkioWeightDevice
	h.BlkioDeviceReadBps, h.BlkioDeviceWriteBps = o.BlkioDeviceReadBps, o.BlkioDeviceWriteBps
	h.BlkioDeviceReadIOps, h.BlkioDeviceWriteIOps = o.BlkioDeviceReadIOps, o.BlkioDeviceWriteIOps
	if o.Init {
		h.Init = &o.Init
	}
	if len(o.Tmpfs) > 0 {
		h.Tmpfs = map[string]string{}
		for _, t := range o.Tmpfs {
			dst, opts, _ := strings.Cut(t, ":")
			h.Tmpfs[dst] = opts
		}
	}
	if err := h.checkLimits(); err != nil {
		return c, HostConfig{}, err
	}
	return c, h, nil
}

// mergeEnv returns base with the entries of over added, an entry of over
// replacing the base entry with the same key.
func mergeEnv(base, over []string) []string {
	out := append([]string(nil), base...)
	idx := map[string]int{}
	for i, kv := range out {
		k, _, _ := strings.Cut(kv, "=")
		idx[k] = i
	}
	for _, kv := range over {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := idx[k]; ok {
			out[i] = kv
			continue
		}
		idx[k] = len(out)
		out = append(out, kv)
	}
	return out
}

// parseRestartPolicy parses docker's --restart values.
func parseRestartPolicy(s string) (RestartPolicy, error) {
	name, count, hasCount := strings.Cut(s, ":")
	switch name {
	case "", "no":
		if hasCount {
			break
		}
		return RestartPolicy{Name: "no"}, nil
	case "always", "unless-stopped":
		if hasCount {
			return RestartPolicy{}, invalidf("maximum retry count cannot be used with restart policy '%s'", name)
		}
		return RestartPolicy{Name: name}, nil
	case "on-failure":
		p := RestartPolicy{Name: name}
		if hasCount {
			n, err := strconv.Atoi(count)
			if err != nil || n < 0 {
				return RestartPolicy{}, invalidf("invalid restart policy %q: maximum retry count must be a positive integer", s)
			}
			p.MaximumRetryCount = n
		}
		return p, nil
	}
	return RestartPolicy{}, invalidf("invalid restart policy %q: use no, always, unless-stopped or on-failure[:max-retries]", s)
}

// volumesFrom returns the mounts --volumes-from specs take from other
// containers: their volumes and bind mounts, read-only with :ro,
// read-write with :rw, as they have them otherwise.
func (e *Engine) volumesFrom(ctx context.Context, specs []string) ([]mountRecord, error) {
	var out []mountRecord
	for _, spec := range specs {
		ref, mode, _ := strings.Cut(spec, ":")
		if mode != "" && mode != "ro" && mode != "rw" {
			return nil, invalidf("invalid mode for volumes-from: %s", mode)
		}
		rec, err := e.lookupRecord(ctx, ref)
		if err != nil {
			return nil, err
		}
		for _, m := range rec.Mounts {
			if m.Type != "volume" && m.Type != "bind" {
				continue
			}
			// An anonymous volume stays anonymous: rm -v of the last
			// container that uses it removes it.
			m.Inherited = true
			switch mode {
			case "ro":
				m.RW = false
			case "rw":
				m.RW = true
			}
			out = append(out, m)
		}
	}
	return out, nil
}

// parseMounts turns -v and --tmpfs specs, the mounts inherited from
// --volumes-from that they do not cover, and the image's volumes that
// none of those cover into mount records. Named and anonymous volumes get
// their Source when they are created.
func parseMounts(volumes, tmpfs []string, inherited []mountRecord, imageVolumes map[string]struct{}) ([]mountRecord, error) {
	var out []mountRecord
	seen := map[string]bool{}
	add := func(m mountRecord) error {
		if !path.IsAbs(m.Destination) {
			return invalidf("invalid mount config: mount path must be absolute: %s", m.Destination)
		}
		m.Destination = path.Clean(m.Destination)
		if m.Destination == "/" {
			return invalidf("invalid mount config: destination can't be '/'")
		}
		if seen[m.Destination] {
			return invalidf("duplicate mount point: %s", m.Destination)
		}
		seen[m.Destination] = true
		out = append(out, m)
		return nil
	}
	for _, spec := range volumes {
		parts := strings.Split(spec, ":")
		var src, dst, mode string
		switch len(parts) {
		case 1:
			dst = parts[0]
		case 2:
			if path.IsAbs(parts[0]) && !strings.HasPrefix(parts[1], "/") {
				dst, mode = parts[0], parts[1]
			} else {
				src, dst = parts[0], parts[1]
			}
		case 3:
			src, dst, mode = parts[0], parts[1], parts[2]
		default:
			return nil, invalidf("invalid volume specification: '%s'", spec)
		}
		rw := true
		for _, o := range strings.Split(mode, ",") {
			switch o {
			case "", "rw", "z", "Z", "rprivate", "private", "rslave", "slave", "nocopy":
			case "ro":
				rw = false
			default:
				return nil, invalidf("invalid mode: %s", o)
			}
		}
		m := mountRecord{MountPoint: MountPoint{Destination: dst, Mode: mode, RW: rw}}
		switch {
		case src == "":
			m.Type, m.Driver, m.Anonymous = "volume", "local", true
		case path.IsAbs(src):
			if _, err := os.Stat(src); err != nil {
				return nil, invalidf("invalid mount config: bind source path does not exist: %s", src)
			}
			m.Type, m.Source, m.Propagation = "bind", filepath.Clean(src), "rprivate"
		default:
			if err := store.CheckName(src); err != nil {
				return nil, invalidf("invalid volume name %q: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed; to bind a host directory use an absolute path", src)
			}
			m.Type, m.Name, m.Driver = "volume", src, "local"
		}
		if err := add(m); err != nil {
			return nil, err
		}
	}
	for _, spec := range tmpfs {
		dst, opts, _ := strings.Cut(spec, ":")
		m := mountRecord{MountPoint: MountPoint{Type: "tmpfs", Destination: dst, RW: !strings.Contains(","+opts+",", ",ro,")}, Options: opts}
		if err := add(m); err != nil {
			return nil, err
		}
	}
	for _, m := range inherited {
		if seen[m.Destination] {
			continue
		}
		if err := add(m); err != nil {
			return nil, err
		}
	}
	var imgVols []string
	for v := range imageVolumes {
		imgVols = append(imgVols, v)
	}
	sort.Strings(imgVols)
	for _, v := range imgVols {
		if seen[path.Clean(v)] {
			continue
		}
		if err := add(mountRecord{MountPoint: MountPoint{Type: "volume", Destination: v, Driver: "local", RW: true}, Anonymous: true}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// bindSpec formats a bind mount back into -v syntax for HostConfig.Binds.
func bindSpec(m mountRecord) string {
	s := m.Source + ":" + m.Destination
	if m.Mode != "" {
		s += ":" + m.Mode
	}
	return s
}

// writeContainerFiles writes the hosts, hostname and resolv.conf files
// bound over their mount points in the container. Every start writes
// them afresh, as docker's does; the network's Attach then adds what it
// knows.
func (e *Engine) writeContainerFiles(rec *containerRecord) error {
	p := e.st.Container(rec.ID)
	hosts := "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n"
	resolv := hostResolvConf(rec.HostConfig.NetworkMode == "host")
	if rec.HostConfig.NetworkMode == "host" {
		if b, err := os.ReadFile("/etc/hosts"); err == nil {
			hosts = string(b)
		}
	}
	if owner, ok := strings.CutPrefix(rec.HostConfig.NetworkMode, "container:"); ok {
		// The network's files are the other container's.
		op := e.st.Container(owner)
		for dst, src := range map[string]string{p.Hosts: op.Hosts, p.ResolvConf: op.ResolvConf} {
			b, err := os.ReadFile(src)
			if err != nil {
				return err
			}
			if err := os.WriteFile(dst, b, 0o644); err != nil {
				return err
			}
		}
		return os.WriteFile(p.Hostname, []byte(rec.Config.Hostname+"\n"), 0o644)
	}
	gateway := ""
	if slices.ContainsFunc(rec.HostConfig.ExtraHosts, func(h string) bool { return strings.HasSuffix(h, ":"+hostGateway) }) {
		if db, err := e.st.ReadNetworks(); err == nil {
			gateway = bridgeGateway(&db)
		}
	}
	files := map[string]string{
		p.Hosts:      hosts + hostsEntries(rec.HostConfig.ExtraHosts, gateway),
		p.Hostname:   rec.Config.Hostname + "\n",
		p.ResolvConf: withDNS(resolv, rec.HostConfig),
	}
	for f, body := range files {
		if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// hostResolvConf returns the resolv.conf a container gets: the host's, and
// for containers with their own network namespace without the loopback
// nameservers they cannot reach (docker falls back to public resolvers
// when none are left).
func hostResolvConf(hostNet bool) string {
	b, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		b = nil
	}
	if hostNet {
		return string(b)
	}
	var out []string
	servers := 0
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "nameserver" {
			if strings.HasPrefix(f[1], "127.") || f[1] == "::1" {
				continue
			}
			servers++
		}
		if strings.TrimSpace(line) != "" {
			out = append(out, line)
		}
	}
	if servers == 0 {
		out = append(out, "nameserver 8.8.8.8", "nameserver 8.8.4.4")
	}
	return strings.Join(out, "\n") + "\n"
}

// ResolveContainer returns the full ID of the container ref names: a full
// ID, a unique ID prefix, or a name (with or without docker's leading
// slash). An unknown ref gives a *ContainerNotFoundError; a prefix of
// several IDs an error wrapping ErrInvalid.
func (e *Engine) ResolveContainer(ctx context.Context, ref string) (string, error) {
	ref = strings.TrimPrefix(ref, "/")
	if ref == "" {
		return "", &ContainerNotFoundError{Ref: ref}
	}
	if len(ref) == 64 && isHex(ref) {
		if _, err := os.Stat(e.st.Container(ref).Config); err == nil {
			return ref, nil
		}
	}
	if id, err := e.st.LookupName(ref); err == nil {
		return id, nil
	}
	if !isHex(ref) {
		return "", &ContainerNotFoundError{Ref: ref}
	}
	ids, err := e.st.ContainerIDs()
	if err != nil {
		return "", err
	}
	var match []string
	for _, id := range ids {
		if strings.HasPrefix(id, ref) {
			match = append(match, id)
		}
	}
	switch len(match) {
	case 0:
		return "", &ContainerNotFoundError{Ref: ref}
	case 1:
		return match[0], nil
	}
	return "", invalidf("multiple containers found with provided prefix: %s", ref)
}

// The log drivers: berth's log file, whose name inspect gives, and none,
// which keeps no output.
const (
	logDriver     = "berth"
	logDriverNone = "none"
)

// ErrNoLog is the error of reading the log of a container run with
// --log-driver none, in docker's words.
var ErrNoLog = errors.New("configured logging driver does not support reading")

// parseLogConfig checks --log-driver and --log-opt settings as the
// monitor will apply them and returns the log configuration to record.
// docker's json-file and local drivers are file logs with the same
// options as berth's, which takes their place.
func parseLogConfig(driver string, opts []string) (LogConfig, error) {
	switch driver {
	case "", logDriver, "json-file", "local":
	case logDriverNone:
		if len(opts) > 0 {
			k, _, _ := strings.Cut(opts[0], "=")
			return LogConfig{}, invalidf("unknown log opt '%s' for none log driver", k)
		}
		return LogConfig{Type: logDriverNone, Config: map[string]string{}}, nil
	default:
		return LogConfig{}, invalidf("logger: no log driver named '%s' is registered: use berth (the default; json-file and local are taken for it) or none", driver)
	}
	lc := LogConfig{Type: logDriver, Config: map[string]string{}}
	if _, err := logfile.ParseOptions(opts); err != nil {
		return lc, invalidf("invalid --log-opt: %s", strings.TrimSuffix(err.Error(), ": "+logfile.ErrInvalid.Error()))
	}
	for _, kv := range opts {
		k, v, _ := strings.Cut(kv, "=")
		lc.Config[k] = v
	}
	return lc, nil
}

// logOptions returns the log writer options of a recorded configuration.
func (lc LogConfig) logOptions() ([]logfile.Option, error) {
	kv := make([]string, 0, len(lc.Config))
	for k, v := range lc.Config {
		kv = append(kv, k+"="+v)
	}
	return logfile.ParseOptions(kv)
}

// checkPlatform checks that image ref, whose config is cfg, is for
// platform (os/arch[/variant]); a variant is compared only when platform
// names one.
func checkPlatform(ref, platform string, cfg *v1.ConfigFile) error {
	want, err := v1.ParsePlatform(platform)
	if err != nil || want.OS == "" || want.Architecture == "" {
		return invalidf("invalid platform %q: use os/arch[/variant], e.g. linux/amd64", platform)
	}
	have := v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}
	if have.OS == want.OS && have.Architecture == want.Architecture && (want.Variant == "" || have.Variant == want.Variant) {
		return nil
	}
	return &ImageNotFoundError{Ref: ref, Wanted: want.String(), Actual: have.String()}
}
