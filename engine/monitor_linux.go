package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/engine/cgroups"
	"github.com/berth-dev/berth/engine/launch"
	"github.com/berth-dev/berth/engine/logfile"
	"github.com/berth-dev/berth/engine/spawn"
	"github.com/berth-dev/berth/engine/trim"
	"github.com/berth-dev/berth/store"
)

// startReport is what the monitor tells the process that started it once
// the container's process runs (Code 0) or failed to start.
type startReport struct {
	Code  int    `json:"code"`
	Error string `json:"error,omitempty"`
}

// MonitorMain is the entry point of a container's monitor, the small
// process (berth re-executed from its sealed copy, argv[0]
// "berth-monitor"; see package spawn for its arguments and descriptors)
// that runs in its own session for as long as the container runs. It
// starts the container's process, records the container's state, copies
// its output into ctr.log and to attach clients, serves attach.sock,
// applies the restart policy and --rm. It never returns.
func MonitorMain() {
	signal.Ignore(syscall.SIGHUP, syscall.SIGINT, syscall.SIGPIPE)
	ready := os.NewFile(spawn.ReadyFd, "ready")
	var pre *prestarted
	fail := func(err error) {
		if pre != nil {
			pre.release()
		}
		b, _ := json.Marshal(startReport{Code: 125, Error: err.Error()})
		ready.Write(b)
		os.Exit(125)
	}
	if len(os.Args) < 3 {
		fail(errors.New("usage: berth-monitor ID wait | berth-monitor ID ROOT [attach]"))
	}
	id := os.Args[1]
	if len(id) != 64 || !isHex(id) {
		fail(fmt.Errorf("start container: bad container id %q", id))
	}
	// The launch thread's mount namespace is a copy of the host's: the
	// runtime directories' tmpfs must be there first.
	store.EnsureRunStores()
	// What every start needs and takes a while to make (the cgroup's
	// directories, the namespaces) is made from the first moment, while
	// the container is still being created and its record is read.
	pre = prestart(id)
	// Decoding the container's record first builds encoding/json's view
	// of its types, a quarter of a millisecond; that is done now, while
	// the record is still being written.
	go json.Marshal(&containerRecord{})
	exe, err := spawn.Hold()
	if err != nil {
		fail(err)
	}
	var root string
	var attach *os.File
	if os.Args[2] == spawn.WaitArg {
		// Read through the poller: the thread is not held while the
		// goroutines prestart started run.
		syscall.SetNonblock(spawn.CreatedFd, true)
		created := os.NewFile(spawn.CreatedFd, "created")
		c, ok := spawn.ReadCreated(created)
		created.Close()
		if !ok {
			// The container was not created.
			pre.release()
			os.Exit(0)
		}
		root = c.Root
		attach = os.NewFile(spawn.AttachFd, "attach")
		if !c.Attach {
			attach.Close()
			attach = nil
		}
	} else {
		root = os.Args[2]
		if len(os.Args) > 3 && os.Args[3] == spawn.AttachArg {
			attach = os.NewFile(spawn.AttachFd, "attach")
		}
	}
	lf, err := os.OpenFile(filepath.Join(root, "berth.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		fail(err)
	}
	log := slog.New(slog.NewTextHandler(lf, &slog.HandlerOptions{Level: slog.LevelInfo})).With("monitor", os.Getpid())
	// The process that started the monitor has just repaired the store.
	st, err := store.Open(root, store.WithLogger(log), store.WithoutRepair())
	if err != nil {
		fail(err)
	}
	e := New(st, log)
	code := e.runMonitor(id, pre, ready, attach)
	exe.Close()
	os.Exit(code)
}

// monitor is the state of one monitor process.
type monitor struct {
	e     *Engine
	id    string
	p     store.ContainerPaths
	rec   *containerRecord
	logw  *logfile.Writer
	hub   *attachHub
	net   containerNetwork
	ready *os.File
	wake  chan os.Signal
	state containerState
	// lock is the monitor file, flocked for the monitor's whole life.
	lock *os.File
	// attached says a client attached at the start (run without -d).
	attached bool
	// opened waits for the log and the attach socket, which are made
	// while the first run's process starts, and returns the error that
	// kept them from being made.
	opened func() error
	// cg and thread are what a run of the container leaves until
	// releaseRun: its cgroup, and the release of the thread that started
	// its process (startThread), which holds its mounts.
	cg     *cgroups.Cgroup
	thread func()
	// recorded is closed once the start of the current run is recorded
	// (recordStart). exited, guarded by stateMu, says its process has
	// exited (markExited).
	recorded chan struct{}
	stateMu  sync.Mutex
	exited   bool
}

func (e *Engine) runMonitor(id string, pre *prestarted, ready, attach *os.File) int {
	m := &monitor{e: e, id: id, p: e.st.Container(id), ready: ready, wake: make(chan os.Signal, 1)}
	abort := func(err error) int {
		if err := pre.release(); err != nil {
			e.log.Warn("delete cgroup", "container", id, "err", err)
		}
		if err == nil {
			return 0
		}
		m.report(startReport{Code: 125, Error: err.Error()})
		return 125
	}
	if err := m.setup(); err != nil {
		return abort(err)
	}
	signal.Notify(m.wake, syscall.SIGUSR1)
	m.attached = attach != nil
	// The log and the attach socket are made while the first run's
	// filesystem is: its process starts as soon as they are (runOnce).
	opened := make(chan error, 1)
	go func() {
		err := m.openLog()
		if err == nil {
			m.hub = m.newHub(attach)
		} else if attach != nil {
			attach.Close()
		}
		opened <- err
	}()
	m.opened = sync.OnceValue(func() error { return <-opened })
	code := m.loop(pre)
	if m.opened() != nil {
		// The start failed for it, and loop reported that.
		m.releaseRun()
		m.lock.Close()
		return code
	}
	if m.logw != nil {
		m.logw.Close()
	}
	// With --rm the container leaves the listings (one rename) before its
	// exit is reported, as docker's run --rm returns only once the
	// container is removed; the rest (its die and destroy events, its
	// name and network, its mounts, cgroup and files: the kernel tears a
	// mount namespace down in about a millisecond) follows the report.
	var remove func() error
	autoRemove := m.rec.HostConfig.AutoRemove
	if autoRemove {
		r, err := e.unlistContainer(id)
		if err != nil {
			e.log.Warn("remove container", "container", id, "err", err)
		}
		remove = r
	}
	m.hub.end(code)
	// What is left is housekeeping that nobody waits for; the client that
	// just got the exit code should not wait for a CPU behind it.
	lowerPriority()
	if autoRemove {
		m.noteOOM()
		m.endRun(context.Background())
		m.emitDie(code)
		e.forgetContainer(context.Background(), m.rec, true)
	}
	m.releaseRun()
	if remove != nil {
		if err := remove(); err != nil {
			e.log.Warn("remove container files", "container", id, "err", err)
		}
	}
	m.hub.drain()
	m.lock.Close()
	return 0
}

// releaseRun releases what the last run of the container left: the
// thread that started its process, whose end unmounts the container's
// filesystems, and then its cgroup.
func (m *monitor) releaseRun() {
	m.endThread()
	if m.cg != nil {
		if err := m.cg.Delete(context.Background()); err != nil {
			m.e.log.Warn("delete cgroup", "container", m.id, "err", err)
		}
		m.cg = nil
	}
}

// endThread ends the thread that started the container's process, and
// with it the container's namespaces: the kernel unmounts its filesystems
// and deletes its veths, which the network's Detach then need not do.
func (m *monitor) endThread() {
	if m.thread != nil {
		m.thread()
		m.thread = nil
	}
}

// setup takes the monitor lock and reads what starting the container
// needs.
func (m *monitor) setup() error {
	f, err := os.OpenFile(m.p.Monitor, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("start container %s: %w", m.id, err)
	}
	// Held until the process exits; the kernel releases it even on kill -9.
	m.lock = f
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("start container %s: %w", m.id, err)
	}
	if m.rec, err = m.e.readRecord(m.id); err != nil {
		return err
	}
	if m.net, err = m.e.networkFor(m.rec.HostConfig.NetworkMode); err != nil {
		return err
	}
	return nil
}

