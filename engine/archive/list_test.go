package archive_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/engine/archive"
	"golang.org/x/sys/unix"
)

func TestListTar(t *testing.T) {
	data := buildTar(t,
		dir("./", 0o755),
		dir("etc/", 0o755),
		owner(reg("etc/passwd", "root\n", 0o644), 0, 42),
		reg("bin/su", "elf", 0o4755),
		symlink("bin/sh", "busybox"),
		hardlink("bin/ash", "/bin/su"),
		reg("etc/.wh.motd", "", 0o600),
		reg(".wh.gone", "", 0o600),
		reg("var/.wh..wh..opq", "", 0o600),
		reg(".wh..wh..opq", "", 0o600),
		reg(".wh..wh.plnk/123", "", 0o600),
		ent{h: tar.Header{Typeflag: tar.TypeFifo, Name: "run/fifo", Mode: 0o600}},
	)
	var got []archive.Entry
	err := archive.ListTar(t.Context(), bytes.NewReader(data), func(e archive.Entry) error {
		got = append(got, e)
		return nil
	})
	if err != nil {
		t.Fatalf("ListTar() = %v", err)
	}
	want := []struct {
		path string
		typ  archive.EntryType
		size int64
		mode fs.FileMode
		link string
		gid  int
	}{
		{"/etc", archive.TypeDir, 0, fs.ModeDir | 0o755, "", 0},
		{"/etc/passwd", archive.TypeFile, 5, 0o644, "", 42},
		{"/bin/su", archive.TypeFile, 3, fs.ModeSetuid | 0o755, "", 0},
		{"/bin/sh", archive.TypeSymlink, 0, fs.ModeSymlink | 0o777, "busybox", 0},
		{"/bin/ash", archive.TypeHardlink, 0, 0, "/bin/su", 0},
		{"/etc/motd", archive.TypeWhiteout, 0, 0o600, "", 0},
		{"/gone", archive.TypeWhiteout, 0, 0o600, "", 0},
		{"/var", archive.TypeOpaque, 0, 0o600, "", 0},
		{"/", archive.TypeOpaque, 0, 0o600, "", 0},
		{"/run/fifo", archive.TypeOther, 0, fs.ModeNamedPipe | 0o600, "", 0},
	}
	if len(got) != len(want) {
		t.Fatalf("ListTar() gave %d entries, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Path != w.path || g.Type != w.typ || g.Size != w.size || g.Mode != w.mode || g.LinkTarget != w.link || g.GID != w.gid {
			t.Errorf("entry %d = {%s %s %d %v %q gid %d}, want {%s %s %d %v %q gid %d}",
				i, g.Path, g.Type, g.Size, g.Mode, g.LinkTarget, g.GID, w.path, w.typ, w.size, w.mode, w.link, w.gid)
		}
		if !g.ModTime.Equal(epoch) {
			t.Errorf("entry %d ModTime = %v, want %v", i, g.ModTime, epoch)
		}
	}
}

func TestListTarErrors(t *testing.T) {
	stop := errors.New("stop")
	tests := []struct {
		name string
		data []byte
		fn   func(archive.Entry) error
		want error
	}{
		{"callback error stops", buildTar(t, reg("a", "", 0o644), reg("b", "", 0o644)), func(archive.Entry) error { return stop }, stop},
		{"unsafe name", buildTar(t, reg("../x", "", 0o644)), func(archive.Entry) error { return nil }, archive.ErrUnsafePath},
		{"unsafe hardlink", buildTar(t, hardlink("x", "../../y")), func(archive.Entry) error { return nil }, archive.ErrUnsafePath},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := archive.ListTar(t.Context(), bytes.NewReader(tt.data), tt.fn); !errors.Is(err, tt.want) {
				t.Errorf("ListTar() = %v, want %v", err, tt.want)
			}
		})
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := archive.ListTar(ctx, bytes.NewReader(buildTar(t, reg("a", "", 0o644))), func(archive.Entry) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("ListTar(cancelled) = %v, want context.Canceled", err)
	}
}

