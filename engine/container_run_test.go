package engine

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/engine/cgroups"
)

// monitorsOf returns the PIDs of the monitors running for store root.
func monitorsOf(t *testing.T, root string) []string {
	t.Helper()
	var pids []string
	ents, _ := os.ReadDir("/proc")
	for _, ent := range ents {
		b, err := os.ReadFile(filepath.Join("/proc", ent.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := bytes.Split(b, []byte{0})
		if len(args) > 1 && string(args[0]) == "berth-monitor" && string(args[1]) == root {
			pids = append(pids, ent.Name())
		}
	}
	return pids
}

func TestRun(t *testing.T) {
	e := netTestEngine(t)
	t.Run("exit code", func(t *testing.T) {
		id, conn, err := e.Run(t.Context(), CreateOptions{Image: "busybox", Cmd: []string{"sh", "-c", "exit 3"}, NetworkMode: "none"}, false)
		if err != nil || conn != nil {
			t.Fatalf("Run = %v, %v, want a started container and no connection", conn, err)
		}
		if code, err := e.Wait(t.Context(), id); err != nil || code != 3 {
			t.Errorf("Wait = %d, %v, want 3", code, err)
		}
	})
	t.Run("--rm: the runtime directory goes with the container", func(t *testing.T) {
		id, _, err := e.Run(t.Context(), CreateOptions{Image: "busybox", Cmd: []string{"true"}, NetworkMode: "none", AutoRemove: true}, false)
		if err != nil {
			t.Fatal(err)
		}
		run := e.st.Container(id).Run
		deadline := time.Now().Add(5 * time.Second)
		for {
			_, err := os.Stat(run)
			if errors.Is(err, os.ErrNotExist) {
				break
			}
			if time.Now().After(deadline) {
				ents, _ := os.ReadDir(run)
				t.Fatalf("runtime directory of a removed --rm container still holds %v", ents)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	t.Run("create fails: no container, the monitor exits", func(t *testing.T) {
		_, _, err := e.Run(t.Context(), CreateOptions{Image: "nosuch", NetworkMode: "none"}, true)
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("Run(nosuch) = %v, want ErrNotFound", err)
		}
		if ids, _ := e.st.ContainerIDs(); len(ids) != 1 {
			t.Errorf("containers after a failed Run = %d, want only the first test's", len(ids))
		}
		deadline := time.Now().Add(5 * time.Second)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for len(monitorsOf(t, e.st.Root())) > 0 {
			if time.Now().After(deadline) {
				t.Fatalf("monitors of the store still running: %v", monitorsOf(t, e.st.Root()))
			}
			<-tick.C
		}
	})
	t.Run("log cannot be opened: the start fails and the process is gone", func(t *testing.T) {
		id, err := e.Create(t.Context(), CreateOptions{Image: "busybox", Cmd: []string{"sleep", "4242"}, NetworkMode: "none"})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(e.st.Container(id).Log, 0o700); err != nil {
			t.Fatal(err)
		}
		err = e.Start(t.Context(), id)
		var se *StartError
		if !errors.As(err, &se) || se.Code != 125 || !strings.Contains(se.Msg, "open log") {
			t.Fatalf("Start with a directory in the log's place = %v, want a *StartError 125 about the log", err)
		}
		if st, err := e.readState(id); err != nil || st.Status != StateCreated || st.Pid != 0 {
			t.Errorf("state = %+v, %v, want created without a process", st, err)
		}
		out, _ := exec.Command("pgrep", "-f", "^sleep 4242$").Output()
		if len(out) > 0 {
			t.Errorf("the container's process outlived its failed start: %s", out)
		}
	})
	t.Run("the monitor dies before it reports: --rm leaves nothing", func(t *testing.T) {
		// A monitor that is /bin/true exits at once and reports nothing.
		bin := filepath.Join(t.TempDir(), "berth")
		b, err := os.ReadFile("/bin/true")
		if err != nil {
			t.Skip("needs /bin/true to stand in for a monitor that dies")
		}
		if err := os.WriteFile(bin, b, 0o755); err != nil {
			t.Fatal(err)
		}
		dead := New(e.st, nil, WithBinary(bin))
		before, _ := e.st.ContainerIDs()
		for _, rm := range []bool{false, true} {
			id, _, err := dead.Run(t.Context(), CreateOptions{Image: "busybox", Cmd: []string{"true"}, NetworkMode: "none", AutoRemove: rm}, false)
			var se *StartError
			if !errors.As(err, &se) || se.Code != 125 || se.ID != id || id == "" {
				t.Fatalf("Run (--rm %v) with a monitor that dies = %q, %v, want a *StartError 125 with the ID", rm, id, err)
			}
			st, err := e.readState(id)
			switch {
			case rm && !errors.Is(err, ErrNotFound):
				t.Errorf("--rm container after its monitor died: state %+v, %v, want it removed", st, err)
			case !rm && (err != nil || st.Status != StateCreated):
				t.Errorf("container after its monitor died: state %+v, %v, want created", st, err)
			}
			if _, err := cgroups.Load(id); err == nil {
				t.Errorf("--rm %v: the container's cgroup outlived its dead monitor", rm)
			}
		}
		if after, _ := e.st.ContainerIDs(); len(after) != len(before)+1 {
			t.Errorf("containers: %d before, %d after, want one more (the one without --rm)", len(before), len(after))
		}
	})
	t.Run("start fails: the container stays created", func(t *testing.T) {
		id, _, err := e.Run(t.Context(), CreateOptions{Image: "busybox", Cmd: []string{"nosuch"}, NetworkMode: "none"}, false)
		var se *StartError
		if !errors.As(err, &se) || se.Code != 127 || se.ID != id || id == "" {
			t.Fatalf("Run(nosuch command) = %q, %v, want a *StartError with code 127 and the ID", id, err)
		}
		if st, err := e.readState(id); err != nil || st.Status != StateCreated || st.ExitCode != 127 {
			t.Errorf("state = %+v, %v, want created with exit code 127", st, err)
		}
	})
}