// openLog opens the container's log, unless it keeps none, and reads its
// previous state.
func (m *monitor) openLog() error {
	if prev, err := m.e.readStateRaw(m.id); err == nil {
		m.state = prev
	}
	m.state.RestartCount = 0
	if m.rec.HostConfig.LogConfig.Type == logDriverNone {
		return nil
	}
	opts, err := m.rec.HostConfig.LogConfig.logOptions()
	if err != nil {
		return fmt.Errorf("open log of container %s: %w", m.id, err)
	}
	if m.logw, err = logfile.Create(m.p.Log, append(opts, logfile.BufferSize(256<<10))...); err != nil {
		return fmt.Errorf("open log of container %s: %w", m.id, err)
	}
	return nil
}

// report tells the starter how the start went, once.
func (m *monitor) report(r startReport) {
	if m.ready == nil {
		return
	}
	b, _ := json.Marshal(r)
	m.ready.Write(b)
	m.ready.Close()
	m.ready = nil
}

// loop runs the container, and again as its restart policy says, and
// returns the exit code it ended with. The first run takes what pre
// made beforehand.
func (m *monitor) loop(pre *prestarted) int {
	policy := m.rec.HostConfig.RestartPolicy
	backoff := 100 * time.Millisecond
	for {
		started := time.Now()
		code, serr := m.runOnce(pre)
		pre = nil
		if serr != nil {
			// The previous state comes with the log.
			m.opened()
			m.state.Status = StateCreated
			if m.state.StartedAt.IsZero() == false || m.state.RestartCount > 0 {
				m.state.Status = StateExited
			}
			m.state.Pid = 0
			m.state.ExitCode = serr.Code
			m.state.Error = serr.Msg
			m.state.FinishedAt = time.Now().UTC()
			m.writeState()
			if m.ready != nil && m.rec.HostConfig.AutoRemove {
				// Remove before reporting, so that run --rm leaves
				// nothing behind when it returns.
				if err := m.e.deleteContainer(context.Background(), m.rec, true, false); err != nil {
					m.e.log.Warn("remove container", "container", m.id, "err", err)
				}
				m.rec.HostConfig.AutoRemove = false
			}
			m.report(startReport{Code: serr.Code, Error: serr.Msg})
			return serr.Code
		}
		stopped := m.e.exists(m.id, stoppedFile)
		if !m.rec.HostConfig.AutoRemove {
			policy = m.updated()
		}
		if stopped || !shouldRestart(policy, code, m.state.RestartCount) {
			m.state.Status = StateExited
			// A container removed on exit (--rm) leaves the store next
			// (runMonitor), which reports its end after that: its last
			// state would be written to be deleted.
			if !m.rec.HostConfig.AutoRemove {
				m.writeState()
				m.emitDie(code)
			}
			return code
		}
		m.state.Status = StateRestarting
		m.writeState()
		m.emitDie(code)
		if time.Since(started) >= 10*time.Second {
			backoff = 100 * time.Millisecond
		}
		select {
		case <-time.After(backoff):
		case <-m.wake:
		}
		backoff = min(backoff*2, time.Minute)
		if m.e.exists(m.id, stoppedFile) {
			m.state.Status = StateExited
			m.writeState()
			return code
		}
		m.state.RestartCount++
		m.e.emit("container", "restart", m.id, m.attrs(nil))
	}
}