// TestChanges checks docker diff semantics on hand-built upper and lower
// directories, without mounting anything.
func TestChanges(t *testing.T) {
	tests := []struct {
		name  string
		lower []ent
		upper []ent
		want  []string
	}{
		{
			name:  "added file in existing dir reports the dir",
			lower: []ent{dir("etc", 0o755), reg("etc/passwd", "x", 0o644)},
			upper: []ent{dir("etc", 0o755), reg("etc/new", "n", 0o644)},
			want:  []string{"C /etc", "A /etc/new"},
		},
		{
			name:  "modified file in unchanged dir",
			lower: []ent{dir("etc", 0o755), reg("etc/passwd", "x", 0o644)},
			upper: []ent{dir("etc", 0o755), reg("etc/passwd", "y", 0o644)},
			want:  []string{"C /etc/passwd"},
		},
		{
			name:  "whiteouts are deletions",
			lower: []ent{reg("a/b", "b", 0o644), reg("top", "t", 0o644)},
			upper: []ent{dir("a", 0o755), reg("a/.wh.b", "", 0), reg(".wh.top", "", 0)},
			want:  []string{"C /a", "D /a/b", "D /top"},
		},
		{
			name:  "opaque dir present below is changed",
			lower: []ent{reg("opq/old", "o", 0o644)},
			upper: []ent{dir("opq", 0o755), reg("opq/.wh..wh..opq", "", 0), reg("opq/new", "n", 0o644)},
			want:  []string{"C /opq", "A /opq/new"},
		},
		{
			name:  "new tree is added throughout",
			lower: []ent{reg("keep", "k", 0o644)},
			upper: []ent{reg("new/deep/file", "f", 0o644), symlink("new/link", "/keep")},
			want:  []string{"A /new", "A /new/deep", "A /new/deep/file", "A /new/link"},
		},
		{
			name:  "changed dir mode is reported",
			lower: []ent{dir("d", 0o755)},
			upper: []ent{dir("d", 0o700)},
			want:  []string{"C /d"},
		},
		{
			name:  "lookups in a lower stay inside it",
			lower: []ent{symlink("etc", "/nonexistent-outside")},
			upper: []ent{reg("etc/passwd", "p", 0o644)},
			want:  []string{"C /etc", "A /etc/passwd"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := t.TempDir()
			d := mkdirs(t, base, "lower", "upper")
			for i, ents := range [][]ent{tt.lower, tt.upper} {
				if _, err := archive.Apply(t.Context(), d[i], bytes.NewReader(buildTar(t, ents...))); err != nil {
					t.Fatalf("Apply() = %v", err)
				}
			}
			changes, err := archive.Changes(d[1], []string{d[0]})
			if err != nil {
				t.Fatalf("Changes() = %v", err)
			}
			var got []string
			for _, c := range changes {
				got = append(got, c.String())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Changes() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestChangeKindString(t *testing.T) {
	for k, want := range map[archive.ChangeKind]string{archive.Added: "A", archive.Changed: "C", archive.Deleted: "D"} {
		if got := k.String(); got != want {
			t.Errorf("ChangeKind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
}

// TestWriteDiffSkipsSockets checks that a socket in the upper dir, which no
// tar can carry, is left out instead of failing the commit.
func TestWriteDiffSkipsSockets(t *testing.T) {
	upper := t.TempDir()
	sock := filepath.Join(upper, "s.sock")
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: sock}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(upper, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := archive.WriteDiff(t.Context(), &buf, upper); err != nil {
		t.Fatalf("WriteDiff() = %v", err)
	}
	var paths []string
	if err := archive.ListTar(t.Context(), &buf, func(e archive.Entry) error {
		paths = append(paths, e.Path)
		return nil
	}); err != nil {
		t.Fatalf("ListTar() = %v", err)
	}
	if strings.Join(paths, ",") != "/f" {
		t.Errorf("WriteDiff() entries = %v, want [/f]", paths)
	}
}

func TestWriteCancelled(t *testing.T) {
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for name, write := range map[string]func(context.Context, *bytes.Buffer, string) error{
		"WriteDiff": func(ctx context.Context, b *bytes.Buffer, d string) error { return archive.WriteDiff(ctx, b, d) },
		"WriteDir":  func(ctx context.Context, b *bytes.Buffer, d string) error { return archive.WriteDir(ctx, b, d) },
	} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := write(ctx, &buf, src); !errors.Is(err, context.Canceled) {
				t.Errorf("%s(cancelled) = %v, want context.Canceled", name, err)
			}
		})
	}
}
