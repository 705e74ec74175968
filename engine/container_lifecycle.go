package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/engine/cgroups"
	"github.com/berth-dev/berth/engine/pid1"
	"github.com/berth-dev/berth/engine/spawn"
)

// StartError is a container's failure to start. Code is docker's exit
// code for it: 127 when the command is not found, 126 when it cannot be
// executed, 125 for any other failure.
type StartError struct {
	ID   string
	Code int
	Msg  string
}

func (e *StartError) Error() string { return e.Msg }

// Start starts container id (an ID, prefix or name) and returns once its
// process runs, or with a *StartError. Starting a running container
// succeeds and does nothing.
func (e *Engine) Start(ctx context.Context, ref string) error {
	conn, err := e.start(ctx, ref, false)
	if conn != nil {
		conn.Close()
	}
	return err
}

// StartAttach starts container ref like Start and returns a connection to
// its attach stream (the protocol of pty.Attach) that was connected
// before the container's process ran, so the caller sees all its output
// and its exit code. The caller closes the connection.
func (e *Engine) StartAttach(ctx context.Context, ref string) (net.Conn, error) {
	return e.start(ctx, ref, true)
}

func (e *Engine) start(ctx context.Context, ref string, attach bool) (net.Conn, error) {
	id, err := e.ResolveContainer(ctx, ref)
	if err != nil {
		return nil, err
	}
	return e.startWith(ctx, id, attach, nil)
}

// Run creates a container as Create does and starts it as Start does, or
// with attach as StartAttach does, and returns its ID and the attach
// connection. It forks the container's monitor first (ForkMonitor), so
// that the monitor's start-up overlaps the creation (the whole of run is
// the critical path of a short container). If the creation fails, the
// monitor exits and nothing is left; a failed start leaves the created
// container, as Start does.
func (e *Engine) Run(ctx context.Context, o CreateOptions, attach bool) (string, net.Conn, error) {
	f, err := forkMonitor(e.opts.self)
	if err != nil {
		return "", nil, err
	}
	return e.RunForked(ctx, o, f, attach)
}

// Forked is the monitor of a container that is yet to be created, forked
// by ForkMonitor or at berth's start (EarlyMonitor).
type Forked struct {
	m *spawn.Monitor
}

// EarlyMonitor returns the monitor berth forked as it started, for a
// berth run command line (package spawn), once; nil if there is none.
func EarlyMonitor() *Forked {
	// encoding/json's view of a container record, which the creation
	// writes, takes a third of a millisecond to build: a goroutine builds
	// it while the engine opens.
	go json.Marshal(&containerRecord{})
	if m := spawn.Early(); m != nil {
		return &Forked{m: m}
	}
	return nil
}

// ForkMonitor forks the monitor of a container that RunForked then
// creates and runs, with the ID it will have: its start-up (a Go
// process's) and the cgroup and namespaces it makes for the container
// overlap the opening of the engine and the creation. It needs nothing of
// the store, so a command can call it first thing. Close releases a
// monitor that RunForked will not use; it exits.
func ForkMonitor() (*Forked, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("start container monitor: %w", err)
	}
	return forkMonitor(self)
}

func forkMonitor(self string) (*Forked, error) {
	id, err := spawn.NewID()
	if err != nil {
		return nil, fmt.Errorf("create container: %w", err)
	}
	m, err := spawn.Fork(self, id, "", false, true)
	if err != nil {
		return nil, err
	}
	return &Forked{m: m}, nil
}

// Close releases a forked monitor that was not used; it exits. Safe on
// nil and after RunForked.
func (f *Forked) Close() {
	if f != nil {
		f.m.Close()
		f.m = nil
	}
}

// RunForked is Run with the monitor f forked beforehand; it takes f over.
func (e *Engine) RunForked(ctx context.Context, o CreateOptions, f *Forked, attach bool) (string, net.Conn, error) {
	m := f.m
	f.m = nil
	if err := e.create(ctx, o, m.ID); err != nil {
		m.Close()
		return "", nil, err
	}
	conn, err := e.startWith(ctx, m.ID, attach, m)
	return m.ID, conn, err
}