// updated takes what berth update may have changed in the container's
// record since the run began, the limits of its next run, and returns
// its restart policy. The monitor's other goroutines read none of these
// fields.
func (m *monitor) updated() RestartPolicy {
	h := &m.rec.HostConfig
	if rec, err := m.e.readRecord(m.id); err == nil {
		h.RestartPolicy = rec.HostConfig.RestartPolicy
		h.takeLimits(&rec.HostConfig)
	}
	return h.RestartPolicy
}

// shouldRestart applies docker's restart policies to an exit.
func shouldRestart(p RestartPolicy, code, restarts int) bool {
	switch p.Name {
	case "always", "unless-stopped":
		return true
	case "on-failure":
		return code != 0 && (p.MaximumRetryCount == 0 || restarts < p.MaximumRetryCount)
	}
	return false
}

// emitDie reports the exit of the container's process, after its start.
func (m *monitor) emitDie(code int) {
	<-m.recorded
	m.e.emit("container", "die", m.id, m.attrs(map[string]string{"exitCode": fmt.Sprint(code)}))
}

func (m *monitor) attrs(extra map[string]string) map[string]string {
	a := map[string]string{"name": m.rec.Name, "image": m.rec.Image}
	for k, v := range extra {
		a[k] = v
	}
	return a
}

