package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/engine/cgroups"
	"github.com/berth-dev/berth/engine/launch"
)

// cgroupResult is a container's cgroup made in the background.
type cgroupResult struct {
	cg  *cgroups.Cgroup
	err error
}

// prestarted is what a container's first start needs that the monitor
// makes before it has read the container's record: the cgroup, without
// limits, and the thread that starts the process, in its new namespaces.
type prestarted struct {
	cg     <-chan cgroupResult
	thread *launchThread
}

// prestart starts making the launch thread, a network namespace and the
// cgroup of container id; the namespace goes unused if the container
// turns out to share the host's. The thread and the namespace come
// first: they take longest, and the monitor's second P is free for them
// now.
func prestart(id string) *prestarted {
	p := &prestarted{thread: newLaunchThread(true)}
	cg := make(chan cgroupResult, 1)
	go func() {
		c, err := cgroups.Prepare(id)
		cg <- cgroupResult{c, err}
		// The layout of /sys/fs/cgroup the start mounts (launchSpec) is
		// read meanwhile too.
		cgroupfsLayout()
	}()
	p.cg = cg
	return p
}

// release lets go of what p made, unused.
func (p *prestarted) release() error {
	p.thread.end()
	if r := <-p.cg; r.cg != nil {
		return r.cg.Delete(context.Background())
	}
	return nil
}

// launchThread is the OS thread that starts one run of a container's
// process (launch.Prepare, then launch.Thread.Start), with the network
// namespace made for the run on a throwaway thread beside it
// (launch.NewNetNS). Both are made first, so that they are ready by the
// time the container's record is. The thread is kept until the process
// has ended: the process's parent-death signal fires when it ends, and
// it holds the container's mounts.
type launchThread struct {
	prepared chan struct{} // closed once lt and err are set
	lt       *launch.Thread
	err      error
	start    chan launchRequest
	done     chan launchResult
	release  chan struct{}
	started  bool
	once     sync.Once
	// netBegun is set by the thread that makes the network namespace:
	// its own, or the launch thread if that one has not begun by the
	// time the launch needs it (it may wait long for a CPU). netMade is
	// closed once net and netErr are set; net stays open until end.
	netBegun atomic.Bool
	netMade  chan struct{}
	net      *os.File
	netErr   error
}

type launchRequest struct {
	spec *launch.Spec
	env  launch.Env
}

type launchResult struct {
	p   *launch.Process
	err error
}

// newLaunchThread starts making a launch thread and, with newNet, a
// network namespace.
func newLaunchThread(newNet bool) *launchThread {
	t := &launchThread{
		prepared: make(chan struct{}),
		start:    make(chan launchRequest),
		done:     make(chan launchResult, 1),
		release:  make(chan struct{}),
		netMade:  make(chan struct{}),
	}
	goThrowaway(func() {
		t.lt, t.err = launch.Prepare()
		close(t.prepared)
		if t.err != nil {
			return
		}
		req, ok := <-t.start
		if !ok {
			return
		}
		p, err := t.lt.Start(req.spec, req.env)
		t.done <- launchResult{p, err}
		if err == nil {
			<-t.release
		}
	})
	if newNet {
		goThrowaway(func() {
			if t.netBegun.Swap(true) {
				return
			}
			t.net, t.netErr = launch.NewNetNS()
			close(t.netMade)
		})
	} else {
		t.netBegun.Store(true)
		close(t.netMade)
	}
	return t
}

// netNS returns the network namespace made for the run once it exists,
// valid until end.
func (t *launchThread) netNS() (*os.File, error) {
	<-t.netMade
	if t.net == nil && t.netErr == nil {
		return nil, errors.New("create network namespace: none was made for this run")
	}
	return t.net, t.netErr
}

// launchNetNS is netNS for the launch thread, which calls it when it
// needs the namespace: if the namespace's own thread has not begun to
// make it yet, the launch thread makes it, and stays in it.
func (t *launchThread) launchNetNS() (*os.File, error) {
	if !t.netBegun.Swap(true) {
		t.net, t.netErr = launch.NewNetNS()
		close(t.netMade)
	}
	return t.netNS()
}

