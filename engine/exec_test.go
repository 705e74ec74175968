package engine

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/pty"
	"github.com/berth-dev/berth/store"
	"github.com/berth-dev/berth/test/imgtest"
)

// execTestEngine returns an engine on a fresh store whose monitors (and
// exec keepers) are a freshly built berth binary, with busybox pulled as
// "busybox", and a running container of it.
func execTestEngine(t testing.TB) (*Engine, string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to run containers and enter their namespaces")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go tool to build the berth binary the monitors run")
	}
	bin := filepath.Join(t.TempDir(), "berth")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "github.com/berth-dev/berth")
	build.Env = append(os.Environ(), "CGO_ENABLED=0") // as make build builds it
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build berth: %v\n%s", err, out)
	}
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := New(st, nil, WithBinary(bin))
	host := imgtest.Registry(t)
	imgtest.Push(t, host, "library/busybox:latest", imgtest.BusyboxImage(t, imgtest.WithEnv("PATH=/bin", "FROM_IMAGE=yes")))
	if _, err := e.Pull(t.Context(), host+"/library/busybox:latest", PullOptions{}); err != nil {
		t.Fatalf("pull busybox: %v", err)
	}
	if err := e.Tag(t.Context(), host+"/library/busybox:latest", "busybox:latest"); err != nil {
		t.Fatalf("tag busybox: %v", err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		ids, _ := e.st.ContainerIDs()
		for _, id := range ids {
			e.Remove(ctx, id, RemoveOptions{Force: true})
		}
	})
	id := execTestContainer(t, e, "box")
	return e, id
}

// execTestContainer starts a container that sleeps.
func execTestContainer(t testing.TB, e *Engine, name string) string {
	t.Helper()
	id, err := e.Create(t.Context(), CreateOptions{Image: "busybox", Name: name, Hostname: name + "host", NetworkMode: "none", Cmd: []string{"sleep", "1000"}})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	if err := e.Start(t.Context(), id); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	return id
}

// execOutput runs cmd in container ref without a terminal and returns its
// stdout and exit code.
func execOutput(t *testing.T, e *Engine, ref string, o ExecOptions) (string, int) {
	t.Helper()
	p, err := e.Exec(t.Context(), ref, o)
	if err != nil {
		t.Fatalf("Exec(%v) error = %v", o.Cmd, err)
	}
	defer p.Close()
	var out bytes.Buffer
	code, err := p.Stream(t.Context(), StreamOptions{Stdout: &out, Stderr: io.Discard})
	if err != nil {
		t.Fatalf("Stream(%v) error = %v", o.Cmd, err)
	}
	return out.String(), code
}

