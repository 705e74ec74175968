package cgroups

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// freezeTimeout bounds how long Freeze waits for the kernel when ctx has
// no earlier deadline (runc gives up after a similar time).
const freezeTimeout = 10 * time.Second

// freezer returns the directory whose freezer the cgroup uses and whether
// it is the v2 interface (cgroup.freeze). Hybrid hosts use the v1 freezer
// as docker does, or the v2 one if no v1 freezer is mounted.
func (c *Cgroup) freezer() (string, bool, error) {
	if c.mode == Unified {
		return c.unified, true, nil
	}
	if d, ok := c.v1["freezer"]; ok {
		return d, false, nil
	}
	if c.unified != "" && exists(c.unified, "cgroup.freeze") {
		return c.unified, true, nil
	}
	return "", false, fmt.Errorf("freezer: %w", ErrUnsupported)
}

// Freeze stops every process of the cgroup (docker pause) and returns once
// the kernel reports the cgroup frozen. If that does not happen before ctx
// ends or ten seconds pass, it thaws the cgroup again and returns
// ErrTimeout (or ctx's error). Freezing a frozen cgroup succeeds.
func (c *Cgroup) Freeze(ctx context.Context) error {
	d, v2, err := c.freezer()
	if err != nil {
		return fmt.Errorf("freeze cgroup %s: %w", c.id, err)
	}
	ctx, cancel := context.WithTimeout(ctx, freezeTimeout)
	defer cancel()
	if err := c.waitFrozen(ctx, d, v2); err != nil {
		_ = c.Thaw()
		return fmt.Errorf("freeze cgroup %s: %w", c.id, gone(err))
	}
	return nil
}

func (c *Cgroup) waitFrozen(ctx context.Context, d string, v2 bool) error {
	if v2 {
		if err := writeFile(d, "cgroup.freeze", "1"); err != nil {
			return err
		}
	}
	delay := 100 * time.Microsecond
	for i := 0; ; i++ {
		if !v2 && i%10 == 0 {
			// A v1 freeze can stall in FREEZING when a task is
			// busy in the kernel; writing FROZEN again retries it.
			if err := writeFile(d, "freezer.state", "FROZEN"); err != nil {
				return err
			}
		}
		frozen, err := frozenIn(d, v2)
		if err != nil {
			return err
		}
		if frozen {
			return nil
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return ErrTimeout
			}
			return ctx.Err()
		case <-t.C:
		}
		delay = min(2*delay, 10*time.Millisecond)
	}
}

// frozenIn reads the freezer state of directory d.
func frozenIn(d string, v2 bool) (bool, error) {
	if !v2 {
		s, err := readString(filepath.Join(d, "freezer.state"))
		if err != nil {
			return false, err
		}
		return s == "FROZEN", nil
	}
	ev, err := readKeyValues(filepath.Join(d, "cgroup.events"))
	if errors.Is(err, os.ErrNotExist) {
		// A plain directory standing in for cgroupfs: the request
		// is all there is.
		s, err := readString(filepath.Join(d, "cgroup.freeze"))
		return s == "1", err
	}
	if err != nil {
		return false, err
	}
	return ev["frozen"] == 1, nil
}

// Thaw resumes the processes of the cgroup (docker unpause). Thawing a
// cgroup that is not frozen succeeds.
func (c *Cgroup) Thaw() error {
	d, v2, err := c.freezer()
	if err != nil {
		return fmt.Errorf("thaw cgroup %s: %w", c.id, err)
	}
	if v2 {
		err = writeFile(d, "cgroup.freeze", "0")
	} else {
		err = writeFile(d, "freezer.state", "THAWED")
	}
	if err != nil {
		return fmt.Errorf("thaw cgroup %s: %w", c.id, gone(err))
	}
	return nil
}

// Frozen reports whether the cgroup is completely frozen (docker's
// "paused"); a cgroup still freezing reads as not frozen.
func (c *Cgroup) Frozen() (bool, error) {
	d, v2, err := c.freezer()
	if err != nil {
		return false, fmt.Errorf("read freezer state of cgroup %s: %w", c.id, err)
	}
	f, err := frozenIn(d, v2)
	if err != nil {
		return false, fmt.Errorf("read freezer state of cgroup %s: %w", c.id, gone(err))
	}
	return f, nil
}
