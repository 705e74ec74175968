package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/berth-dev/berth/engine/logfile"
	"github.com/berth-dev/berth/store"
)

// ContainerState is the State section of docker inspect.
type ContainerState struct {
	Status     string
	Running    bool
	Paused     bool
	Restarting bool
	OOMKilled  bool
	Dead       bool
	Pid        int
	ExitCode   int
	Error      string
	StartedAt  time.Time
	FinishedAt time.Time
	// Health is the health check's state, for a container that has one.
	Health *Health `json:",omitempty"`
}

// GraphDriver describes the container's root filesystem layers as docker's
// overlay2 driver reports them.
type GraphDriver struct {
	Name string
	Data map[string]string
}

// NetworkSettings is the NetworkSettings section of docker inspect. The
// address fields are those of the container's endpoint on the default
// bridge, as docker fills them; Networks holds every network.
type NetworkSettings struct {
	SandboxKey string
	// Ports maps "PORT/PROTO" to the host addresses it is published on
	// while the container runs; an exposed port not published maps to
	// null.
	Ports       map[string][]PortBinding
	EndpointID  string
	Gateway     string
	IPAddress   string
	IPPrefixLen int
	MacAddress  string
	Networks    map[string]EndpointSettings
}

// ContainerInspect is the docker-compatible inspect view of a container.
type ContainerInspect struct {
	ID              string `json:"Id"`
	Created         time.Time
	Path            string
	Args            []string
	State           ContainerState
	Image           string
	ResolvConfPath  string
	HostnamePath    string
	HostsPath       string
	LogPath         string
	Name            string
	RestartCount    int
	Driver          string
	Platform        string
	MountLabel      string
	ProcessLabel    string
	AppArmorProfile string
	HostConfig      HostConfig
	GraphDriver     GraphDriver
	Mounts          []MountPoint
	Config          ContainerConfig
	NetworkSettings NetworkSettings
	// SizeRw and SizeRootFs are set by InspectContainerSize only, as
	// docker sets them for inspect --size.
	SizeRw     *int64 `json:",omitempty"`
	SizeRootFs *int64 `json:",omitempty"`
}

// InspectContainerSize is InspectContainer with SizeRw and SizeRootFs:
// the size of the files the container changed, and that plus its
// image's.
func (e *Engine) InspectContainerSize(ctx context.Context, ref string) (ContainerInspect, error) {
	c, err := e.InspectContainer(ctx, ref)
	if err != nil {
		return c, err
	}
	rw, rootfs := e.containerSize(c.ID, c.Image)
	c.SizeRw, c.SizeRootFs = &rw, &rootfs
	return c, nil
}

// InspectContainer returns the docker-shaped view of container ref.
func (e *Engine) InspectContainer(ctx context.Context, ref string) (ContainerInspect, error) {
	id, err := e.ResolveContainer(ctx, ref)
	if err != nil {
		return ContainerInspect{}, err
	}
	rec, err := e.readRecord(id)
	if err != nil {
		return ContainerInspect{}, err
	}
	st, err := e.readState(id)
	if err != nil {
		return ContainerInspect{}, err
	}
	p := e.st.Container(id)
	if rec.HostConfig.LogConfig.Type == logDriverNone {
		p.Log = ""
	}
	var lowers []string
	if init, err := e.initLayer(rec.ID); err == nil {
		lowers = append(lowers, init)
	}
	for i := len(rec.Layers) - 1; i >= 0; i-- {
		lowers = append(lowers, e.st.LayerDir(rec.Layers[i]))
	}
	args := rec.Args
	if args == nil {
		args = []string{}
	}
	db, err := e.st.ReadNetworks()
	if err != nil {
		return ContainerInspect{}, err
	}
	ns := networkSettings(&db, rec, st.Pid)
	mounts := rec.mountPoints()
	return ContainerInspect{
		ID:      id,
		Created: rec.Created,
		Path:    rec.Path,
		Args:    args,
		State: ContainerState{
			Status:     st.Status,
			Running:    st.Status == StateRunning || st.Status == StatePaused,
			Paused:     st.Status == StatePaused,
			Restarting: st.Status == StateRestarting,
			OOMKilled:  st.OOMKilled,
			Dead:       st.Status == StateDead,
			Pid:        st.Pid,
			ExitCode:   st.ExitCode,
			Error:      st.Error,
			StartedAt:  st.StartedAt,
			FinishedAt: st.FinishedAt,
			Health:     e.health(rec, st),
		},
		Image:          rec.ImageID,
		ResolvConfPath: p.ResolvConf,
		HostnamePath:   p.Hostname,
		HostsPath:      p.Hosts,
		LogPath:        p.Log,
		Name:           "/" + rec.Name,
		RestartCount:   st.RestartCount,
		Driver:         "overlay2",
		Platform:       "linux",
		HostConfig:     rec.HostConfig,
		GraphDriver: GraphDriver{Name: "overlay2", Data: map[string]string{
			"LowerDir":  strings.Join(lowers, ":"),
			"UpperDir":  p.Upper,
			"WorkDir":   p.Work,
			"MergedDir": p.Merged,
		}},
		Mounts:          mounts,
		Config:          rec.Config,
		NetworkSettings: ns,
	}, nil
}

