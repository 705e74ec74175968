package test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/engine"
	"github.com/berth-dev/berth/store"
	"github.com/berth-dev/berth/test/imgtest"
)

// tuiSession is berth's TUI running in a detached tmux session, driven
// with send-keys and read with capture-pane.
type tuiSession struct {
	t    *testing.T
	name string
	sock string
}

// tmux runs a tmux command on the test's own server.
func (s *tuiSession) tmux(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", s.sock}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// screen returns the visible pane.
func (s *tuiSession) screen() string { return s.tmux("capture-pane", "-p", "-t", s.name) }

// keys sends tmux key names (or literal text) to the pane.
func (s *tuiSession) keys(keys ...string) {
	s.t.Helper()
	s.tmux(append([]string{"send-keys", "-t", s.name}, keys...)...)
}

// literal types text as is.
func (s *tuiSession) literal(text string) {
	s.t.Helper()
	s.tmux("send-keys", "-t", s.name, "-l", text)
}

// waitFor polls the screen until match reports true or the deadline
// passes, then fails with the last screen.
func (s *tuiSession) waitFor(what string, match func(screen string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var scr string
	for time.Now().Before(deadline) {
		scr = s.screen()
		if match(scr) {
			return scr
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("timed out waiting for %s; screen:\n%s", what, scr)
	return ""
}

func (s *tuiSession) waitText(text string) string {
	s.t.Helper()
	return s.waitFor(fmt.Sprintf("%q", text), func(scr string) bool { return strings.Contains(scr, text) })
}

// rowOf returns the list row that names container name.
func rowOf(screen, name string) string {
	re := regexp.MustCompile(`(?m)^│[ ›●]+` + regexp.QuoteMeta(name) + ` .*$`)
	return re.FindString(screen)
}

// berthCLI runs the berth binary on root and fails the test on error.
func berthCLI(t *testing.T, bin, root string, args ...string) string {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), bin, append([]string{"--root", root}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("berth %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// buildBerth builds the berth binary into dir.
func buildBerth(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "berth")
	cmd := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "github.com/berth-dev/berth")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0") // as make build builds it
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build berth: %v\n%s", err, out)
	}
	return bin
}

// TestTUI drives the real binary in tmux against a real store: navigate,
// filter, start and stop a container, read and search its logs, attach to
// a shell (its recent output replayed), detach with Ctrl-P Ctrl-Q and find
// the TUI where it was, attach again and see the screen as it was, pull an
// image from a registry through the dialog, manage volumes and networks,
// shrink the terminal below 80x24 and back, quit and leave the terminal as
// it was.
func TestTUI(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("running containers needs root")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed")
	}
	dir := t.TempDir()
	bin := buildBerth(t, dir)
	root := filepath.Join(dir, "root")
	rootfs := imgtest.BusyboxRootfs(t)
	berthCLI(t, bin, root, "import", "-c", `CMD ["sh"]`, rootfs, "busybox:latest")
	berthCLI(t, bin, root, "run", "-d", "--name", "web", "busybox", "sh", "-c",
		`i=0; while true; do echo "hello $i"; i=$((i+1)); sleep 0.2; done`)
	// The marker is printed before anyone attaches: only the replay of
	// recent output can show it.
	berthCLI(t, bin, root, "run", "-dit", "--name", "shell", "busybox", "sh", "-c", "echo replay-$((6*7)); exec sh")
	berthCLI(t, bin, root, "create", "--name", "idle", "--stop-signal", "KILL", "busybox", "sleep", "1000")
	t.Cleanup(func() {
		exec.Command(bin, "--root", root, "rm", "-f", "web", "shell", "idle").Run()
		// The containers ran on the default bridge: remove the store's
		// bridge and firewall chains, which outlive the store's directory.
		if st, err := store.Open(root); err == nil {
			engine.New(st, nil).ResetNetworking(context.Background())
		}
	})

	s := &tuiSession{t: t, name: "berth-e2e", sock: filepath.Join(dir, "tmux.sock")}
	xdg := filepath.Join(dir, "config")
	script := fmt.Sprintf("XDG_CONFIG_HOME=%s %s --root %s; echo berth-exited-$?; stty -a; sleep 60", xdg, bin, root)
	s.tmux("new-session", "-d", "-s", s.name, "-x", "120", "-y", "40", script)
	t.Cleanup(func() { exec.Command("tmux", "-S", s.sock, "kill-server").Run() })

	s.waitText("Containers (3)")
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := exec.Command(bin, "--root", root, "ps", "-a").CombinedOutput()
			logb, _ := os.ReadFile(filepath.Join(root, "berth.log"))
			t.Logf("berth ps -a:\n%s\nberth.log:\n%s", out, logb)
		}
	})

	t.Run("navigate and filter", func(t *testing.T) {
		s.keys("2")
		s.waitFor("the images list", func(scr string) bool { return strings.Contains(scr, "busybox") && strings.Contains(scr, "REPOSITORY") })
		s.keys("1")
		s.waitText("Containers 3")
		s.keys("/")
		s.literal("idl")
		scr := s.waitText("Containers 1 of 3")
		if rowOf(scr, "web") != "" || rowOf(scr, "idle") == "" {
			t.Fatalf("filter idl shows:\n%s", scr)
		}
		s.keys("Enter")
	})

	t.Run("start and stop", func(t *testing.T) {
		s.keys("s")
		s.waitFor("idle running", func(scr string) bool { return strings.Contains(rowOf(scr, "idle"), "running") })
		s.keys("x")
		s.waitFor("idle exited", func(scr string) bool { return strings.Contains(rowOf(scr, "idle"), "exited") })
		s.keys("Escape")
		s.waitText("Containers 3")
	})

	t.Run("logs and search", func(t *testing.T) {
		s.keys("/")
		s.literal("web")
		s.keys("Enter")
		s.waitText("Logs · web")
		s.waitText("hello 3")
		s.keys("Enter")
		s.keys("/")
		s.literal("hello 2")
		s.keys("Enter")
		scr := s.waitText("/hello 2  (n next")
		if !strings.Contains(scr, "│hello 2 ") {
			t.Fatalf("search did not show the match:\n%s", scr)
		}
		s.keys("Escape")
		time.Sleep(100 * time.Millisecond) // a lone Escape, not Alt+key
		s.keys("Escape")
		s.waitText("Containers 3")
	})

	t.Run("attach and detach", func(t *testing.T) {
		s.keys("/")
		s.literal("shell")
		s.keys("Enter")
		s.waitText("Containers 1 of 3")
		s.keys("a")
		s.waitText("detach with Ctrl-P Ctrl-Q")
		s.waitText("replay-42")
		s.literal("echo e2e-$((6*7))")
		s.keys("Enter")
		s.waitText("e2e-42")
		s.keys("C-p", "C-q")
		scr := s.waitText("detached from shell")
		if !strings.Contains(rowOf(scr, "shell"), "running") {
			t.Fatalf("after detach the shell container is not running:\n%s", scr)
		}
		// Back where it was: the same filter, the same row selected, the
		// same pane.
		if !strings.Contains(scr, "Containers 1 of 3") || !strings.Contains(rowOf(scr, "shell"), "› shell") || !strings.Contains(scr, "Logs · shell") {
			t.Fatalf("after detach the TUI is not where it was:\n%s", scr)
		}
		// Attaching again shows the screen as it was: the earlier command
		// and its output come back from the replay (the handover clears
		// the screen first, so they cannot be left over).
		s.keys("a")
		s.waitFor("the earlier session replayed", func(scr string) bool {
			return strings.Contains(scr, "detach with Ctrl-P Ctrl-Q") && strings.Contains(scr, "echo e2e-$((6*7))") && strings.Contains(scr, "e2e-42")
		})
		s.keys("C-p", "C-q")
		s.waitText("detached from shell")
		if ps := berthCLI(t, bin, root, "ps", "--filter", "name=shell", "--format", "{{.Status}}"); !strings.HasPrefix(ps, "Up") {
			t.Fatalf("berth ps says shell is %q, want Up", ps)
		}
		// The TUI has its keyboard back: the cursor still moves.
		s.keys("Escape")
		s.waitText("Containers 3")
	})

	t.Run("shell", func(t *testing.T) {
		s.keys("/")
		s.literal("shell")
		s.keys("Enter")
		s.waitText("Containers 1 of 3")
		s.keys("e")
		s.waitText("exit or Ctrl-P Ctrl-Q returns to berth")
		s.literal("echo exec-$((2*21))")
		s.keys("Enter")
		s.waitText("exec-42")
		s.literal("exit")
		s.keys("Enter")
		scr := s.waitText("the shell in shell ended")
		if !strings.Contains(rowOf(scr, "shell"), "running") {
			t.Fatalf("after the shell ended the container is not running:\n%s", scr)
		}
		s.keys("Escape")
		s.waitText("Containers 3")
	})

	t.Run("pull through the dialog", func(t *testing.T) {
		host := imgtest.Registry(t)
		imgtest.Push(t, host, "e2e/bb:1", imgtest.BusyboxImage(t))
		ref := host + "/e2e/bb:1"
		s.keys("P")
		s.waitText("Pull an image")
		s.literal(ref)
		s.keys("Enter")
		s.waitText("✓ pulled " + ref)
		s.waitFor("the pulled image listed", func(scr string) bool {
			return strings.Contains(scr, host+"/e2e/bb") && strings.Contains(scr, "Images 2")
		})
		if out := berthCLI(t, bin, root, "images", "--format", "{{.Repository}}:{{.Tag}}"); !strings.Contains(out, ref) {
			t.Fatalf("berth images = %q, want %s", out, ref)
		}
		s.keys("1")
		s.waitText("Containers 3")
	})

	t.Run("volumes", func(t *testing.T) {
		berthCLI(t, bin, root, "volume", "create", "e2evol")
		t.Cleanup(func() { exec.Command(bin, "--root", root, "volume", "rm", "e2evol").Run() })
		s.keys("3")
		s.waitFor("e2evol listed and inspected", func(scr string) bool {
			return rowOf(scr, "e2evol") != "" && strings.Contains(scr, `"Name": "e2evol"`)
		})
		s.keys("d")
		s.waitText("Remove 1 volume? Their data is deleted.")
		s.keys("y")
		s.waitText("✓ removed e2evol")
		if out := berthCLI(t, bin, root, "volume", "ls", "-q"); strings.Contains(out, "e2evol") {
			t.Fatalf("berth volume ls still lists e2evol: %q", out)
		}
	})

	t.Run("networks", func(t *testing.T) {
		t.Cleanup(func() { exec.Command(bin, "--root", root, "network", "rm", "e2enet").Run() })
		s.keys("4")
		s.waitFor("the networks list", func(scr string) bool { return rowOf(scr, "bridge") != "" && strings.Contains(scr, "NETWORK ID") })
		s.keys("c")
		s.waitText("Create a network")
		s.literal("e2enet")
		s.keys("Enter")
		s.waitText("✓ created network e2enet")
		// The inspect pane follows the selection a moment later.
		s.waitFor("the new network listed and selected", func(scr string) bool {
			return strings.Contains(rowOf(scr, "e2enet"), "bridge") && strings.Contains(scr, "Inspect · e2enet")
		})
		if out := berthCLI(t, bin, root, "network", "ls", "--format", "{{.Name}}"); !strings.Contains(out, "e2enet") {
			t.Fatalf("berth network ls = %q, want e2enet", out)
		}
		s.keys("d")
		s.waitText("Remove 1 network?")
		s.keys("y")
		s.waitText("✓ removed e2enet")
		s.waitFor("e2enet gone from the list", func(scr string) bool { return rowOf(scr, "e2enet") == "" })
		s.keys("1")
		s.waitText("Containers 3")
	})

	t.Run("too small and back", func(t *testing.T) {
		s.tmux("resize-window", "-t", s.name, "-x", "70", "-y", "20")
		scr := s.waitText("berth needs a terminal of at least 80x24")
		if !strings.Contains(scr, "(this one is 70x20)") || strings.Contains(scr, "Containers 3") {
			t.Fatalf("at 70x20:\n%s", scr)
		}
		s.tmux("resize-window", "-t", s.name, "-x", "120", "-y", "40")
		scr = s.waitText("Containers 3")
		if strings.Contains(scr, "at least 80x24") || rowOf(scr, "web") == "" {
			t.Fatalf("back at 120x40 the layout is not restored:\n%s", scr)
		}
	})

	t.Run("quit leaves a sane terminal", func(t *testing.T) {
		s.keys("q")
		scr := s.waitText("berth-exited-0")
		if strings.Contains(scr, "-icanon") || strings.Contains(scr, "-echo ") {
			t.Fatalf("terminal left in raw mode:\n%s", scr)
		}
		if strings.Contains(scr, "Containers 3") {
			t.Fatalf("the TUI is still drawn after quitting:\n%s", scr)
		}
	})
}