// startWith starts container id, with the monitor m forked for it
// beforehand, or else a new one.
func (e *Engine) startWith(ctx context.Context, id string, attach bool, m *spawn.Monitor) (net.Conn, error) {
	unlock, err := e.lockContainer(id)
	if err != nil {
		m.Close()
		return nil, err
	}
	defer unlock()
	st, err := e.readState(id)
	if err != nil {
		m.Close()
		return nil, err
	}
	switch st.Status {
	case StatePaused:
		m.Close()
		return nil, &StateError{ID: id, State: st.Status, Msg: "cannot start a paused container, try unpause instead"}
	case StateRunning, StateRestarting:
		m.Close()
		return nil, nil
	}
	if err := e.setMarker(id, stoppedFile, false); err != nil {
		m.Close()
		return nil, err
	}
	if m == nil {
		if m, err = spawn.Fork(e.opts.self, id, e.st.Root(), attach, false); err != nil {
			return nil, err
		}
	} else if err := m.Created(e.st.Root(), attach); err != nil {
		m.Close()
		e.abandonStart(ctx, id)
		return nil, &StartError{ID: id, Code: 125, Msg: fmt.Sprintf("start container %s: %v", id[:12], err)}
	}
	defer m.Close()
	if err := monitorReport(m); err != nil {
		var se *StartError
		if errors.As(err, &se) {
			se.ID = id
			return nil, err
		}
		e.abandonStart(ctx, id)
		return nil, &StartError{ID: id, Code: 125, Msg: fmt.Sprintf("start container %s: %v", id[:12], err)}
	}
	if m.Conn == nil {
		return nil, nil
	}
	conn, err := net.FileConn(m.Conn)
	if err != nil {
		return nil, &StartError{ID: id, Code: 125, Msg: fmt.Sprintf("attach to container %s: %v", id[:12], err)}
	}
	return conn, nil
}

// abandonStart cleans up after the monitor of container id, which died
// before it reported the start (a monitor that reports a failure cleans
// up itself): what it made of the run goes, and a container to be
// removed on exit (--rm) goes too, as it would have had the start failed
// in the monitor. The caller holds the container's lock.
func (e *Engine) abandonStart(ctx context.Context, id string) {
	rec, err := e.readRecord(id)
	if err != nil {
		return
	}
	if !rec.HostConfig.AutoRemove {
		e.cleanupAfterMonitor(id)
		return
	}
	if err := e.deleteContainer(ctx, rec, true, true); err != nil {
		e.log.Warn("remove container", "container", id, "err", err)
	}
}

// monitorReport waits for m's start report: nil once the container's
// process runs, a *StartError if it could not start.
func monitorReport(m *spawn.Monitor) error {
	b, err := io.ReadAll(m.Report)
	if err != nil {
		return err
	}
	if len(b) == 0 {
		return errors.New("the monitor exited without reporting")
	}
	var rep startReport
	if err := json.Unmarshal(b, &rep); err != nil {
		return err
	}
	if rep.Code != 0 {
		return &StartError{Code: rep.Code, Msg: rep.Error}
	}
	return nil
}

