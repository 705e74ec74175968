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
// test binary's stat data and on extreme values.
func TestSealedKey(t *testing.T) {
	var st syscall.Stat_t
	if err := syscall.Stat(os.Args[0], &st); err != nil {
		t.Fatal(err)
	}
	for _, s := range []syscall.Stat_t{st, {}, {Dev: ^uint64(0), Ino: 1 << 63, Size: 1<<63 - 1}} {
		want := fmt.Sprintf("berth-%x-%x-%x-%x", s.Dev, s.Ino, s.Size, s.Mtim.Sec*1e9+s.Mtim.Nsec)
		if got := SealedKey(&s); got != want {
			t.Errorf("SealedKey = %q, want %q", got, want)
		}
	}
}

func TestCmdline(t *testing.T) {
	args, ok := cmdline()
	if !ok || !slices.Equal(args, os.Args) {
		t.Errorf("cmdline() = %q, %v; want %q", args, ok, os.Args)
	}
}

func TestMonitorEnv(t *testing.T) {
	if got, want := MonitorEnv(), fmt.Sprintf("GOMAXPROCS=%d", runtime.GOMAXPROCS(0)); got != want {
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