// LogPath returns the path of container ref's log (the logfile format),
// for readers such as the TUI's pager; ErrNoLog if it keeps none.
func (e *Engine) LogPath(ctx context.Context, ref string) (string, error) {
	id, err := e.ResolveContainer(ctx, ref)
	if err != nil {
		return "", err
	}
	return e.logPath(id)
}

// logPath is LogPath of container id.
func (e *Engine) logPath(id string) (string, error) {
	rec, err := e.readRecord(id)
	if err != nil {
		return "", err
	}
	if rec.HostConfig.LogConfig.Type == logDriverNone {
		return "", ErrNoLog
	}
	return e.st.Container(id).Log, nil
}

// LogsOptions are docker logs' flags.
type LogsOptions struct {
	Follow     bool
	Timestamps bool
	// Tail is how many lines to show from the end; negative means all.
	Tail         int
	Since, Until time.Time
}

// Logs copies container ref's captured output to stdout and stderr, each
// stream to its own writer (a container with a terminal has only stdout).
// With Follow it keeps copying until the container stops (or ctx ends);
// a container that is not running ends it at once after the existing
// output.
func (e *Engine) Logs(ctx context.Context, ref string, o LogsOptions, stdout, stderr io.Writer) error {
	id, err := e.ResolveContainer(ctx, ref)
	if err != nil {
		return err
	}
	path, err := e.logPath(id)
	if err != nil {
		return err
	}
	ro := logfile.ReadOptions{Follow: o.Follow, Timestamps: o.Timestamps, Tail: o.Tail, Since: o.Since, Until: o.Until}
	if o.Tail < 0 {
		ro.Tail = logfile.AllLines
	}
	if o.Follow {
		done := make(chan struct{})
		ro.Done = done
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		waited := make(chan struct{})
		go func() {
			defer close(waited)
			e.waitInactive(wctx, id)
			close(done)
		}()
		defer func() { cancel(); <-waited }()
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if !o.Follow {
			return nil
		}
	}
	if err := logfile.Copy(ctx, path, ro, stdout, stderr); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read logs of container %s: %w", id[:12], err)
	}
	return nil
}

// Rename changes container ref's name.
func (e *Engine) Rename(ctx context.Context, ref, name string) error {
	id, err := e.ResolveContainer(ctx, ref)
	if err != nil {
		return err
	}
	name = strings.TrimPrefix(name, "/")
	if err := store.CheckName(name); err != nil {
		return invalidf("invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name)
	}
	unlock, err := e.lockContainer(id)
	if err != nil {
		return err
	}
	defer unlock()
	rec, err := e.readRecord(id)
	if err != nil {
		return err
	}
	if rec.Name == name {
		return invalidf("renaming a container with the same name as its current name")
	}
	if err := e.st.ReserveName(name, id); err != nil {
		if errors.Is(err, store.ErrExists) {
			owner, _ := e.st.LookupName(name)
			return &NameConflictError{Name: name, ID: owner}
		}
		return err
	}
	old := rec.Name
	rec.Name = name
	if err := e.st.WriteContainerConfig(id, rec); err != nil {
		e.st.ReleaseName(name, id)
		return err
	}
	e.st.ReleaseName(old, id)
	e.emit("container", "rename", id, map[string]string{"name": name, "oldName": old})
	return nil
}

// PruneContainers removes every stopped container (created or exited)
// with its anonymous volumes left in place, as docker container prune
// does.
func (e *Engine) PruneContainers(ctx context.Context, f PruneFilter) (PruneReport, error) {
	var rep PruneReport
	cs, err := e.Containers(ctx, ListContainersOptions{All: true})
	if err != nil {
		return rep, err
	}
	for _, c := range cs {
		if c.State != StateExited && c.State != StateCreated && c.State != StateDead || !f.match(c.Created, c.Labels) {
			continue
		}
		size := dirSize(e.st.Container(c.ID).Upper)
		if err := e.Remove(ctx, c.ID, RemoveOptions{}); err != nil {
			if errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
				continue
			}
			return rep, err
		}
		rep.Deleted = append(rep.Deleted, c.ID)
		rep.SpaceReclaimed += size
	}
	return rep, nil
}