// Stop stops container ref as docker stop does: its stop signal (the
// image's StopSignal, else SIGTERM), then SIGKILL once timeout (default:
// the container's StopTimeout, else 10 s) passes. A stopped container's
// restart policy does not restart it. Stopping a container that is not
// running succeeds.
func (e *Engine) Stop(ctx context.Context, ref string, timeout *time.Duration) error {
	id, err := e.ResolveContainer(ctx, ref)
	if err != nil {
		return err
	}
	rec, err := e.readRecord(id)
	if err != nil {
		return err
	}
	st, err := e.readState(id)
	if err != nil || !active(st.Status) {
		return err
	}
	if err := e.setMarker(id, stoppedFile, true); err != nil {
		return err
	}
	if st.Status == StateRestarting {
		syscall.Kill(st.MonitorPid, syscall.SIGUSR1)
		_, err := e.waitInactive(ctx, id)
		if err == nil {
			e.emit("container", "stop", id, map[string]string{"name": rec.Name})
		}
		return ignoreGone(err)
	}
	sig := syscall.SIGTERM
	if rec.Config.StopSignal != "" {
		if s, err := parseSignal(rec.Config.StopSignal); err == nil {
			sig = s
		}
	}
	t := 10 * time.Second
	if rec.Config.StopTimeout != nil {
		t = time.Duration(*rec.Config.StopTimeout) * time.Second
	}
	if timeout != nil {
		t = *timeout
	}
	e.emit("container", "kill", id, map[string]string{"name": rec.Name, "signal": fmt.Sprint(int(sig))})
	if err := e.signal(id, st, sig); err != nil {
		return err
	}
	if t >= 0 {
		wctx, cancel := context.WithTimeout(ctx, t)
		_, err = e.waitInactive(wctx, id)
		cancel()
		if err == nil || errors.Is(err, ErrNotFound) {
			e.emit("container", "stop", id, map[string]string{"name": rec.Name})
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if st, err = e.readState(id); err != nil || !active(st.Status) {
		return ignoreGone(err)
	}
	if err := e.signal(id, st, syscall.SIGKILL); err != nil {
		return err
	}
	if _, err := e.waitInactive(ctx, id); err != nil {
		return ignoreGone(err)
	}
	e.emit("container", "stop", id, map[string]string{"name": rec.Name})
	return nil
}

func ignoreGone(err error) error {
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// signal sends sig to the init of a running container (which, as PID 1
// of its namespace, takes the namespace down with it when it dies). A
// paused container is thawed after SIGKILL and after its stop signal, so
// it can act on the signal.
func (e *Engine) signal(id string, st containerState, sig syscall.Signal) error {
	if st.Pid <= 0 {
		return &StateError{ID: id, State: st.Status, Msg: fmt.Sprintf("container %s is not running", id)}
	}
	if sig != syscall.SIGKILL {
		// A signal must not reach an --init's init before it can pass
		// it on; SIGKILL needs no init.
		pid1.AwaitReady(st.Pid, 2*time.Second)
	}
	if err := syscall.Kill(st.Pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal container %s: %w", id[:12], err)
	}
	if st.Status == StatePaused && (sig == syscall.SIGKILL || sig == syscall.SIGTERM) {
		if cg, err := cgroups.Load(id); err == nil {
			cg.Thaw()
		}
		e.setMarker(id, pausedFile, false)
	}
	return nil
}

// Kill sends a signal (a name such as "KILL" or "SIGHUP", or a number;
// empty means SIGKILL) to container ref's main process. The container
// must be running. Like docker's kill, it counts as a manual stop for the
// restart policy.
func (e *Engine) Kill(ctx context.Context, ref string, sig string) error {
	id, err := e.ResolveContainer(ctx, ref)
	if err != nil {
		return err
	}
	s := syscall.SIGKILL
	if sig != "" {
		if s, err = parseSignal(sig); err != nil {
			return err
		}
	}
	st, err := e.readState(id)
	if err != nil {
		return err
	}
	if st.Status != StateRunning && st.Status != StatePaused {
		return &StateError{ID: id, State: st.Status, Msg: fmt.Sprintf("cannot kill container: %s: container %s is not running", ref, id)}
	}
	if err := e.setMarker(id, stoppedFile, true); err != nil {
		return err
	}
	rec, err := e.readRecord(id)
	if err != nil {
		return err
	}
	if err := e.signal(id, st, s); err != nil {
		return err
	}
	e.emit("container", "kill", id, map[string]string{"name": rec.Name, "signal": fmt.Sprint(int(s))})
	return nil
}

// Restart stops container ref (see Stop) and starts it again.
func (e *Engine) Restart(ctx context.Context, ref string, timeout *time.Duration) error {
	id, err := e.ResolveContainer(ctx, ref)
	if err != nil {
		return err
	}
	if err := e.Stop(ctx, id, timeout); err != nil {
		return err
	}
	if err := e.Start(ctx, id); err != nil {
		return err
	}
	e.emit("container", "restart", id, nil)
	return nil
}

// Pause freezes every process of running container ref (cgroup freezer).
func (e *Engine) Pause(ctx context.Context, ref string) error {
	return e.setPaused(ctx, ref, true)
}

// Unpause thaws paused container ref.
func (e *Engine) Unpause(ctx context.Context, ref string) error {
	return e.setPaused(ctx, ref, false)
}

// setPaused freezes (pause) or thaws container ref, refusing with a
// *StateError when it is not running (pause) or not paused (unpause).
func (e *Engine) setPaused(ctx context.Context, ref string, pause bool) error {
	verb := "unpause"
	if pause {
		verb = "pause"
	}
	id, err := e.ResolveContainer(ctx, ref)
	if err != nil {
		return err
	}
	unlock, err := e.lockContainer(id)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := e.readState(id)
	if err != nil {
		return err
	}
	switch {
	case pause && st.Status == StatePaused:
		return &StateError{ID: id, State: st.Status, Msg: fmt.Sprintf("container %s is already paused", id)}
	case pause && st.Status != StateRunning:
		return &StateError{ID: id, State: st.Status, Msg: fmt.Sprintf("container %s is not running", id)}
	case !pause && st.Status != StatePaused:
		return &StateError{ID: id, State: st.Status, Msg: fmt.Sprintf("container %s is not paused", id)}
	}
	cg, err := cgroups.Load(id)
	if err != nil {
		return fmt.Errorf("%s container %s: %w", verb, id[:12], err)
	}
	if pause {
		err = cg.Freeze(ctx)
	} else {
		err = cg.Thaw()
	}
	if err != nil {
		return fmt.Errorf("%s container %s: %w", verb, id[:12], err)
	}
	if err := e.setMarker(id, pausedFile, pause); err != nil {
		if pause {
			cg.Thaw()
		}
		return err
	}
	e.emit("container", verb, id, nil)
	return nil
}

// Wait blocks until container ref is not running (returning at once if it
// is not) and returns its exit code. It watches the container directory
// with inotify: no polling. A container removed meanwhile (--rm) gives a
// *ContainerNotFoundError.
func (e *Engine) Wait(ctx context.Context, ref string) (int, error) {
	id, err := e.ResolveContainer(ctx, ref)
	if err != nil {
		return 0, err
	}
	st, err := e.waitInactive(ctx, id)
	if err != nil {
		return 0, err
	}
	return st.ExitCode, nil
}

// waitInactive waits until container id's state is not active. It wakes on
// renames into the container directory (state.json is replaced by rename)
// and on the close of the monitor's file in the runtime directory, which
// happens when the monitor exits however it dies.
func (e *Engine) waitInactive(ctx context.Context, id string) (containerState, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return containerState{}, fmt.Errorf("wait for container %s: %w", id, err)
	}
	f := os.NewFile(uintptr(fd), "inotify")
	defer f.Close()
	p := e.st.Container(id)
	if _, err := unix.InotifyAddWatch(fd, p.Dir,
		unix.IN_MOVED_TO|unix.IN_DELETE_SELF|unix.IN_MOVE_SELF); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return containerState{}, &ContainerNotFoundError{Ref: id}
		}
		return containerState{}, fmt.Errorf("wait for container %s: %w", id, err)
	}
	stop := context.AfterFunc(ctx, func() { f.SetReadDeadline(time.Now()) })
	defer stop()
	buf := make([]byte, 4096)
	names := []string{filepath.Base(p.State), filepath.Base(p.Monitor)}
	runWatched := false
	for {
		// The runtime directory exists once the container has started
		// since the host booted, which an active state implies.
		if !runWatched {
			_, err := unix.InotifyAddWatch(fd, p.Run, unix.IN_CLOSE_WRITE)
			runWatched = err == nil
		}
		st, err := e.readState(id)
		if err != nil || !active(st.Status) {
			return st, err
		}
		if !runWatched {
			continue
		}
		for {
			n, err := f.Read(buf)
			if err != nil {
				if ctx.Err() != nil {
					return st, ctx.Err()
				}
				return st, fmt.Errorf("wait for container %s: %w", id, err)
			}
			if relevantEvent(buf[:n], names) {
				break
			}
		}
	}
}

