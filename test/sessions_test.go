package test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/berth-dev/berth/test/imgtest"
)

// sessionTimeout bounds every wait for output of a session.
const sessionTimeout = 10 * time.Second

// terminal is the berth binary running on a real PTY, driven like a user
// at a terminal: keys are written to the master, the screen is read from
// it.
type terminal struct {
	t   *testing.T
	cmd *exec.Cmd
	ptm *os.File

	mu     sync.Mutex
	out    bytes.Buffer // everything the program wrote
	seen   int          // how much of out expect has consumed
	notify chan struct{}
	closed chan struct{} // the reader saw the end of output
	exited chan struct{}
	code   int
}

// startTerminal runs berth args on a new PTY of the given size.
func startTerminal(t *testing.T, bin, root string, rows, cols uint16, args ...string) *terminal {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--root", root}, args...)...)
	cmd.Env = append(os.Environ(), "TERM=xterm")
	ptm, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: rows, Cols: cols})
	if err != nil {
		t.Fatalf("start %v on a pty: %v", args, err)
	}
	s := &terminal{t: t, cmd: cmd, ptm: ptm, notify: make(chan struct{}, 1), closed: make(chan struct{}), exited: make(chan struct{})}
	go func() {
		defer close(s.closed)
		buf := make([]byte, 4096)
		for {
			n, err := ptm.Read(buf)
			if n > 0 {
				s.mu.Lock()
				s.out.Write(buf[:n])
				s.mu.Unlock()
				select {
				case s.notify <- struct{}{}:
				default:
				}
			}
			if err != nil {
				return
			}
		}
	}()
	go func() {
		err := cmd.Wait()
		s.code = cmd.ProcessState.ExitCode()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			s.code = -1
		}
		close(s.exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-s.exited
		ptm.Close()
		<-s.closed
	})
	return s
}

// send types text.
func (s *terminal) send(text string) {
	s.t.Helper()
	if _, err := s.ptm.Write([]byte(text)); err != nil {
		s.t.Fatalf("type %q: %v", text, err)
	}
}

// expect waits until the output not yet consumed matches re, consumes it
// up to the end of the match and returns the submatches.
func (s *terminal) expect(re string) []string {
	s.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.NewTimer(sessionTimeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		rest := s.out.Bytes()[s.seen:]
		if loc := rx.FindSubmatchIndex(rest); loc != nil {
			var subs []string
			for i := 0; i+1 < len(loc); i += 2 {
				if loc[i] >= 0 {
					subs = append(subs, string(rest[loc[i]:loc[i+1]]))
				} else {
					subs = append(subs, "")
				}
			}
			s.seen += loc[1]
			s.mu.Unlock()
			return subs
		}
		s.mu.Unlock()
		select {
		case <-s.notify:
		case <-s.closed:
			// One last look: the output may have ended with the match.
			s.mu.Lock()
			rest := s.out.Bytes()[s.seen:]
			s.mu.Unlock()
			if rx.Match(rest) {
				continue
			}
			s.t.Fatalf("output ended without %q; unconsumed output:\n%q", re, rest)
		case <-deadline.C:
			s.mu.Lock()
			rest := s.out.Bytes()[s.seen:]
			s.mu.Unlock()
			s.t.Fatalf("no %q within %v; unconsumed output:\n%q", re, sessionTimeout, rest)
		}
	}
}

// resize changes the terminal's size, as a terminal emulator does: the
// kernel sends SIGWINCH to the foreground process (berth).
func (s *terminal) resize(rows, cols uint16) {
	s.t.Helper()
	if err := pty.Setsize(s.ptm, &pty.Winsize{Rows: rows, Cols: cols}); err != nil {
		s.t.Fatalf("resize: %v", err)
	}
}

