package launch

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestFillVolumeCopiesTheImagesTree(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("owners and device nodes need root")
	}
	src, vol := t.TempDir(), t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(src, "a"), []byte("alpha"), 0o640))
	must(os.Lchown(filepath.Join(src, "a"), 1000, 1001))
	must(unix.Lsetxattr(filepath.Join(src, "a"), "user.note", []byte("kept"), 0))
	must(os.Link(filepath.Join(src, "a"), filepath.Join(src, "a2")))
	must(os.WriteFile(filepath.Join(src, "s"), []byte("suid"), 0o755))
	must(os.Chmod(filepath.Join(src, "s"), 0o755|os.ModeSetuid))
	must(os.Mkdir(filepath.Join(src, "sub"), 0o750))
	must(os.WriteFile(filepath.Join(src, "sub", "b"), []byte("beta"), 0o600))
	must(os.Symlink("/etc/passwd", filepath.Join(src, "ln")))
	must(unix.Mkfifo(filepath.Join(src, "p"), 0o620))
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	must(os.Chtimes(filepath.Join(src, "sub", "b"), old, old))
	must(os.Chmod(src, 0o777|os.ModeSticky))
	must(os.Chown(src, 7, 8))

	if err := fillVolume(src, vol); err != nil {
		t.Fatalf("fillVolume: %v", err)
	}
	stat := func(name string) *unix.Stat_t {
		t.Helper()
		var st unix.Stat_t
		must(unix.Lstat(filepath.Join(vol, name), &st))
		return &st
	}
	if b, _ := os.ReadFile(filepath.Join(vol, "sub", "b")); string(b) != "beta" {
		t.Errorf("sub/b = %q", b)
	}
	if st := stat("a"); st.Uid != 1000 || st.Gid != 1001 || st.Mode&0o7777 != 0o640 || st.Nlink != 2 {
		t.Errorf("a: uid %d gid %d mode %o links %d, want 1000 1001 640 2", st.Uid, st.Gid, st.Mode&0o7777, st.Nlink)
	}
	if stat("a").Ino != stat("a2").Ino {
		t.Error("a2 is not a hard link of a")
	}
	buf := make([]byte, 16)
	if n, err := unix.Lgetxattr(filepath.Join(vol, "a"), "user.note", buf); err != nil || string(buf[:n]) != "kept" {
		t.Errorf("user.note of a = %q, %v", buf[:n], err)
	}
	if st := stat("s"); st.Mode&0o7777 != 0o4755 {
		t.Errorf("s mode %o, want 4755", st.Mode&0o7777)
	}
	if st := stat("sub"); st.Mode&0o7777 != 0o750 {
		t.Errorf("sub mode %o, want 750", st.Mode&0o7777)
	}
	if st := stat("sub/b"); time.Unix(st.Mtim.Unix()).UTC() != old {
		t.Errorf("sub/b mtime %v, want %v", time.Unix(st.Mtim.Unix()).UTC(), old)
	}
	if target, err := os.Readlink(filepath.Join(vol, "ln")); err != nil || target != "/etc/passwd" {
		t.Errorf("ln -> %q, %v; want the link itself copied", target, err)
	}
	if st := stat("p"); st.Mode&unix.S_IFMT != unix.S_IFIFO {
		t.Errorf("p is not a fifo: mode %o", st.Mode)
	}
	if st := stat("."); st.Uid != 7 || st.Gid != 8 || st.Mode&0o7777 != 0o1777 {
		t.Errorf("volume root: uid %d gid %d mode %o, want the image directory's 7 8 1777", st.Uid, st.Gid, st.Mode&0o7777)
	}
}

func TestFillVolumeLeavesAVolumeWithData(t *testing.T) {
	src, vol := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "image"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(vol, "mine"), []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := fillVolume(src, vol); err != nil {
		t.Fatalf("fillVolume: %v", err)
	}
	names, _ := os.ReadDir(vol)
	if len(names) != 1 || names[0].Name() != "mine" {
		t.Errorf("volume holds %v, want only its own file", names)
	}
}

func TestFillVolumeWithNothingAtTheMountPoint(t *testing.T) {
	dir, vol := t.TempDir(), t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, at := range []string{filepath.Join(dir, "missing"), file} {
		if err := fillVolume(at, vol); err != nil {
			t.Errorf("fillVolume(%s): %v", at, err)
		}
		if names, _ := os.ReadDir(vol); len(names) != 0 {
			t.Errorf("fillVolume(%s) copied %v", at, names)
		}
	}
}

func TestFailedFillLeavesTheVolumeEmpty(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small filesystem needs root")
	}
	src, vols := t.TempDir(), t.TempDir()
	// The volume lives on a filesystem too small for the image's files.
	if err := unix.Mount("tmpfs", vols, "tmpfs", 0, "size=64k"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(vols, unix.MNT_DETACH) })
	vol := filepath.Join(vols, "_data")
	if err := os.Mkdir(vol, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "a"), []byte("small"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "big"), make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	err := fillVolume(src, vol)
	if !errors.Is(err, unix.ENOSPC) {
		t.Fatalf("fillVolume = %v, want no space left", err)
	}
	if names, _ := os.ReadDir(vol); len(names) != 0 {
		t.Errorf("a failed fill left %v in the volume", names)
	}
	if names, _ := os.ReadDir(vols); len(names) != 1 {
		t.Errorf("a failed fill left %v beside the volume", names)
	}
}