// relevantEvent reports whether a batch of inotify events is about one of
// the files names or the watched directory itself.
func relevantEvent(b []byte, names []string) bool {
	for len(b) >= unix.SizeofInotifyEvent {
		ev := (*unix.InotifyEvent)(unsafe.Pointer(&b[0]))
		name := b[unix.SizeofInotifyEvent : unix.SizeofInotifyEvent+int(ev.Len)]
		for i, c := range name {
			if c == 0 {
				name = name[:i]
				break
			}
		}
		if ev.Mask&(unix.IN_DELETE_SELF|unix.IN_MOVE_SELF|unix.IN_IGNORED) != 0 || slices.Contains(names, string(name)) {
			return true
		}
		b = b[unix.SizeofInotifyEvent+int(ev.Len):]
	}
	return false
}

// RemoveOptions are docker rm's flags.
type RemoveOptions struct {
	// Force kills a running container first.
	Force bool
	// Volumes also removes the container's anonymous volumes.
	Volumes bool
}

// Remove deletes container ref: its directory, name, cgroup, and with
// Volumes its anonymous volumes. A running container gives a *StateError
// unless Force, which kills it first.
func (e *Engine) Remove(ctx context.Context, ref string, o RemoveOptions) error {
	rec, unlock, err := e.lockedRecord(ctx, ref)
	if err != nil {
		return err
	}
	defer unlock()
	id := rec.ID
	st, err := e.readState(id)
	if err != nil {
		return err
	}
	if active(st.Status) {
		if !o.Force {
			msg := fmt.Sprintf("cannot remove container \"/%s\": container is %s: stop the container before removing or force remove", rec.Name, st.Status)
			return &StateError{ID: id, State: st.Status, Msg: msg}
		}
		e.setMarker(id, stoppedFile, true)
		if st.Status == StateRestarting {
			syscall.Kill(st.MonitorPid, syscall.SIGUSR1)
		} else if err := e.signal(id, st, syscall.SIGKILL); err != nil {
			return err
		}
		if _, err := e.waitInactive(ctx, id); err != nil {
			if errors.Is(err, ErrNotFound) {
				return nil // it had --rm: its monitor removed it
			}
			return err
		}
	}
	return e.deleteContainer(ctx, rec, o.Volumes, true)
}

