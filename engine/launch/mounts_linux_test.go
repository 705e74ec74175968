package launch

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// onPrivateMounts runs fn on a thread of its own in a new mount namespace,
// which ends with the thread.
func onPrivateMounts(t *testing.T, fn func() error) error {
	t.Helper()
	res := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_FS | unix.CLONE_NEWNS); err != nil {
			res <- err
			return
		}
		if err := unix.Mount("", "/", "", unix.MS_PRIVATE|unix.MS_REC, ""); err != nil {
			res <- err
			return
		}
		res <- fn()
	}()
	return <-res
}

func TestVolatileRootfsMountsAgain(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
	root := t.TempDir()
	for _, d := range []string{"lower", "upper", "work", "rootfs"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	spec := &Spec{
		Root: root, Lower: []string{"lower"},
		Upper: filepath.Join(root, "upper"), Work: filepath.Join(root, "work"), Rootfs: filepath.Join(root, "rootfs"),
		Volatile: true,
	}
	err := onPrivateMounts(t, func() error {
		for range 2 {
			if err := mountRootfs(spec); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(spec.Rootfs, "f"), []byte("x"), 0o644); err != nil {
				return err
			}
			if err := unix.Unmount(spec.Rootfs, 0); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("mounting a volatile rootfs a second time: %v", err)
	}
	if _, err := os.Stat(filepath.Join(spec.Upper, "f")); err != nil {
		t.Errorf("the file written through the overlay is not in the upper directory: %v", err)
	}
}
