package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/engine/cgroups"
	"github.com/berth-dev/berth/engine/launch"
)

// startEnv makes what one run of a container needs besides its
// filesystem, in the background while launch.Start builds that: the
// cgroup with its limits, the network namespace and the container's
// network in it. Its functions hand them to launch.Start, on its thread.
type startEnv struct {
	launch.Env
	cg    chan cgroupResult
	netns <-chan netnsResult
	// Set by NetNS and Ready, read by wait once launch.Start returned.
	asked   bool
	ns      *os.File
	attach  chan error
	cgFiles launch.Cgroup
}

// prestarted is what a container's first start needs that the monitor
// makes before it has read the container's record: its cgroup, without
// limits, and a network namespace, which most containers get.
type prestarted struct {
	cg    <-chan cgroupResult
	netns <-chan netnsResult
}

// prestart starts making the cgroup and network namespace of container id.
func prestart(id string) *prestarted {
	cg := make(chan cgroupResult, 1)
	go func() {
		c, err := cgroups.Prepare(id)
		cg <- cgroupResult{c, err}
	}()
	return &prestarted{cg: cg, netns: startNetns()}
}

// release lets go of what p made, unused.
func (p *prestarted) release() error {
	if r := <-p.netns; r.f != nil {
		r.f.Close()
	}
	if r := <-p.cg; r.cg != nil {
		return r.cg.Delete(context.Background())
	}
	return nil
}

// startEnv starts making the environment of one run of m's container,
// from pre when it is not nil.
func (m *monitor) startEnv(ctx context.Context, pre *prestarted) *startEnv {
	s := &startEnv{cg: make(chan cgroupResult, 1), attach: make(chan error, 1)}
	res := m.rec.resources()
	go func() {
		var r cgroupResult
		if pre != nil {
			r = <-pre.cg
		} else {
			r.cg, r.err = cgroups.Prepare(m.id)
		}
		if r.err != nil {
			r.err = fmt.Errorf("create cgroup: %w", r.err)
		} else if err := r.cg.Update(res); err != nil {
			r.err = fmt.Errorf("apply cgroup limits: %w", err)
		} else {
			// Opened here: launch.Start's thread is inside the
			// container's root by the time it needs them.
			s.cgFiles, r.err = openCgroup(r.cg)
		}
		s.cg <- r
	}()
	switch {
	case pre != nil && m.net.NewNamespace():
		s.netns = pre.netns
	case pre != nil:
		go func() {
			if r := <-pre.netns; r.f != nil {
				r.f.Close()
			}
		}()
	case m.net.NewNamespace():
		s.netns = startNetns()
	}
	s.NetNS = func() (int, error) {
		s.asked = true
		fd, path := -1, ""
		if s.netns != nil {
			r := <-s.netns
			if r.err != nil {
				s.attach <- nil
				return -1, r.err
			}
			s.ns = r.f
			fd, path = int(r.f.Fd()), fmt.Sprintf("/proc/self/fd/%d", r.f.Fd())
		}
		// The network is wired while the filesystem is built; Ready
		// waits for it. Endpoints belong to the monitor, which holds the
		// network for the container's whole run.
		go func() { s.attach <- m.net.Attach(ctx, m.rec, os.Getpid(), path) }()
		return fd, nil
	}
	s.Ready = func() (launch.Cgroup, error) {
		r := <-s.cg
		s.cg <- r
		if r.err != nil {
			return launch.Cgroup{}, r.err
		}
		if err := <-s.attach; err != nil {
			s.attach <- nil
			return launch.Cgroup{}, fmt.Errorf("attach network: %w", err)
		}
		s.attach <- nil
		return s.cgFiles, nil
	}
	return s
}

// wait waits for what the environment was still making once launch.Start
// has returned, closes what only the start needed and gives the cgroup to
// the monitor, which releases it with the run.
func (s *startEnv) wait(m *monitor) {
	if s.asked {
		<-s.attach
	} else if s.netns != nil {
		if r := <-s.netns; r.f != nil {
			r.f.Close()
		}
	}
	if s.ns != nil {
		s.ns.Close()
	}
	for _, f := range append(s.cgFiles.Tasks, s.cgFiles.Dir, s.cgFiles.Procs) {
		if f != nil {
			f.Close()
		}
	}
	m.cg = (<-s.cg).cg
}

// startThread runs launch.Start on a thread of its own and returns the
// started process and the function that releases the thread. The thread
// stays, parked, until then: the process's parent-death signal fires when
// it ends, and it holds the container's mounts. On error it is released
// already.
func startThread(spec *launch.Spec, env launch.Env) (*launch.Process, func(), error) {
	type result struct {
		p   *launch.Process
		err error
	}
	res := make(chan result, 1)
	release := make(chan struct{})
	go onThrowawayThread(func() struct{} {
		p, err := launch.Start(spec, env)
		res <- result{p, err}
		if err == nil {
			<-release
		}
		return struct{}{}
	})
	r := <-res
	if r.err != nil {
		return nil, nil, r.err
	}
	return r.p, func() { close(release) }, nil
}

// openCgroup opens what launch.Start needs of cg: the tasks files of its
// v1 directories, its v2 directory and cgroup.procs there. On error what
// it opened comes back too, to be closed.
func openCgroup(cg *cgroups.Cgroup) (launch.Cgroup, error) {
	var c launch.Cgroup
	v1, v2 := cgroupDirs(cg)
	for _, d := range v1 {
		f, err := openWrite(filepath.Join(d, "tasks"))
		if err != nil {
			return c, fmt.Errorf("join cgroup %s: %w", d, err)
		}
		c.Tasks = append(c.Tasks, f)
	}
	if v2 != "" {
		fd, err := unix.Open(v2, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return c, fmt.Errorf("join cgroup %s: %w", v2, err)
		}
		c.Dir = os.NewFile(uintptr(fd), v2)
		if c.Procs, err = openWrite(filepath.Join(v2, "cgroup.procs")); err != nil {
			return c, fmt.Errorf("join cgroup %s: %w", v2, err)
		}
	}
	return c, nil
}

// openWrite opens an existing file for writing with one system call; the
// cgroup files need nothing of what os.OpenFile adds.
func openWrite(path string) (*os.File, error) {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}