// wait waits for berth to exit and returns its exit code.
func (s *terminal) wait() int {
	s.t.Helper()
	select {
	case <-s.exited:
		return s.code
	case <-time.After(sessionTimeout):
		s.mu.Lock()
		out := s.out.String()
		s.mu.Unlock()
		s.t.Fatalf("berth did not exit within %v; output:\n%q", sessionTimeout, out)
		return -1
	}
}

// sessionStore is a store with the busybox image imported and the built
// binary. Its methods fail the test they are given.
type sessionStore struct {
	bin, root string
}

// newSessionStore builds berth and imports busybox into a new store.
func newSessionStore(t *testing.T) *sessionStore {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("running containers needs root")
	}
	dir := t.TempDir()
	s := &sessionStore{bin: buildBerth(t, dir), root: filepath.Join(dir, "root")}
	rootfs := imgtest.BusyboxRootfs(t)
	// The rootfs has its directories without permission bits; a real
	// image has them 0755, which a non-root user needs.
	filepath.WalkDir(rootfs, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
	s.berth(t, "import", "-c", `CMD ["sh"]`, rootfs, "busybox:latest")
	return s
}

// berth runs the CLI and fails the test unless it succeeds.
func (s *sessionStore) berth(t *testing.T, args ...string) string {
	t.Helper()
	return berthCLI(t, s.bin, s.root, args...)
}

// run runs the CLI with stdin and returns stdout, stderr and the exit
// code.
func (s *sessionStore) run(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), sessionTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.bin, append([]string{"--root", s.root}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("berth %v: %v", args, err)
	}
	return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()
}

// container runs a detached container and removes it when the test ends.
func (s *sessionStore) container(t *testing.T, name string, args ...string) string {
	t.Helper()
	id := s.berth(t, append([]string{"run", "-d", "--network", "none", "--name", name}, args...)...)
	t.Cleanup(func() { exec.Command(s.bin, "--root", s.root, "rm", "-f", name).Run() })
	return id
}

// topPID returns the host PID of the process of container name whose
// command line contains cmdline, as berth top lists it, or 0.
func (s *sessionStore) topPID(t *testing.T, name, cmdline string) int {
	t.Helper()
	for _, line := range strings.Split(s.berth(t, "top", name), "\n")[1:] {
		if f := strings.Fields(line); len(f) > 1 && strings.Contains(line, cmdline) {
			pid, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatalf("berth top: bad PID in %q", line)
			}
			return pid
		}
	}
	return 0
}