func TestExec(t *testing.T) {
	e, id := execTestEngine(t)
	insp, err := e.InspectContainer(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	initPid := insp.State.Pid

	t.Run("namespaces, cgroups and restrictions", func(t *testing.T) {
		p, err := e.Exec(t.Context(), "box", ExecOptions{Cmd: []string{"sleep", "500"}})
		if err != nil {
			t.Fatalf("Exec() error = %v", err)
		}
		defer func() {
			p.Signal(unix.SIGKILL)
			p.Wait()
			p.Close()
		}()
		for _, ns := range []string{"mnt", "pid", "uts", "ipc", "net", "cgroup"} {
			want, _ := os.Readlink("/proc/" + strconv.Itoa(initPid) + "/ns/" + ns)
			got, err := os.Readlink("/proc/" + strconv.Itoa(p.Pid) + "/ns/" + ns)
			if err != nil || got != want {
				t.Errorf("exec process %s namespace = %q (%v), want the container's %q", ns, got, err, want)
			}
		}
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(p.Pid) + "/cgroup")
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if strings.Contains(line, "cpuset") || strings.Contains(line, "name=systemd") {
				continue // berth creates no cgroup there
			}
			if !strings.HasSuffix(line, "/berth/"+id) {
				t.Errorf("exec process cgroup line %q, want the container's berth/%s", line, id)
			}
		}
		status := procStatus(t, p.Pid)
		initStatus := procStatus(t, initPid)
		if status["CapBnd"] != initStatus["CapBnd"] {
			t.Errorf("exec process CapBnd = %s, want the container's %s", status["CapBnd"], initStatus["CapBnd"])
		}
		if status["NoNewPrivs"] != "1" {
			t.Errorf("exec process NoNewPrivs = %s, want 1", status["NoNewPrivs"])
		}
		if status["Seccomp"] != "2" || status["Seccomp"] != initStatus["Seccomp"] {
			t.Errorf("exec process Seccomp = %s, want the container's filter (2, the container's %s)", status["Seccomp"], initStatus["Seccomp"])
		}
		if d, _ := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0); d != 0 {
			t.Errorf("process that started an exec is dumpable (%d): the container could reach its binary", d)
		}
		// The exec returns once the kernel has begun the process's execve,
		// which may not have set up its arguments yet: top shows [sleep]
		// for a moment.
		var top TopResult
		found := false
		for i := 0; i < 100 && !found; i++ {
			if i > 0 {
				time.Sleep(10 * time.Millisecond)
			}
			if top, err = e.Top(t.Context(), "box", "-o pid,args"); err != nil {
				t.Fatalf("Top() error = %v", err)
			}
			for _, row := range top.Processes {
				found = found || (row[0] == strconv.Itoa(p.Pid) && row[1] == "sleep 500")
			}
		}
		if !found {
			t.Errorf("Top() = %v, want the exec process %d", top.Processes, p.Pid)
		}
	})

	t.Run("no inherited descriptors", func(t *testing.T) {
		// A descriptor this process inherited without close-on-exec.
		secret := filepath.Join(t.TempDir(), "host-secret")
		fd, err := unix.Open(secret, unix.O_CREAT|unix.O_RDWR, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		out, code := execOutput(t, e, "box", ExecOptions{Cmd: []string{"sh", "-c", "for f in /proc/$$/fd/*; do readlink $f; done; true"}})
		if code != 0 || strings.Contains(out, "host-secret") {
			t.Fatalf("exec process descriptors:\n%s\nthe host file leaked in", out)
		}
	})

	t.Run("privileged", func(t *testing.T) {
		out, code := execOutput(t, e, "box", ExecOptions{Cmd: []string{"sh", "-c", "grep -E '^(CapBnd|NoNewPrivs|Seccomp):' /proc/self/status"}, Privileged: true})
		// Every capability this (root) process has.
		want := "CapBnd:\t" + procStatus(t, os.Getpid())["CapBnd"]
		if code != 0 || !strings.Contains(out, want) || !strings.Contains(out, "NoNewPrivs:\t0") || !strings.Contains(out, "Seccomp:\t0") {
			t.Fatalf("privileged exec status:\n%s\nwant %q, NoNewPrivs 0 and no seccomp filter", out, want)
		}
	})

	t.Run("environment, user and working directory", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			o    ExecOptions
			want string
		}{
			{"defaults", ExecOptions{}, "yes  boxhost / 0 0\n"},
			{"options", ExecOptions{Env: []string{"EXTRA=1", "FROM_IMAGE=over"}, WorkingDir: "/tmp", User: "nobody"}, "over 1 boxhost /tmp 65534 65534\n"},
			{"uid and gid", ExecOptions{User: "123:456"}, "yes  boxhost / 123 456\n"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tc.o.Cmd = []string{"sh", "-c", `echo "$FROM_IMAGE" "$EXTRA" "$HOSTNAME" "$(pwd)" "$(id -u)" "$(id -g)"`}
				if out, code := execOutput(t, e, "box", tc.o); out != tc.want || code != 0 {
					t.Fatalf("exec output = %q (code %d), want %q", out, code, tc.want)
				}
			})
		}
	})

	t.Run("stdin pipe", func(t *testing.T) {
		p, err := e.Exec(t.Context(), "box", ExecOptions{Cmd: []string{"sh", "-c", "cat; echo done"}, Stdin: true})
		if err != nil {
			t.Fatalf("Exec() error = %v", err)
		}
		defer p.Close()
		var out bytes.Buffer
		code, err := p.Stream(t.Context(), StreamOptions{Stdin: strings.NewReader("a\nb\n"), Stdout: &out})
		if err != nil || code != 0 || out.String() != "a\nb\ndone\n" {
			t.Fatalf("Stream() = %d, %v, output %q; want 0 and the input then done", code, err, out.String())
		}
	})

	t.Run("start errors", func(t *testing.T) {
		stopped, err := e.Create(t.Context(), CreateOptions{Image: "busybox", NetworkMode: "none", Cmd: []string{"true"}})
		if err != nil {
			t.Fatal(err)
		}
		execTestContainer(t, e, "frozen")
		if err := e.Pause(t.Context(), "frozen"); err != nil {
			t.Fatalf("Pause() error = %v", err)
		}
		t.Cleanup(func() { e.Unpause(context.Background(), "frozen") })
		for _, tc := range []struct {
			name  string
			ref   string
			cmd   []string
			code  int  // for an *ExecError
			state bool // a *StateError
			is    error
		}{
			{"not found", "box", []string{"nosuch"}, 127, false, nil},
			{"missing path", "box", []string{"/no/such"}, 127, false, nil},
			{"not executable", "box", []string{"/etc/hostname"}, 126, false, nil},
			{"directory", "box", []string{"/"}, 126, false, nil},
			{"stopped container", stopped, []string{"true"}, 0, true, nil},
			{"paused container", "frozen", []string{"true"}, 0, true, nil},
			{"missing container", "nosuch", []string{"true"}, 0, false, ErrNotFound},
			{"empty command", "box", nil, 0, false, ErrInvalid},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p, err := e.Exec(t.Context(), tc.ref, ExecOptions{Cmd: tc.cmd})
				if err == nil {
					p.Close()
					t.Fatalf("Exec(%s, %v) succeeded", tc.ref, tc.cmd)
				}
				var ee *ExecError
				var se *StateError
				switch {
				case tc.code != 0:
					if !errors.As(err, &ee) || ee.Code != tc.code {
						t.Fatalf("Exec(%v) error = %v, want an ExecError with code %d", tc.cmd, err, tc.code)
					}
				case tc.state:
					if !errors.As(err, &se) {
						t.Fatalf("Exec() error = %v, want a StateError", err)
					}
				default:
					if !errors.Is(err, tc.is) {
						t.Fatalf("Exec() error = %v, want %v", err, tc.is)
					}
				}
			})
		}
	})

	t.Run("terminal", func(t *testing.T) {
		p, err := e.Exec(t.Context(), "box", ExecOptions{Cmd: []string{"sh"}, TTY: true, Size: pty.Size{Rows: 30, Cols: 90}})
		if err != nil {
			t.Fatalf("Exec() error = %v", err)
		}
		defer p.Close()
		if p.PTY == nil || p.Stdout != nil || p.Stdin != nil {
			t.Fatalf("TTY exec has PTY %v, Stdout %v, Stdin %v; want only the PTY", p.PTY, p.Stdout, p.Stdin)
		}
		r := bufio.NewReader(p.PTY)
		readUntil := func(re string) []string {
			t.Helper()
			rx := regexp.MustCompile(re)
			var seen []byte
			p.PTY.SetReadDeadline(time.Now().Add(10 * time.Second))
			for {
				b, err := r.ReadByte()
				if err != nil {
					t.Fatalf("read terminal: %v; got %q, want %q", err, seen, re)
				}
				seen = append(seen, b)
				if m := rx.FindStringSubmatch(string(seen)); m != nil {
					return m
				}
			}
		}
		p.PTY.WriteString("tty; stty size; echo $TERM\n")
		readUntil(`/dev/pts/\d+\r\n30 90\r\nxterm\r\n`)
		if err := p.Resize(pty.Size{Rows: 33, Cols: 101}); err != nil {
			t.Fatalf("Resize() error = %v", err)
		}
		p.PTY.WriteString("stty size\n")
		readUntil(`\n33 101\r\n`)
		p.PTY.WriteString("exit 4\n")
		if code, err := p.Wait(); code != 4 || err != nil {
			t.Fatalf("Wait() = %d, %v; want 4", code, err)
		}
	})

	t.Run("resize without terminal", func(t *testing.T) {
		p, err := e.Exec(t.Context(), "box", ExecOptions{Cmd: []string{"true"}})
		if err != nil {
			t.Fatalf("Exec() error = %v", err)
		}
		defer p.Close()
		if err := p.Resize(pty.Size{Rows: 1, Cols: 1}); err == nil {
			t.Error("Resize() of a process without terminal succeeded")
		}
		if code, err := p.Wait(); code != 0 || err != nil {
			t.Fatalf("Wait() = %d, %v", code, err)
		}
	})

	t.Run("signal", func(t *testing.T) {
		p, err := e.Exec(t.Context(), "box", ExecOptions{Cmd: []string{"sleep", "600"}})
		if err != nil {
			t.Fatalf("Exec() error = %v", err)
		}
		defer p.Close()
		if err := p.Signal(unix.SIGTERM); err != nil {
			t.Fatalf("Signal() error = %v", err)
		}
		if code, _ := p.Wait(); code != 128+int(unix.SIGTERM) {
			t.Fatalf("Wait() after SIGTERM = %d, want %d", code, 128+int(unix.SIGTERM))
		}
		if err := p.Signal(unix.SIGTERM); err != nil {
			t.Fatalf("Signal() after exit error = %v, want nil", err)
		}
	})

	t.Run("detach keys end the session, not the process", func(t *testing.T) {
		p, err := e.Exec(t.Context(), "box", ExecOptions{Cmd: []string{"sh", "-c", "echo ready; read line; echo got $line"}, TTY: true})
		if err != nil {
			t.Fatalf("Exec() error = %v", err)
		}
		defer p.Close()
		keys, _ := pty.ParseKeys(pty.DefaultKeys)
		in, typing := io.Pipe()
		out := &syncBuffer{ready: make(chan struct{})}
		res := make(chan error, 1)
		go func() {
			_, err := p.Stream(t.Context(), StreamOptions{Stdin: in, Stdout: out, DetachKeys: keys})
			res <- err
		}()
		<-out.ready
		typing.Write([]byte("\x10\x11"))
		if err := <-res; !errors.Is(err, pty.ErrDetached) {
			t.Fatalf("Stream() error = %v, want ErrDetached", err)
		}
		select {
		case <-p.Done():
			t.Fatal("the process exited on detach")
		default:
		}
		// The keys never reached it: it still reads its line.
		p.PTY.WriteString("more\n")
		if code, err := p.Stream(t.Context(), StreamOptions{Stdout: out}); code != 0 || err != nil {
			t.Fatalf("second Stream() = %d, %v", code, err)
		}
		if !strings.Contains(out.String(), "got more") {
			t.Fatalf("output %q, want the line typed after detaching", out.String())
		}
	})

	t.Run("detached process keeps running without its client", func(t *testing.T) {
		// Output that fills any terminal buffer: without a keeper
		// reading it the process would block (or die of SIGHUP when
		// the terminal's master closes).
		p, err := e.Exec(t.Context(), "box", ExecOptions{Cmd: []string{"sh", "-c", "i=0; while [ $i -lt 20000 ]; do echo line $i; i=$((i+1)); done; touch /tmp/finished; exec sleep 700"}, TTY: true})
		if err != nil {
			t.Fatalf("Exec() error = %v", err)
		}
		if err := p.Detach(); err != nil {
			t.Fatalf("Detach() error = %v", err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			if _, code := execOutput(t, e, "box", ExecOptions{Cmd: []string{"test", "-e", "/tmp/finished"}}); code == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the detached process did not finish its output")
			}
			time.Sleep(50 * time.Millisecond)
		}
		unix.Kill(p.Pid, unix.SIGKILL)
	})
}

