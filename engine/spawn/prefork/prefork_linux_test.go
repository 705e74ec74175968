package prefork

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"syscall"
	"testing"
)

// TestSealedKey checks the hand-made hex formatting against fmt's, on this
// test binary's stat data (read by this package's stat and by syscall's)
// and on extreme values.
func TestSealedKey(t *testing.T) {
	var st syscall.Stat_t
	if err := syscall.Stat(os.Args[0], &st); err != nil {
		t.Fatal(err)
	}
	own, err := stat(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if want := (FileID{Dev: st.Dev, Ino: st.Ino, Size: st.Size, ModNs: st.Mtim.Sec*1e9 + st.Mtim.Nsec}); own != want {
		t.Errorf("stat = %+v, want %+v", own, want)
	}
	for _, id := range []FileID{own, {}, {Dev: ^uint64(0), Ino: 1 << 63, Size: 1<<63 - 1}} {
		want := fmt.Sprintf("berth-%x-%x-%x-%x", id.Dev, id.Ino, id.Size, id.ModNs)
		if got := SealedKey(id); got != want {
			t.Errorf("SealedKey = %q, want %q", got, want)
		}
	}
}

// TestForkExec starts a shell as Fork starts a monitor: its descriptors
// are the ones asked for (one closed), it leads a session of its own, and
// it starts with no signal blocked; a program that cannot be
// executed is an error, and leaves no child behind.
func TestForkExec(t *testing.T) {
	dir := t.TempDir()
	out, err := os.Create(dir + "/out")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	high, err := dupHigh(int(out.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	defer closeFd(high)
	// The shell reads its own status before it forks anything: around a
	// fork it blocks its signals for a moment.
	script := `exec >&3; while read -r k v; do [ "$k" = SigBlk: ] && echo "$k $v"; done </proc/$$/status; echo "$$ $(cut -d' ' -f6 /proc/$$/stat)"; [ -e /proc/$$/fd/4 ] && echo fd4 open; echo "$GOMAXPROCS"`
	pid, err := forkExec("/bin/sh", []string{"sh", "-c", script}, []string{"GOMAXPROCS=3"}, []int{-1, -1, -1, high, -1, -1, -1}, true)
	if err != nil {
		t.Fatal(err)
	}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil || ws.ExitStatus() != 0 {
		t.Fatalf("wait: %v, status %v", err, ws)
	}
	b, err := os.ReadFile(dir + "/out")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("SigBlk: 0000000000000000\n%d %d\n3\n", pid, pid)
	if string(b) != want {
		t.Errorf("the child wrote %q, want %q", b, want)
	}
	if _, err := forkExec(dir+"/missing", []string{"missing"}, nil, nil, false); err != Errno(syscall.ENOENT) {
		t.Errorf("forkExec of a missing program: %v, want ENOENT", err)
	}
	if _, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil); err != syscall.ECHILD {
		t.Errorf("a failed forkExec left a child (wait4: %v)", err)
	}
}

func TestCmdline(t *testing.T) {
	args, ok := cmdline()
	if !ok || !slices.Equal(args, os.Args) {
		t.Errorf("cmdline() = %q, %v; want %q", args, ok, os.Args)
	}
}

func TestMonitorEnv(t *testing.T) {
	if got, want := MonitorEnv(), fmt.Sprintf("GOMAXPROCS=%d", runtime.NumCPU()); got != want {
		t.Errorf("MonitorEnv() = %q, want %q", got, want)
	}
}

func TestNewID(t *testing.T) {
	id, err := NewID()
	if err != nil {
		t.Fatal(err)
	}
	if len(id) != 64 || slices.ContainsFunc([]byte(id), func(c byte) bool { return !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') }) {
		t.Errorf("NewID() = %q, want 64 hex digits", id)
	}
}