// deleteContainer removes a container that does not run, and its cgroup
// unless the caller knows it is gone (the monitor deletes it when the
// container's process exits).
func (e *Engine) deleteContainer(ctx context.Context, rec *containerRecord, volumes, cgroup bool) error {
	remove, err := e.detachContainer(ctx, rec, volumes, cgroup)
	if err != nil {
		return err
	}
	return remove()
}

// detachContainer removes a container that does not run as deleteContainer
// does, except for its files: once it returns, the container is gone from
// listings and its name is free, and the returned function deletes the
// files (which the store's repair does if it never runs).
func (e *Engine) detachContainer(ctx context.Context, rec *containerRecord, volumes, cgroup bool) (remove func() error, err error) {
	id := rec.ID
	if cgroup {
		if cg, err := cgroups.Load(id); err == nil {
			cg.KillAll(ctx, syscall.SIGKILL)
			if err := cg.Delete(ctx); err != nil {
				return nil, fmt.Errorf("remove container %s: %w", id[:12], err)
			}
		}
	}
	if remove, err = e.unlistContainer(id); err != nil {
		return nil, err
	}
	e.forgetContainer(ctx, rec, volumes)
	return remove, nil
}

// unlistContainer takes container id out of the store with one rename:
// from then on it is neither listed nor found, and its name can be taken
// over. The returned function deletes its files.
func (e *Engine) unlistContainer(id string) (remove func() error, err error) {
	// Nothing is mounted on merged in the host's namespace except by a
	// killed export; never walk into a mount when deleting.
	for unix.Unmount(e.st.Container(id).Merged, unix.MNT_DETACH) == nil {
	}
	return e.st.DetachContainer(id)
}

// forgetContainer releases what an unlisted container held besides its
// files and cgroup: its network, its name, with volumes its anonymous
// volumes, and reports its destruction.
func (e *Engine) forgetContainer(ctx context.Context, rec *containerRecord, volumes bool) {
	id := rec.ID
	if n, err := e.networkFor(rec.HostConfig.NetworkMode); err == nil {
		if err := n.Release(ctx, rec); err != nil {
			e.log.Warn("release network", "container", id, "err", err)
		}
	}
	if err := e.st.ReleaseName(rec.Name, id); err != nil {
		e.log.Warn("release name", "container", id, "err", err)
	}
	if volumes {
		e.removeAnonymousVolumes(rec)
	}
	e.emit("container", "destroy", id, map[string]string{"name": rec.Name, "image": rec.Image})
}

// removeAnonymousVolumes removes the anonymous volumes of rec, a removed
// container, but those other containers still use (--volumes-from).
func (e *Engine) removeAnonymousVolumes(rec *containerRecord) {
	var users map[string][]string
	for _, m := range rec.Mounts {
		if m.Type != "volume" || !m.Anonymous {
			continue
		}
		if users == nil {
			unlock, err := e.st.Lock("volumes")
			if err != nil {
				e.log.Warn("remove anonymous volumes", "container", rec.ID, "err", err)
				return
			}
			defer unlock()
			users = e.volumeUsers()
		}
		if slices.ContainsFunc(users[m.Name], func(id string) bool { return id != rec.ID }) {
			continue
		}
		if err := e.st.DeleteVolume(m.Name); err != nil {
			e.log.Warn("remove anonymous volume", "volume", m.Name, "err", err)
		}
	}
}

// cleanupAfterMonitor removes what a monitor that died left: the
// container's cgroup (its processes are killed) and its network.
func (e *Engine) cleanupAfterMonitor(id string) {
	ctx := context.Background()
	if cg, err := cgroups.Load(id); err == nil {
		cg.KillAll(ctx, syscall.SIGKILL)
		if err := cg.Delete(ctx); err != nil {
			e.log.Warn("delete cgroup of dead monitor", "container", id, "err", err)
		}
	}
	if rec, err := e.readRecord(id); err == nil {
		if n, err := e.networkFor(rec.HostConfig.NetworkMode); err == nil {
			n.Detach(ctx, rec)
		}
	}
}