// procStatus returns the fields of /proc/PID/status.
func procStatus(t *testing.T, pid int) map[string]string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}

// syncBuffer is a bytes.Buffer safe for one writer and readers, which
// closes ready on its first write.
type syncBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	ready chan struct{}
	once  sync.Once
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.once.Do(func() { close(s.ready) })
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestOnThrowawayThread(t *testing.T) {
	var wg sync.WaitGroup
	tids := make(chan int, 200)
	for range 200 {
		wg.Go(func() {
			tids <- onThrowawayThread(func() int {
				// Change the thread so that reusing it would matter.
				unix.Unshare(unix.CLONE_FS)
				return unix.Gettid()
			})
		})
	}
	wg.Wait()
	close(tids)
	for tid := range tids {
		if tid == unix.Getpid() {
			t.Fatal("onThrowawayThread ran on the main thread")
		}
		// The thread is gone once its goroutine ended.
		deadline := time.Now().Add(5 * time.Second)
		for {
			if _, err := os.Stat("/proc/self/task/" + strconv.Itoa(tid)); errors.Is(err, os.ErrNotExist) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("thread %d still exists after its goroutine ended", tid)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// With one P the runtime runs a new goroutine on the thread that started
// it, the main thread too: a goroutine there must hold it until the next
// one has a thread of its own, or the two hand the main thread back and
// forth for ever.
func TestOnThrowawayThreadWithOneP(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	done := make(chan []int)
	go func() {
		var tids []int
		for range 200 {
			tids = append(tids, onThrowawayThread(unix.Gettid))
		}
		done <- tids
	}()
	select {
	case tids := <-done:
		if slices.Contains(tids, unix.Getpid()) {
			t.Fatal("onThrowawayThread ran on the main thread")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("200 throwaway threads with GOMAXPROCS=1 did not end in 20s")
	}
}

// BenchmarkExec measures Engine.Exec of true until its exit, in process:
// what opening a shell from the TUI costs, without berth's own start-up.
func BenchmarkExec(b *testing.B) {
	e, _ := execTestEngine(b)
	for b.Loop() {
		p, err := e.Exec(b.Context(), "box", ExecOptions{Cmd: []string{"true"}})
		if err != nil {
			b.Fatal(err)
		}
		if code, err := p.Wait(); code != 0 || err != nil {
			b.Fatalf("Wait() = %d, %v", code, err)
		}
		p.Close()
	}
}

// BenchmarkExecTTY is BenchmarkExec with a terminal.
func BenchmarkExecTTY(b *testing.B) {
	e, _ := execTestEngine(b)
	for b.Loop() {
		p, err := e.Exec(b.Context(), "box", ExecOptions{Cmd: []string{"true"}, TTY: true})
		if err != nil {
			b.Fatal(err)
		}
		if code, err := p.Wait(); code != 0 || err != nil {
			b.Fatalf("Wait() = %d, %v", code, err)
		}
		p.Close()
	}
}