func (m *monitor) writeState() {
	if err := m.e.writeState(m.id, m.state); err != nil {
		m.e.log.Warn("write state", "container", m.id, "err", err)
	}
}

// resources returns the cgroup limits of the container.
func (r *containerRecord) resources() (cgroups.Resources, error) {
	res := r.HostConfig.limits()
	var err error
	if res.BlkioDevices, err = r.HostConfig.blockLimits(); err != nil {
		return res, err
	}
	if !r.HostConfig.Privileged {
		res.Devices = cgroups.DefaultDevices()
		for _, d := range r.HostConfig.Devices {
			if dev, err := hostDevice(d); err == nil {
				res.Devices = append(res.Devices, deviceRule(dev, d.CgroupPermissions))
			}
		}
	}
	return res, nil
}

// reap waits for child pid to exit and returns how it ended.
func reap(pid int) (syscall.WaitStatus, error) {
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(pid, &ws, 0, nil)
		if err != syscall.EINTR {
			return ws, err
		}
	}
}

// runOnce runs the container once: it starts its process, waits for it
// to exit and returns its exit code (128+n for signal n), or the start
// error. Its cgroup and network namespace come from pre, made
// beforehand, or are made now.
//
// The start runs on a thread of its own (launch.Start) while the monitor
// makes the rest at the same time: the cgroup and its limits, the network
// namespace and its wiring, the standard streams.
func (m *monitor) runOnce(pre *prestarted) (int, *StartError) {
	ctx := context.Background()
	fail := func(code int, err error) (int, *StartError) {
		return 0, &StartError{ID: m.id, Code: code, Msg: err.Error()}
	}
	// A container removed when it exits (--rm) leaves its namespaces,
	// mounts, network and cgroup to be released after its exit is
	// reported (runMonitor); any other run releases them before it
	// returns.
	keep := false
	defer func() {
		if !keep {
			m.releaseRun()
		}
	}()
	var thread *launchThread
	if pre != nil {
		thread = pre.thread
	} else {
		thread = newLaunchThread(m.net.NewNamespace())
	}
	m.thread = thread.end
	env := m.startEnv(ctx, pre, thread)
	spec, err := m.e.launchSpec(m.rec)
	var st *stdio
	if err == nil {
		st, err = newStdio(m.rec.Config.Tty, m.rec.Config.OpenStdin)
	}
	if err != nil {
		env.wait(m)
		return fail(125, err)
	}
	defer st.closeParent()
	if !spec.Tty {
		env.Stdio = [3]int{int(st.childIn.Fd()), int(st.childOut.Fd()), int(st.childErr.Fd())}
	}
	proc, err := thread.run(spec, env.Env)
	st.closeChild()
	env.wait(m)
	if oerr := m.opened(); oerr != nil && err == nil {
		syscall.Kill(proc.Pid, syscall.SIGKILL)
		reap(proc.Pid)
		if proc.PTY != nil {
			proc.PTY.Close()
		}
		err = oerr
	}
	if err != nil {
		m.endThread()
		m.net.Detach(ctx, m.rec)
		code := 125
		var ee *launch.ExitError
		if errors.As(err, &ee) {
			code = ee.Code
		}
		return fail(code, err)
	}
	pid, master, cg := proc.Pid, proc.PTY, m.cg
	// Input goes to the process from before the start is reported: a
	// client sends what it has (echo hi | berth run -i) as soon as it
	// hears of the start, and its end of input must close this stdin.
	if master != nil {
		m.hub.setInput(master, true)
	} else if st.parentIn != nil {
		m.hub.setInput(st.parentIn, false)
	}

	now := time.Now().UTC()
	m.state = containerState{Status: StateRunning, Pid: pid, MonitorPid: os.Getpid(), StartedAt: now, RestartCount: m.state.RestartCount}
	if m.attached {
		// The client attached at the start waits for the process's
		// output and exit, not for the record of its start, which a
		// short container would otherwise outrun. A detached starter
		// (run -d) hears of the start only once it is recorded.
		m.report(startReport{Code: 0})
	}
	m.recordStart()
	if !m.attached {
		// A detached starter may look at the state as soon as it hears
		// of the start.
		<-m.recorded
	}
	stopHealth := func() {}
	if hc := m.rec.Config.Healthcheck; healthCommand(hc) != nil {
		hctx, cancel := context.WithCancel(ctx)
		var hwg sync.WaitGroup
		hwg.Go(func() { m.watchHealth(hctx, hc, now) })
		stopHealth = func() {
			cancel()
			hwg.Wait()
		}
	}
	// A container that runs for more than a moment gets a lean monitor;
	// one that exits at once is not slowed by the collection.
	lean := time.AfterFunc(time.Second, trim.Memory)
	defer lean.Stop()

	var wg sync.WaitGroup
	if master != nil {
		wg.Go(func() { m.copyOut(master, logfile.Stdout) })
	} else {
		wg.Go(func() { m.copyOut(st.parentOut, logfile.Stdout) })
		wg.Go(func() { m.copyOut(st.parentErr, logfile.Stderr) })
	}
	ws, werr := reap(pid)
	m.markExited()
	stopHealth()
	if m.rec.HostConfig.PidMode != "" && cg != nil {
		// No PID namespace of its own ends with the process: what it
		// left behind goes now, as runc does it.
		cg.KillAll(ctx, syscall.SIGKILL)
	}
	wg.Wait()
	m.hub.setInput(nil, false)
	if master != nil {
		master.Close()
	}
	if m.logw != nil {
		if err := m.logw.Flush(); err != nil {
			m.e.log.Warn("flush log", "container", m.id, "err", err)
		}
	}
	code := 125
	if werr == nil {
		code = waitCode(ws)
	}
	m.state.Pid = 0
	m.state.ExitCode = code
	m.state.FinishedAt = time.Now().UTC()
	keep = m.rec.HostConfig.AutoRemove
	if !keep {
		// A container removed on exit (--rm) has no state to keep: it
		// reads its OOM kill once its exit is reported (runMonitor).
		m.noteOOM()
		m.endRun(ctx)
		m.e.setMarker(m.id, pausedFile, false)
	}
	return code, nil
}

