package cgroups

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// deleteTimeout bounds how long Delete waits for exiting processes to
// leave the cgroup when ctx has no earlier deadline.
const deleteTimeout = 5 * time.Second

// procsDir returns the directory whose cgroup.procs files list the
// cgroup's processes.
func (c *Cgroup) procsDir() string {
	if c.mode == Unified {
		return c.unified
	}
	for _, k := range []string{"pids", "freezer", "memory", "cpu", "cpuacct", "blkio", "devices", "systemd"} {
		if d, ok := c.v1[k]; ok {
			return d
		}
	}
	return c.unified
}

// Pids returns the ids of every process in the cgroup and its
// descendant cgroups, sorted, as seen from the caller's PID namespace
// (for top, and for signalling all of a container on stop or rm). An
// empty cgroup gives an empty list; a deleted one ErrNotExist.
func (c *Cgroup) Pids() ([]int, error) {
	root := c.procsDir()
	var pids []int
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p != root && errors.Is(err, fs.ErrNotExist) {
				return nil // a child cgroup removed while walking
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(filepath.Join(p, "cgroup.procs"))
		if err != nil {
			if p != root && errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				pids = append(pids, n)
			}
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("list processes of cgroup %s: %w", c.id, ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("list processes of cgroup %s: %w", c.id, err)
	}
	slices.Sort(pids)
	return slices.Compact(pids), nil
}

// KillAll sends sig to every process of the cgroup without waiting for
// them to exit. Like runc it freezes the cgroup so nothing can fork away,
// signals each process, and thaws. A cgroup frozen beforehand (a paused
// container) stays frozen, except after SIGKILL, which thaws it so the
// processes can die, as docker's kill of a paused container does.
// Processes that exit meanwhile are not an error.
//
// The v2 cgroup.kill file is deliberately not used: on current kernels a
// cgroup once killed through it also kills every child later cloned into
// it with CLONE_INTO_CGROUP (SysProcAttr.CgroupFD), which would break a
// container restarted into its existing cgroup.
func (c *Cgroup) KillAll(ctx context.Context, sig syscall.Signal) error {
	if _, err := os.Stat(c.procsDir()); err != nil {
		return fmt.Errorf("kill processes of cgroup %s: %w", c.id, gone(err))
	}
	wasFrozen, err := c.Frozen()
	if err != nil && !errors.Is(err, ErrUnsupported) {
		return fmt.Errorf("kill processes of cgroup %s: %w", c.id, err)
	}
	froze := false
	if !wasFrozen && !errors.Is(err, ErrUnsupported) {
		// Without a freeze the signals are still sent, only not
		// atomically.
		froze = c.Freeze(ctx) == nil
	}
	pids, err := c.Pids()
	if err != nil {
		return fmt.Errorf("kill processes of cgroup %s: %w", c.id, err)
	}
	var errs []error
	for _, pid := range pids {
		if err := signal(pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, fmt.Errorf("signal process %d: %w", pid, err))
		}
	}
	if froze || (wasFrozen && sig == syscall.SIGKILL) {
		if err := c.Thaw(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("kill processes of cgroup %s: %w", c.id, err)
	}
	return nil
}

// Delete removes the cgroup's directories, and any cgroups created inside
// them, from every hierarchy. The kernel refuses while processes remain,
// so Delete retries for up to five seconds (or until ctx ends) while they
// exit, then returns ErrTimeout; call KillAll first. Deleting a deleted
// cgroup succeeds. The berth/ parent is left in place.
func (c *Cgroup) Delete(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, deleteTimeout)
	defer cancel()
	var errs []error
	for _, d := range c.dirs() {
		if err := removeTree(ctx, d); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("delete cgroup %s: %w", c.id, err)
	}
	return nil
}

// removeTree removes cgroup directory d and its descendants, deepest
// first.
func removeTree(ctx context.Context, d string) error {
	// A container's cgroup rarely has children: try the one rmdir first.
	if err := os.Remove(d); err == nil || errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	var dirs []string
	err := filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, p := range slices.Backward(dirs) {
		if err := rmdirCgroup(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// rmdirCgroup removes one cgroup directory, retrying while the kernel
// reports it busy (processes still exiting).
func rmdirCgroup(ctx context.Context, p string) error {
	delay := 200 * time.Microsecond
	for {
		err := os.Remove(p)
		switch {
		case err == nil || errors.Is(err, fs.ErrNotExist):
			return nil
		case errors.Is(err, syscall.ENOTEMPTY):
			// cgroupfs never says this; a plain directory standing in
			// for it (WithRoot in tests) holds the written files.
			return os.RemoveAll(p)
		case !errors.Is(err, syscall.EBUSY):
			return err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("remove %s: processes remain: %w", p, ErrTimeout)
		case <-t.C:
		}
		delay = min(2*delay, 20*time.Millisecond)
	}
}

// CleanupOrphans removes the cgroups, below the parent directory of every
// hierarchy, of containers for which live reports false: their remaining
// processes are killed and the directories deleted. It is meant for the
// engine's repair on start; live must also report true for containers
// being created at the moment (hold the store lock). It returns the errors
// of all cgroups it could not remove, joined.
func CleanupOrphans(ctx context.Context, live func(id string) bool, opts ...Option) error {
	o, err := makeOptions(opts)
	if err != nil {
		return fmt.Errorf("clean up orphan cgroups: %w", err)
	}
	hs, err := hierarchies(o, true)
	if err != nil {
		return fmt.Errorf("clean up orphan cgroups: %w", err)
	}
	var ids []string
	for _, h := range hs {
		for _, dir := range h.parents(o.parent) {
			ents, err := os.ReadDir(dir)
			if err != nil {
				continue
			}
			for _, e := range ents {
				if e.IsDir() && validateName(e.Name()) == nil && !slices.Contains(ids, e.Name()) {
					ids = append(ids, e.Name())
				}
			}
		}
	}
	slices.Sort(ids)
	var errs []error
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("clean up orphan cgroups: %w", err)
		}
		if live(id) {
			continue
		}
		c, err := Load(id, opts...)
		if errors.Is(err, ErrNotExist) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := c.KillAll(ctx, syscall.SIGKILL); err != nil && !errors.Is(err, ErrNotExist) {
			errs = append(errs, err)
		}
		if err := c.Delete(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("clean up orphan cgroups: %w", err)
	}
	return nil
}
