package spawn

import (
	"bytes"
	"errors"
	"os"
	"syscall"
	"testing"

	"github.com/berth-dev/berth/engine/spawn/prefork"
)

func TestSealedCopy(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("sealing a copy needs root (it is bind-mounted read-only)")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	s, err := Seal(self)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{s.Path, s.Path + prefork.LeanSuffix} {
		if got, err := os.ReadFile(p); err != nil || !bytes.Equal(got, want) {
			t.Errorf("copy %s differs from %s (%v)", p, self, err)
		}
		// Root inside a container could write to any file it reaches (a
		// monitor's /proc/PID/exe, an --init's /proc/1/exe): the mount
		// refuses.
		if f, err := os.OpenFile(p, os.O_WRONLY, 0); !errors.Is(err, syscall.EROFS) {
			if f != nil {
				f.Close()
			}
			t.Errorf("opening %s for writing = %v, want EROFS", p, err)
		}
	}
}