// noteOOM records in the state whether the kernel's OOM killer killed a
// process of the run that just ended, and reports it as docker does, with
// an oom event before the die.
func (m *monitor) noteOOM() {
	oom, _ := m.cg.OOMKilled()
	m.state.OOMKilled = oom
	if oom {
		<-m.recorded
		m.e.emit("container", "oom", m.id, m.attrs(nil))
	}
}

// recordStart records the start of the run just begun, in the background:
// its running state, the paused mark cleared, the start event, and then
// the report to a detached starter. A process that exits at once (run
// --rm IMG true) is then reaped while that is written, not after: the
// record of a start took a millisecond, most of the life of such a
// container. m.recorded is closed once it is done; the exit's events wait
// for it, and its state for the running one (markExited).
func (m *monitor) recordStart() {
	st := m.state
	m.recorded = make(chan struct{})
	m.exited = false
	go func() {
		defer close(m.recorded)
		m.stateMu.Lock()
		if !m.exited {
			if err := m.e.writeState(m.id, st); err != nil {
				m.e.log.Warn("write state", "container", m.id, "err", err)
			}
		}
		m.stateMu.Unlock()
		m.e.setMarker(m.id, pausedFile, false)
		m.e.emit("container", "start", m.id, m.attrs(nil))
		m.report(startReport{Code: 0})
	}()
}

// markExited says the run's process has exited: from then on its running
// state is not written. One being written is waited for, and one not yet
// begun is skipped, as the exit's state replaces it (or, with --rm, the
// container's removal).
func (m *monitor) markExited() {
	m.stateMu.Lock()
	m.exited = true
	m.stateMu.Unlock()
}

