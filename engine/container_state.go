package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/store"
)

// Files a container directory holds besides those store.ContainerPaths
// names. They belong to the container runtime.
const (
	// pausedFile marks a container that pause froze.
	pausedFile = "paused"
	// stoppedFile marks a container stopped by the user, which restart
	// policies leave stopped.
	stoppedFile = "stopped"
	// initLayerDir is the init layer (store.InitLayer) of a container
	// created before the store shared one among all containers.
	initLayerDir = "init"
	// stateTmpFile is where state.json is written before its rename.
	stateTmpFile = "state.json.tmp"
)

// initLayer returns the top lower layer of container id's overlay: the
// store's init layer, or the container's own copy of it.
func (e *Engine) initLayer(id string) (string, error) {
	own := filepath.Join(e.st.Container(id).Dir, initLayerDir)
	if _, err := os.Lstat(own); err == nil {
		return own, nil
	}
	return e.st.InitLayer()
}

// errMonitorDied is the reason recorded for a container whose monitor
// went away without recording its exit.
const errMonitorDied = "container monitor died: the container was killed with it"

// readRecord reads container id's config.json.
func (e *Engine) readRecord(id string) (*containerRecord, error) {
	var r containerRecord
	if err := e.st.ReadContainerConfig(id, &r); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, &ContainerNotFoundError{Ref: id}
		}
		return nil, err
	}
	return &r, nil
}

// lookupRecord resolves container ref and reads its config.json.
func (e *Engine) lookupRecord(ctx context.Context, ref string) (*containerRecord, error) {
	id, err := e.ResolveContainer(ctx, ref)
	if err != nil {
		return nil, err
	}
	return e.readRecord(id)
}

// readStateRaw reads state.json as written. A container without one is
// in state created.
func (e *Engine) readStateRaw(id string) (containerState, error) {
	var s containerState
	b, err := os.ReadFile(e.st.Container(id).State)
	if errors.Is(err, os.ErrNotExist) {
		if _, err := os.Stat(e.st.Container(id).Config); err != nil {
			return s, &ContainerNotFoundError{Ref: id}
		}
		return containerState{Status: StateCreated}, nil
	}
	if err != nil {
		return s, fmt.Errorf("read state of container %s: %w", id, err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("read state of container %s: %w", id, err)
	}
	return s, nil
}

// writeState replaces state.json atomically (write and rename). It does not
// fsync: state describes processes, which a machine crash ends anyway, and
// after one a "running" state without a monitor reads as exited.
func (e *Engine) writeState(id string, s containerState) error {
	p := e.st.Container(id)
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(p.Dir, stateTmpFile)
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write state of container %s: %w", id, err)
	}
	if err := os.Rename(tmp, p.State); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write state of container %s: %w", id, err)
	}
	return nil
}

// active reports whether a status needs a live monitor.
func active(status string) bool {
	return status == StateRunning || status == StateRestarting || status == StatePaused
}

// readState reads container id's state as users see it: a container whose
// monitor is gone reads as exited with errMonitorDied (and that is
// recorded), a frozen running container as paused.
func (e *Engine) readState(id string) (containerState, error) {
	s, err := e.readStateRaw(id)
	if err != nil || !active(s.Status) {
		return s, err
	}
	unlock, ok, err := e.tryMonitorLock(id)
	if err != nil {
		return s, err
	}
	if !ok {
		if s.Status == StateRunning && e.exists(id, pausedFile) {
			s.Status = StatePaused
		}
		return s, nil
	}
	defer unlock()
	// The monitor may have recorded the exit and gone between the two
	// reads; only a state still active is a dead monitor's.
	if s, err = e.readStateRaw(id); err != nil || !active(s.Status) {
		return s, err
	}
	s.Status = StateExited
	s.Pid = 0
	s.ExitCode = 255
	s.Error = errMonitorDied
	s.FinishedAt = time.Now().UTC()
	os.Remove(filepath.Join(e.st.Container(id).Dir, pausedFile))
	if err := e.writeState(id, s); err != nil {
		e.log.Warn("record dead monitor", "container", id, "err", err)
	}
	e.cleanupAfterMonitor(id)
	return s, nil
}

// tryMonitorLock takes the lock a container's monitor holds for its whole
// life (a flock on the container's monitor file), if no monitor holds it.
// A container without the file has had no monitor since the host booted.
func (e *Engine) tryMonitorLock(id string) (unlock func(), ok bool, err error) {
	p := e.st.Container(id)
	f, err := os.Open(p.Monitor)
	if errors.Is(err, os.ErrNotExist) {
		if _, serr := os.Stat(p.Dir); serr != nil {
			return nil, false, &ContainerNotFoundError{Ref: id}
		}
		return func() {}, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("lock container %s: %w", id, err)
	}
	return func() { f.Close() }, true, nil
}

// lockedRecord resolves container ref, takes its lock and reads its
// record; the caller releases the lock with unlock.
func (e *Engine) lockedRecord(ctx context.Context, ref string) (rec *containerRecord, unlock func(), err error) {
	id, err := e.ResolveContainer(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	if unlock, err = e.lockContainer(id); err != nil {
		return nil, nil, err
	}
	if rec, err = e.readRecord(id); err != nil {
		unlock()
		return nil, nil, err
	}
	return rec, unlock, nil
}

// lockContainer takes the lock that serializes changes to container id
// between processes.
func (e *Engine) lockContainer(id string) (func(), error) {
	unlock, err := e.st.LockContainer(id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &ContainerNotFoundError{Ref: id}
	}
	return unlock, err
}

func (e *Engine) exists(id, name string) bool {
	_, err := os.Lstat(filepath.Join(e.st.Container(id).Dir, name))
	return err == nil
}

func (e *Engine) setMarker(id, name string, on bool) error {
	p := filepath.Join(e.st.Container(id).Dir, name)
	if !on {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	return os.WriteFile(p, nil, 0o600)
}