// run starts the container's process on the thread. On error the thread
// has ended.
func (t *launchThread) run(spec *launch.Spec, env launch.Env) (*launch.Process, error) {
	<-t.prepared
	if t.err != nil {
		return nil, t.err
	}
	t.started = true
	t.start <- launchRequest{spec, env}
	r := <-t.done
	return r.p, r.err
}

// end ends the thread, unused or once its process has ended, which
// unmounts the container's filesystems, and closes the network
// namespace made for the run.
func (t *launchThread) end() {
	t.once.Do(func() {
		<-t.prepared
		if t.started {
			close(t.release)
		} else {
			close(t.start)
		}
		<-t.netMade
		if t.net != nil {
			t.net.Close()
		}
	})
}

// startEnv makes what one run of a container needs besides its
// filesystem, in the background while the launch thread builds that: the
// cgroup with its limits, the container's hosts, hostname and resolv.conf
// files, and its network wired into the thread's network namespace.
type startEnv struct {
	launch.Env
	cgDone     chan struct{}
	cg         cgroupResult
	cgFiles    launch.Cgroup
	filesDone  chan struct{}
	filesErr   error
	attachDone chan struct{}
	attachErr  error
	// joined is another container's network namespace the run joined.
	joined *os.File
}

// startEnv starts making the environment of one run of m's container on
// thread t, with the cgroup from pre when it is not nil.
func (m *monitor) startEnv(ctx context.Context, pre *prestarted, t *launchThread) *startEnv {
	s := &startEnv{cgDone: make(chan struct{}), filesDone: make(chan struct{}), attachDone: make(chan struct{})}
	res, resErr := m.rec.resources()
	go func() {
		defer close(s.cgDone)
		if pre != nil {
			s.cg = <-pre.cg
		} else {
			s.cg.cg, s.cg.err = cgroups.Prepare(m.id)
		}
		if s.cg.err != nil {
			s.cg.err = fmt.Errorf("create cgroup: %w", s.cg.err)
		} else if resErr != nil {
			s.cg.err = resErr
		} else if err := s.cg.cg.Update(res); err != nil {
			s.cg.err = fmt.Errorf("apply cgroup limits: %w", err)
		} else {
			// Opened here: the launch thread is inside the container's
			// root by the time it needs them.
			s.cgFiles, s.cg.err = openCgroup(s.cg.cg)
		}
	}()
	go func() {
		defer close(s.attachDone)
		s.filesErr = m.e.writeContainerFiles(m.rec)
		close(s.filesDone)
		if s.filesErr != nil {
			s.attachErr = s.filesErr
			return
		}
		// The network is wired while the filesystem is built. Endpoints
		// belong to the monitor, which holds the network for the run.
		path := ""
		if m.net.NewNamespace() {
			ns, err := t.netNS()
			if err != nil {
				s.attachErr = err
				return
			}
			path = fmt.Sprintf("/proc/self/fd/%d", ns.Fd())
		}
		s.attachErr = m.net.Attach(ctx, m.rec, os.Getpid(), path)
	}()
	s.Net = func() (*os.File, error) {
		if j, ok := m.net.(networkJoiner); ok {
			f, err := j.Join()
			s.joined = f
			return f, err
		}
		if !m.net.NewNamespace() {
			return nil, nil
		}
		return t.launchNetNS()
	}
	s.Sources = func() error {
		<-s.filesDone
		if s.filesErr != nil {
			return fmt.Errorf("write container files: %w", s.filesErr)
		}
		return nil
	}
	s.Ready = func() (launch.Cgroup, error) {
		<-s.cgDone
		if s.cg.err != nil {
			return launch.Cgroup{}, s.cg.err
		}
		<-s.attachDone
		if s.attachErr != nil {
			return launch.Cgroup{}, fmt.Errorf("attach network: %w", s.attachErr)
		}
		return s.cgFiles, nil
	}
	return s
}

// wait waits for what the environment was still making once the start
// is over, closes what only the start needed and gives the cgroup to the
// monitor, which releases it with the run.
func (s *startEnv) wait(m *monitor) {
	<-s.attachDone
	<-s.cgDone
	for _, f := range append(s.cgFiles.Tasks, s.cgFiles.Dir, s.cgFiles.Procs, s.joined) {
		if f != nil {
			f.Close()
		}
	}
	m.cg = s.cg.cg
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