// endRun ends the thread of the run that just ended, and with it the
// run's namespaces and mounts, and then disconnects its network: the
// kernel deletes the network namespace's devices with it, which the
// network's detach would otherwise do one by one.
func (m *monitor) endRun(ctx context.Context) {
	m.endThread()
	if err := m.net.Detach(ctx, m.rec); err != nil {
		m.e.log.Warn("detach network", "container", m.id, "err", err)
	}
}

// cgroupDirs returns the distinct v1 directories of cg and its v2
// directory ("" on a host without one).
func cgroupDirs(cg *cgroups.Cgroup) (v1 []string, v2 string) {
	for k, d := range cg.Paths() {
		if k == cgroups.UnifiedKey {
			v2 = d
		} else if !slices.Contains(v1, d) {
			v1 = append(v1, d)
		}
	}
	sort.Strings(v1)
	return v1, v2
}

// copyOut copies one output stream of the container into the log, if it
// keeps one, and to the attach clients until the container closes it.
func (m *monitor) copyOut(r io.Reader, s logfile.Stream) {
	var err error
	if m.logw == nil {
		_, err = io.Copy(m.hub.writer(s), r)
	} else {
		_, err = io.Copy(m.logw.StreamWriter(s), io.TeeReader(r, m.hub.writer(s)))
	}
	if err != nil && !errors.Is(err, syscall.EIO) {
		m.e.log.Warn("copy container output", "container", m.id, "err", err)
	}
}

// exitCode maps a wait status to docker's exit code.
func exitCode(ps *os.ProcessState, err error) int {
	if ps == nil {
		return 125
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok {
		return waitCode(ws)
	}
	return ps.ExitCode()
}

// waitCode maps a wait status to docker's exit code: the process's, or
// 128+n for signal n.
func waitCode(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// stdio holds the descriptors of the container's standard streams without
// a terminal: pipes the monitor reads (and writes, with -i).
type stdio struct {
	childIn, childOut, childErr    *os.File
	parentIn, parentOut, parentErr *os.File
}

func newStdio(tty, openStdin bool) (*stdio, error) {
	s := &stdio{}
	if tty {
		// launch.Start gives the container the terminal it makes.
		return s, nil
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	s.childIn = null
	if openStdin {
		if s.childIn, s.parentIn, err = os.Pipe(); err != nil {
			null.Close()
			return nil, err
		}
		null.Close()
	}
	if s.parentOut, s.childOut, err = os.Pipe(); err != nil {
		s.closeChild()
		s.closeParent()
		return nil, err
	}
	if s.parentErr, s.childErr, err = os.Pipe(); err != nil {
		s.closeChild()
		s.closeParent()
		return nil, err
	}
	// A deeper pipe lets a container that writes fast hand over more per
	// wake-up of the monitor; where the host caps pipe sizes lower, the
	// default stays, which only costs speed.
	for _, f := range []*os.File{s.parentOut, s.parentErr} {
		if sc, err := f.SyscallConn(); err == nil {
			sc.Control(func(fd uintptr) { unix.FcntlInt(fd, unix.F_SETPIPE_SZ, outputPipeSize) })
		}
	}
	return s, nil
}

// outputPipeSize is the capacity asked for the container's output pipes.
const outputPipeSize = 1 << 20

func (s *stdio) closeChild() {
	seen := map[*os.File]bool{}
	for _, f := range []*os.File{s.childIn, s.childOut, s.childErr} {
		if f != nil && !seen[f] {
			seen[f] = true
			f.Close()
		}
	}
}

func (s *stdio) closeParent() {
	for _, f := range []*os.File{s.parentIn, s.parentOut, s.parentErr} {
		if f != nil {
			f.Close()
		}
	}
}

// lowerPriority makes every thread of this process run at the lowest
// priority (nice 19). Linux keeps a nice value per thread, and threads
// made later inherit their creator's.
func lowerPriority() {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return
	}
	for _, t := range tasks {
		if tid, err := strconv.Atoi(t.Name()); err == nil {
			syscall.Setpriority(syscall.PRIO_PROCESS, tid, 19)
		}
	}
}
