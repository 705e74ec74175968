package spawn

import (
	"bytes"
	"errors"
	"os"
	"syscall"
	"testing"
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
	if got, err := os.ReadFile(s.Path); err != nil || !bytes.Equal(got, want) {
		t.Errorf("copy %s differs from %s (%v)", s.Path, self, err)
	}
	// Root inside a container could write to any file it reaches (a
	// monitor's /proc/PID/exe): the mount refuses.
	if f, err := os.OpenFile(s.Path, os.O_WRONLY, 0); !errors.Is(err, syscall.EROFS) {
		if f != nil {
			f.Close()
		}
		t.Errorf("opening the copy for writing = %v, want EROFS", err)
	}
}