// waitTop waits until berth top lists a process with cmdline (want) or
// none (!want), and returns its host PID.
func (s *sessionStore) waitTop(t *testing.T, name, cmdline string, want bool) int {
	t.Helper()
	deadline := time.Now().Add(sessionTimeout)
	for {
		pid := s.topPID(t, name, cmdline)
		if (pid != 0) == want {
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("berth top %s: listing of %q is not %v after %v:\n%s", name, cmdline, want, sessionTimeout, s.berth(t, "top", name))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestExec drives berth exec like a user: shells on a real terminal,
// pipes, exit codes, and the errors for containers it cannot enter.
func TestExec(t *testing.T) {
	s := newSessionStore(t)
	s.container(t, "box", "--hostname", "boxhost", "-e", "FROM_IMAGE=1", "busybox", "sleep", "1000")

	t.Run("shell shares hostname and PID namespace", func(t *testing.T) {
		term := startTerminal(t, s.bin, s.root, 24, 80, "exec", "-it", "box", "sh")
		term.expect(`# `)
		term.send("echo host=$(hostname); ps -o pid,args\r")
		term.expect(`host=boxhost\r\n`)
		term.expect(`\n\s*1 sleep 1000\r\n`)
		term.send("exit\r")
		if code := term.wait(); code != 0 {
			t.Fatalf("exec -it sh; exit: code %d, want 0", code)
		}
	})

	t.Run("tty is a pts of the container", func(t *testing.T) {
		term := startTerminal(t, s.bin, s.root, 24, 80, "exec", "-it", "box", "sh", "-c", "tty; ls /dev/pts")
		m := term.expect(`(/dev/pts/(\d+))\r\n`)
		term.expect(`\b` + m[2] + `\b`)
		if code := term.wait(); code != 0 {
			t.Fatalf("exec -it tty: code %d, want 0", code)
		}
	})

	t.Run("stty size follows resize", func(t *testing.T) {
		term := startTerminal(t, s.bin, s.root, 30, 100, "exec", "-it", "box", "sh")
		term.expect(`# `)
		term.send("stty size\r")
		term.expect(`\n30 100\r\n`)
		term.resize(40, 120)
		// The resize races with the next command: ask until it shows.
		deadline := time.Now().Add(sessionTimeout)
		for {
			term.send("stty size\r")
			m := term.expect(`\n(\d+ \d+)\r\n`)
			if m[1] == "40 120" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("stty size = %q after resize, want 40 120", m[1])
			}
		}
		term.send("exit\r")
		term.wait()
	})

	t.Run("Ctrl-C reaches the foreground process", func(t *testing.T) {
		term := startTerminal(t, s.bin, s.root, 24, 80, "exec", "-it", "box", "sh")
		term.expect(`# `)
		term.send("sleep 999\r")
		s.waitTop(t, "box", "sleep 999", true)
		term.send("\x03")
		term.expect(`\^C\r\n/ # `)
		term.send("echo status=$?\r")
		term.expect(`status=130\r\n`)
		term.send("exit 7\r")
		if code := term.wait(); code != 7 {
			t.Fatalf("exec -it sh; exit 7: code %d, want 7", code)
		}
	})

	t.Run("environment, user and workdir", func(t *testing.T) {
		out, _, code := s.run(t, "", "exec", "-e", "EXTRA=2", "-w", "/tmp", "-u", "nobody", "box", "sh", "-c", `echo $FROM_IMAGE $EXTRA $HOSTNAME $(pwd) $(id -u)`)
		if code != 0 || out != "1 2 boxhost /tmp 65534\n" {
			t.Fatalf("exec env/workdir/user: %q (code %d), want %q", out, code, "1 2 boxhost /tmp 65534\n")
		}
	})

	t.Run("pipes", func(t *testing.T) {
		out, _, code := s.run(t, "hi\nthere\n", "exec", "-i", "box", "cat")
		if code != 0 || out != "hi\nthere\n" {
			t.Fatalf("echo | exec -i cat = %q (code %d), want the input", out, code)
		}
		out, errOut, code := s.run(t, "", "exec", "box", "sh", "-c", "echo out; echo err >&2")
		if code != 0 || out != "out\n" || errOut != "err\n" {
			t.Fatalf("exec stdout/stderr = %q, %q (code %d), want separate streams", out, errOut, code)
		}
		f := filepath.Join(t.TempDir(), "hostname")
		cmd := exec.Command("sh", "-c", s.bin+" --root "+s.root+" exec box cat /etc/hostname > "+f)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("exec > file: %v\n%s", err, b)
		}
		if b, _ := os.ReadFile(f); string(b) != "boxhost\n" {
			t.Fatalf("exec cat /etc/hostname > f wrote %q", b)
		}
		// All of a large output arrives, with and without a terminal.
		out, _, code = s.run(t, "", "exec", "box", "seq", "1", "200000")
		if code != 0 || !strings.HasSuffix(out, "\n199999\n200000\n") || strings.Count(out, "\n") != 200000 {
			t.Fatalf("exec seq 1 200000: %d lines, code %d", strings.Count(out, "\n"), code)
		}
		term := startTerminal(t, s.bin, s.root, 24, 80, "exec", "-t", "box", "seq", "1", "50000")
		// The container's terminal ends lines with \r\n; the test's
		// terminal, not made raw without -i, adds its own \r.
		term.expect(`\n49999\r+\n50000\r+\n`)
		if code := term.wait(); code != 0 {
			t.Fatalf("exec -t seq: code %d", code)
		}
		// Without -i the process's stdin is empty, not berth's.
		out, _, _ = s.run(t, "ignored\n", "exec", "box", "cat")
		if out != "" {
			t.Fatalf("exec cat without -i read %q", out)
		}
	})

	t.Run("exit codes", func(t *testing.T) {
		for _, tc := range []struct {
			name    string
			args    []string
			code    int
			message string
		}{
			{"success", []string{"true"}, 0, ""},
			{"status", []string{"sh", "-c", "exit 3"}, 3, ""},
			{"not executable", []string{"/etc/hostname"}, 126, `exec: "/etc/hostname": permission denied`},
			{"directory", []string{"/etc"}, 126, `exec: "/etc": is a directory`},
			{"not found", []string{"nosuch"}, 127, `OCI runtime exec failed: exec failed: unable to start container process: exec: "nosuch": executable file not found in $PATH`},
			{"killed", []string{"sh", "-c", "kill -9 $$"}, 137, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, errOut, code := s.run(t, "", append([]string{"exec", "box"}, tc.args...)...)
				if code != tc.code {
					t.Fatalf("exec %v: code %d, want %d; stderr %q", tc.args, code, tc.code, errOut)
				}
				if tc.message != "" && (!strings.Contains(errOut, tc.message) || strings.Count(errOut, "\n") != 1) {
					t.Fatalf("exec %v: stderr %q, want one line with %q", tc.args, errOut, tc.message)
				}
			})
		}
	})

	t.Run("detached with a terminal", func(t *testing.T) {
		s.berth(t, "exec", "-dt", "box", "sh", "-c", "tty > /tmp/dt-tty; exec sleep 4343")
		pid := s.waitTop(t, "box", "sleep 4343", true)
		if out := s.berth(t, "exec", "box", "cat", "/tmp/dt-tty"); !regexp.MustCompile(`^/dev/pts/\d+$`).MatchString(out) {
			t.Fatalf("exec -dt: the process's tty is %q, want /dev/pts/N", out)
		}
		syscall.Kill(pid, syscall.SIGKILL)
		s.waitTop(t, "box", "sleep 4343", false)
	})

	t.Run("listed by top", func(t *testing.T) {
		s.berth(t, "exec", "-d", "box", "sleep", "4242")
		pid := s.waitTop(t, "box", "sleep 4242", true)
		if ps := s.berth(t, "exec", "box", "ps", "-o", "pid,args"); !regexp.MustCompile(`\n\s*\d+ sleep 4242\n`).MatchString(ps) {
			t.Fatalf("ps in the container does not show the exec'd sleep 4242:\n%s", ps)
		}
		syscall.Kill(pid, syscall.SIGKILL)
		s.waitTop(t, "box", "sleep 4242", false)
	})

	t.Run("detach keys", func(t *testing.T) {
		for i, tc := range []struct {
			name  string
			flags []string
			keys  string
		}{
			{"default in one write", nil, "\x10\x11"},
			{"prefix typed twice", nil, "\x10\x10\x11"},
			{"custom", []string{"--detach-keys", "ctrl-x,x"}, "\x18x"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				sleep := "sleep " + strconv.Itoa(2000+i)
				args := append(append([]string{"exec", "-it"}, tc.flags...), "box", "sh", "-c", "echo ready; exec "+sleep)
				term := startTerminal(t, s.bin, s.root, 24, 80, args...)
				term.expect(`ready\r\n`)
				term.send(tc.keys)
				if code := term.wait(); code != 0 {
					t.Fatalf("detach: berth exited %d, want 0", code)
				}
				// The process keeps running after its client left.
				pid := s.waitTop(t, "box", sleep, true)
				syscall.Kill(pid, syscall.SIGKILL)
				s.waitTop(t, "box", sleep, false)
			})
		}
	})

	t.Run("detach keys from the config file", func(t *testing.T) {
		xdg := t.TempDir()
		os.MkdirAll(filepath.Join(xdg, "berth"), 0o755)
		if err := os.WriteFile(filepath.Join(xdg, "berth", "config.toml"), []byte(`detach_keys = "ctrl-a,b"`+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Setenv("XDG_CONFIG_HOME", xdg)
		term := startTerminal(t, s.bin, s.root, 24, 80, "exec", "-it", "box", "sh", "-c", "echo ready; exec cat")
		term.expect(`ready\r\n`)
		term.send("\x10\x11still\r") // the default keys are plain keys now
		term.expect(`still\r\n`)
		term.send("\x01b")
		if code := term.wait(); code != 0 {
			t.Fatalf("detach with the configured keys: code %d", code)
		}
		pid := s.waitTop(t, "box", "cat", true)
		syscall.Kill(pid, syscall.SIGKILL)
	})

	t.Run("detach keys disabled", func(t *testing.T) {
		term := startTerminal(t, s.bin, s.root, 24, 80, "exec", "-it", "--detach-keys", "", "box", "sh", "-c", "echo ready; exec cat")
		term.expect(`ready\r\n`) // berth has made its terminal raw
		// ^Q is the terminal's flow control key inside; ^P is echoed.
		term.send("\x10\x11x\r")
		term.expect(`\^Px\r\n`)
		term.send("\x04")
		if code := term.wait(); code != 0 {
			t.Fatalf("exec -it cat with detach keys disabled: code %d", code)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		s.container(t, "paused", "busybox", "sleep", "1000")
		s.berth(t, "pause", "paused")
		t.Cleanup(func() { exec.Command(s.bin, "--root", s.root, "unpause", "paused").Run() })
		stoppedID := s.berth(t, "create", "--network", "none", "--name", "stopped", "busybox", "true")
		t.Cleanup(func() { exec.Command(s.bin, "--root", s.root, "rm", "-f", "stopped").Run() })
		pausedID := s.berth(t, "inspect", "--format", "{{.Id}}", "paused")
		for _, tc := range []struct {
			name  string
			stdin string
			args  []string
			code  int
			want  string
		}{
			{"paused", "", []string{"exec", "paused", "true"}, 1, "container " + pausedID + " is paused, unpause the container before exec"},
			{"stopped", "", []string{"exec", "stopped", "true"}, 1, "container " + stoppedID + " is not running"},
			{"missing", "", []string{"exec", "nosuch", "true"}, 1, "no such container: nosuch"},
			{"not a tty", "echo hi\n", []string{"exec", "-it", "box", "sh"}, 1, "the input device is not a TTY"},
			{"bad detach keys", "", []string{"exec", "-it", "--detach-keys", "ctrl-", "box", "sh"}, 125, `invalid detach keys "ctrl-"`},
			{"no command", "", []string{"exec", "box"}, 1, "requires at least 2 arg"},
			{"relative workdir", "", []string{"exec", "-w", "tmp", "box", "true"}, 125, `the working directory "tmp" is invalid, it needs to be an absolute path`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, errOut, code := s.run(t, tc.stdin, tc.args...)
				if code != tc.code || !strings.Contains(errOut, tc.want) || strings.Count(errOut, "\n") > 2 {
					t.Fatalf("berth %v: code %d, stderr %q; want code %d and %q", tc.args, code, errOut, tc.code, tc.want)
				}
			})
		}
	})
}

// status returns the container's state as inspect reports it.
func (s *sessionStore) status(t *testing.T, name string) string {
	t.Helper()
	return s.berth(t, "inspect", "--format", "{{.State.Status}}", name)
}

// TestRunInteractive drives `berth run -it` and `berth attach` on real
// PTYs: typing, every case of the detach-key matcher, replay on reattach,
// a killed client, and the errors of bad input.
func TestRunInteractive(t *testing.T) {
	s := newSessionStore(t)

	// shell starts `run -it` of a shell in container name and waits for
	// its prompt.
	shell := func(t *testing.T, name string, flags ...string) *terminal {
		t.Helper()
		args := append(append([]string{"run", "-it", "--network", "none", "--name", name}, flags...), "busybox", "sh")
		term := startTerminal(t, s.bin, s.root, 24, 80, args...)
		t.Cleanup(func() { exec.Command(s.bin, "--root", s.root, "rm", "-f", name).Run() })
		term.expect(`# `)
		return term
	}

	t.Run("type into run -it", func(t *testing.T) {
		term := shell(t, "typing")
		term.send("echo typed-$((6*7)); tty\r")
		term.expect(`typed-42\r\n/dev/pts/\d+\r\n`)
		term.send("exit 3\r")
		if code := term.wait(); code != 3 {
			t.Fatalf("run -it sh; exit 3: code %d, want 3", code)
		}
	})

	t.Run("piped input", func(t *testing.T) {
		// The input is there at once and ends at once: its end must
		// reach the container however early it comes.
		for i := range 20 {
			out, errOut, code := s.run(t, "hi\n", "run", "--rm", "-i", "--network", "none", "busybox", "cat")
			if code != 0 || out != "hi\n" {
				t.Fatalf("run %d of echo hi | run -i cat: %q %q (code %d), want hi", i, out, errOut, code)
			}
		}
		out, errOut, code := s.run(t, "in\n", "run", "--rm", "-i", "-a", "stdin", "-a", "stderr", "--network", "none", "busybox", "sh", "-c", "cat; echo err >&2")
		if code != 0 || out != "" || errOut != "err\n" {
			t.Fatalf("run -i -a stdin -a stderr: %q %q (code %d), want only stderr", out, errOut, code)
		}
	})

	t.Run("stty size follows resize", func(t *testing.T) {
		term := shell(t, "sizes")
		term.send("stty size\r")
		term.expect(`\n24 80\r\n`)
		term.resize(33, 99)
		deadline := time.Now().Add(sessionTimeout)
		for {
			term.send("stty size\r")
			if m := term.expect(`\n(\d+ \d+)\r\n`); m[1] == "33 99" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("stty size did not follow the resize")
			}
		}
	})

	for _, tc := range []struct {
		name  string
		flags []string
		keys  []string // written one by one
	}{
		{"sequence in one write", nil, []string{"\x10\x11"}},
		{"sequence in two writes", nil, []string{"\x10", "\x11"}},
		{"prefix typed twice", nil, []string{"\x10", "\x10", "\x11"}},
		{"custom keys", []string{"--detach-keys", "ctrl-a,d"}, []string{"\x01d"}},
	} {
		t.Run("detach: "+tc.name, func(t *testing.T) {
			name := "detach-" + strings.ReplaceAll(tc.name, " ", "-")
			term := shell(t, name, tc.flags...)
			term.send("echo before-detach\r")
			term.expect(`before-detach\r\n`)
			for _, k := range tc.keys {
				term.send(k)
			}
			if code := term.wait(); code != 0 {
				t.Fatalf("detach: berth exited %d, want 0", code)
			}
			if st := s.status(t, name); st != "running" {
				t.Fatalf("after detach the container is %s, want running", st)
			}
			// Reattach: the replay shows the screen, and the keys
			// were never typed into the shell.
			again := startTerminal(t, s.bin, s.root, 24, 80, "attach", name)
			again.expect(`before-detach`)
			again.send("echo $((40+2))-after\r")
			again.expect(`42-after\r\n`)
			again.send("exit\r")
			if code := again.wait(); code != 0 {
				t.Fatalf("attach; exit: code %d", code)
			}
		})
	}

	t.Run("prefix then another key passes both through", func(t *testing.T) {
		term := shell(t, "prefix-other")
		// ^P then x: no detach; the shell's line editor gets both.
		term.send("\x10x")
		term.send("\x15echo still-here\r") // ^U clears the line
		term.expect(`still-here\r\n`)
		if st := s.status(t, "prefix-other"); st != "running" {
			t.Fatalf("container is %s", st)
		}
		term.send("exit\r")
		term.wait()
	})

	t.Run("lone prefix is passed through after a timeout", func(t *testing.T) {
		// The container prints every byte it receives, as it arrives.
		term := startTerminal(t, s.bin, s.root, 24, 80, "run", "-it", "--network", "none", "--name", "lone", "busybox", "sh", "-c",
			"stty raw -echo; echo ready; while true; do dd bs=1 count=1 2>/dev/null | od -An -c; done")
		t.Cleanup(func() { exec.Command(s.bin, "--root", s.root, "rm", "-f", "lone").Run() })
		term.expect(`ready`)
		start := time.Now()
		term.send("\x10")
		// No key follows: the matcher lets the ^P go after its timeout.
		term.expect(`020`)
		if d := time.Since(start); d < 250*time.Millisecond {
			t.Fatalf("a lone ^P reached the container after %v, before the detach timeout", d)
		}
		term.send("\x10\x11")
		if code := term.wait(); code != 0 {
			t.Fatalf("detach: code %d", code)
		}
	})

	t.Run("killed client leaves the container running", func(t *testing.T) {
		term := shell(t, "orphan")
		term.send("echo orphan-$((1+1))\r")
		term.expect(`orphan-2\r\n`)
		term.cmd.Process.Kill()
		term.wait()
		if st := s.status(t, "orphan"); st != "running" {
			t.Fatalf("after kill -9 of the client the container is %s, want running", st)
		}
		again := startTerminal(t, s.bin, s.root, 24, 80, "attach", "orphan")
		again.expect(`orphan-2`)
		again.send("echo back-$((2+2))\r")
		again.expect(`back-4\r\n`)
		again.send("\x10\x11")
		if code := again.wait(); code != 0 {
			t.Fatalf("attach then detach: code %d", code)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		s.berth(t, "create", "--network", "none", "--name", "stopped-it", "-it", "busybox", "sh")
		t.Cleanup(func() { exec.Command(s.bin, "--root", s.root, "rm", "-f", "stopped-it").Run() })
		for _, tc := range []struct {
			name string
			args []string
			want string
			tty  bool
		}{
			{"stdin not a tty", []string{"run", "-it", "--rm", "--network", "none", "busybox", "sh"}, "the input device is not a TTY", false},
			{"bad detach keys", []string{"run", "-it", "--rm", "--network", "none", "--detach-keys", "ctrl-", "busybox", "sh"}, `invalid detach keys "ctrl-"`, true},
			{"attach to stopped", []string{"attach", "stopped-it"}, "you cannot attach to a stopped container, start it first", true},
			{"attach to missing", []string{"attach", "nosuch"}, "no such container: nosuch", true},
			{"attach with bad detach keys", []string{"attach", "--detach-keys", "ctrl-1", "stopped-it"}, `invalid detach keys "ctrl-1"`, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var out string
				var code int
				if tc.tty {
					term := startTerminal(t, s.bin, s.root, 24, 80, tc.args...)
					code = term.wait()
					term.expect(regexp.QuoteMeta(tc.want))
					out = tc.want
				} else {
					_, out, code = s.run(t, "echo hi\n", tc.args...)
				}
				if code == 0 || !strings.Contains(out, tc.want) {
					t.Fatalf("berth %v: code %d, stderr %q; want an error %q", tc.args, code, out, tc.want)
				}
			})
		}
		if ps := s.berth(t, "ps", "-a", "--format", "{{.Names}} {{.Command}} {{.Status}}"); len(strings.Split(ps, "\n")) != 1 {
			t.Fatalf("bad input left containers behind:\n%s", ps)
		}
	})
}
