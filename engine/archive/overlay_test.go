package archive_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/engine/archive"
	"golang.org/x/sys/unix"
)

// mountOverlay mounts an overlay on target and unmounts it at cleanup. With
// upper == "" the mount is a read-only stack of lowers.
func mountOverlay(t *testing.T, target string, lowers []string, upper, work string) {
	t.Helper()
	opts := "lowerdir=" + strings.Join(lowers, ":")
	if upper != "" {
		opts += ",upperdir=" + upper + ",workdir=" + work
	}
	// The layout berth's store mounts: no redirects, no index, no metacopy,
	// so every change lands in the upper directory as a full copy.
	opts += ",redirect_dir=off,index=off,metacopy=off"
	if err := unix.Mount("overlay", target, "overlay", 0, opts); err != nil {
		if errors.Is(err, unix.ENODEV) {
			t.Skip("kernel has no overlayfs")
		}
		t.Fatalf("mount overlay %s: %v", opts, err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(target, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
			t.Errorf("unmount %s: %v", target, err)
		}
	})
}

func mkdirs(t *testing.T, base string, names ...string) []string {
	t.Helper()
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = filepath.Join(base, n)
		if err := os.Mkdir(out[i], 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// containerChanges makes the changes a container would, through the merged
// view, and returns what docker diff should say about them.
func containerChanges(t *testing.T, m string) []string {
	t.Helper()
	p := func(rel string) string { return filepath.Join(m, rel) }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.OpenFile(p("etc/hosts"), os.O_APPEND|os.O_WRONLY, 0)
	must(err)
	_, err = f.WriteString("10.0.0.2 db\n")
	must(err)
	must(f.Close())
	must(os.Remove(p("etc/motd")))
	must(os.RemoveAll(p("gone")))
	must(os.RemoveAll(p("opq")))
	must(os.Mkdir(p("opq"), 0o750))
	must(os.WriteFile(p("opq/new"), []byte("fresh"), 0o644))
	must(os.Chmod(p("bin/sh"), 0o700))
	must(os.Chown(p("var/log/app.log"), 33, 33))

	must(os.MkdirAll(p("new/dir/tree"), 0o755))
	must(os.WriteFile(p("new/dir/tree/leaf"), []byte("leaf"), 0o600))
	must(os.WriteFile(p("new/h1"), bytes.Repeat([]byte("h"), 5000), 0o644))
	must(os.Link(p("new/h1"), p("new/h2")))
	must(os.Symlink("../etc/hosts", p("new/link")))
	must(unix.Mkfifo(p("new/fifo"), 0o640))
	must(unix.Mknod(p("new/tty"), unix.S_IFCHR|0o620, int(unix.Mkdev(5, 0))))
	must(os.WriteFile(p("new/suid"), []byte("elf"), 0o755))
	must(os.Chown(p("new/suid"), 1000, 1000))
	must(unix.Chmod(p("new/suid"), 0o4755))
	must(unix.Setxattr(p("new/h1"), "user.origin", []byte("berth"), 0))
	when := time.Date(2011, 11, 11, 11, 11, 11, 111111111, time.UTC)
	must(os.Chtimes(p("new/dir/tree/leaf"), when, when))
	must(os.Chtimes(p("new/dir"), when, when))

	return []string{
		"C /bin/sh",
		"C /etc",
		"C /etc/hosts",
		"D /etc/motd",
		"D /gone",
		"A /new",
		"A /new/dir",
		"A /new/dir/tree",
		"A /new/dir/tree/leaf",
		"A /new/fifo",
		"A /new/h1",
		"A /new/h2",
		"A /new/link",
		"A /new/suid",
		"A /new/tty",
		"C /opq",
		"A /opq/new",
		"C /var/log/app.log",
	}
}

func baseLayer(t *testing.T, dir string) {
	t.Helper()
	data := buildTar(t,
		dir_("bin/"),
		reg("bin/sh", "shell", 0o755),
		xattr(reg("bin/ping", "ping", 0o755), "security.capability", capNetRaw()),
		reg("bin/hard1", "same inode", 0o644),
		hardlink("bin/hard2", "bin/hard1"),
		dir_("etc/"),
		reg("etc/hosts", "127.0.0.1 localhost\n", 0o644),
		reg("etc/motd", "hello\n", 0o644),
		reg("etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0o644),
		reg("gone/a", "a", 0o644),
		reg("gone/b/c", "c", 0o644),
		reg("opq/old1", "1", 0o644),
		reg("opq/old2", "2", 0o644),
		reg("var/log/app.log", "log\n", 0o640),
		symlink("link", "etc/passwd"),
		reg("keep/untouched", "u", 0o644),
	)
	if _, err := archive.Apply(t.Context(), dir, bytes.NewReader(data)); err != nil {
		t.Fatalf("Apply(base) = %v", err)
	}
}

func dir_(name string) ent { return dir(name, 0o755) }

// comparable renders a snapshot for equality checks across trees: overlay's
// own bookkeeping xattrs other than the opaque flag are left out, and so is
// the root, whose metadata the store owns.
func comparable(snap map[string]node) map[string]string {
	m := make(map[string]string)
	for p, n := range snap {
		if p == "." {
			continue
		}
		for k := range n.xattrs {
			if strings.HasPrefix(k, "trusted.overlay.") && k != "trusted.overlay.opaque" {
				delete(n.xattrs, k)
			}
		}
		m[p] = fmt.Sprintf("%s mtime=%d.%09d", n.describe(), n.mtime.Sec, n.mtime.Nsec)
	}
	return m
}

func TestOverlayRoundTrip(t *testing.T) {
	base := t.TempDir()
	d := mkdirs(t, base, "lower", "upper", "work", "merged", "applied", "viewA", "viewB")
	lower, upper, work, merged, applied, viewA, viewB := d[0], d[1], d[2], d[3], d[4], d[5], d[6]

	baseLayer(t, lower)
	mountOverlay(t, merged, []string{lower}, upper, work)
	wantChanges := containerChanges(t, merged)
	if err := unix.Unmount(merged, 0); err != nil {
		t.Fatalf("unmount merged: %v", err)
	}

	t.Run("Changes", func(t *testing.T) {
		changes, err := archive.Changes(upper, []string{lower})
		if err != nil {
			t.Fatalf("Changes() = %v", err)
		}
		got := make([]string, len(changes))
		for i, c := range changes {
			got[i] = c.String()
		}
		if strings.Join(got, "\n") != strings.Join(wantChanges, "\n") {
			t.Errorf("Changes() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantChanges, "\n"))
		}
	})

	var diff bytes.Buffer
	if err := archive.WriteDiff(t.Context(), &diff, upper); err != nil {
		t.Fatalf("WriteDiff() = %v", err)
	}

	t.Run("deterministic", func(t *testing.T) {
		var again bytes.Buffer
		if err := archive.WriteDiff(t.Context(), &again, upper); err != nil {
			t.Fatalf("WriteDiff() = %v", err)
		}
		if !bytes.Equal(diff.Bytes(), again.Bytes()) {
			t.Errorf("WriteDiff() twice gave different bytes (%d and %d)", diff.Len(), again.Len())
		}
	})

	t.Run("layer entries", func(t *testing.T) {
		var got []string
		err := archive.ListTar(t.Context(), bytes.NewReader(diff.Bytes()), func(e archive.Entry) error {
			s := e.Type.String() + " " + e.Path
			if e.LinkTarget != "" {
				s += " -> " + e.LinkTarget
			}
			got = append(got, s)
			return nil
		})
		if err != nil {
			t.Fatalf("ListTar() = %v", err)
		}
		joined := "\n" + strings.Join(got, "\n") + "\n"
		for _, want := range []string{
			"whiteout /etc/motd", "whiteout /gone", "dir /opq", "opaque /opq", "file /opq/new",
			"hardlink /new/h2 -> /new/h1", "symlink /new/link -> ../etc/hosts", "other /new/tty",
		} {
			if !strings.Contains(joined, "\n"+want+"\n") {
				t.Errorf("ListTar() entries lack %q; got:%s", want, joined)
			}
		}
	})

	st, err := archive.Apply(t.Context(), applied, bytes.NewReader(diff.Bytes()))
	if err != nil {
		t.Fatalf("Apply(diff) = %v", err)
	}
	if st.Entries == 0 || st.Size == 0 {
		t.Errorf("Apply(diff) stats = %+v, want entries and bytes", st)
	}

	t.Run("applied equals upper", func(t *testing.T) {
		if d := diffMaps(comparable(snapshot(t, applied)), comparable(snapshot(t, upper))); d != "" {
			t.Errorf("Apply(WriteDiff(upper)) differs from upper:\n%s", d)
		}
		h1 := lstatNode(t, filepath.Join(applied, "new/h1"))
		h2 := lstatNode(t, filepath.Join(applied, "new/h2"))
		if h1.ino != h2.ino {
			t.Errorf("new/h1 and new/h2 inodes = %d, %d, want one hardlinked inode", h1.ino, h2.ino)
		}
	})

	t.Run("merged views equal", func(t *testing.T) {
		mountOverlay(t, viewA, []string{upper, lower}, "", "")
		mountOverlay(t, viewB, []string{applied, lower}, "", "")
		a, b := snapshot(t, viewA), snapshot(t, viewB)
		if _, ok := a["gone"]; ok {
			t.Errorf("merged view still has /gone")
		}
		if _, ok := a["opq/old1"]; ok {
			t.Errorf("merged view still has /opq/old1 under the opaque dir")
		}
		if d := diffMaps(comparable(b), comparable(a)); d != "" {
			t.Errorf("overlay of the applied diff differs from overlay of the upper:\n%s", d)
		}
	})
}

func TestWriteDirRoundTrip(t *testing.T) {
	base := t.TempDir()
	d := mkdirs(t, base, "src", "dst")
	src, dst := d[0], d[1]
	baseLayer(t, src)
	// A 0:0 device in a plain tree stays a device: WriteDir converts nothing.
	if err := unix.Mknod(filepath.Join(src, "etc/wo"), unix.S_IFCHR, 0); err != nil {
		t.Fatal(err)
	}
	if err := unix.Setxattr(filepath.Join(src, "etc"), "trusted.overlay.opaque", []byte("y"), 0); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := archive.WriteDir(t.Context(), &buf, src); err != nil {
		t.Fatalf("WriteDir() = %v", err)
	}
	var names []string
	err := archive.ListTar(t.Context(), bytes.NewReader(buf.Bytes()), func(e archive.Entry) error {
		names = append(names, e.Type.String()+" "+e.Path)
		return nil
	})
	if err != nil {
		t.Fatalf("ListTar() = %v", err)
	}
	joined := strings.Join(names, "\n")
	if !strings.Contains(joined, "other /etc/wo") || strings.Contains(joined, "opaque") || strings.Contains(joined, "whiteout") {
		t.Errorf("WriteDir() entries = %s, want /etc/wo as a device and no whiteout or opaque entries", joined)
	}
	if _, err := archive.Apply(t.Context(), dst, bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatalf("Apply() = %v", err)
	}
	want := comparable(snapshot(t, src))
	// The opaque xattr is overlay metadata: it never travels in a tar.
	want["etc"] = strings.Replace(want["etc"], ` trusted.overlay.opaque="y"`, "", 1)
	if d := diffMaps(comparable(snapshot(t, dst)), want); d != "" {
		t.Errorf("Apply(WriteDir(src)) differs from src:\n%s", d)
	}
}
