package archive_test

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/berth-dev/berth/engine/archive"
	"golang.org/x/sys/unix"
)

func TestWritePathNamesItsEntry(t *testing.T) {
	src := t.TempDir()
	if err := os.MkdirAll(filepath.Join(src, "d", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "d", "sub", "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(src, "ln")); err != nil {
		t.Fatal(err)
	}
	names := func(path, name string) []string {
		t.Helper()
		var buf bytes.Buffer
		if err := archive.WritePath(context.Background(), &buf, path, name); err != nil {
			t.Fatalf("WritePath(%s) = %v", path, err)
		}
		var out []string
		tr := tar.NewReader(&buf)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				return out
			}
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, h.Name)
			if h.Typeflag == tar.TypeSymlink {
				out = append(out, "-> "+h.Linkname)
			}
		}
	}
	for _, tc := range []struct {
		path, name string
		want       []string
	}{
		{filepath.Join(src, "d"), "copy", []string{"copy/", "copy/sub/", "copy/sub/f"}},
		{filepath.Join(src, "d", "sub", "f"), "g", []string{"g"}},
		{filepath.Join(src, "ln"), "ln", []string{"ln", "-> /etc/passwd"}},
		{filepath.Join(src, "d") + "/.", ".", []string{"./", "./sub/", "./sub/f"}},
	} {
		if got := names(tc.path, tc.name); !slices.Equal(got, tc.want) {
			t.Errorf("WritePath(%s, %s) entries = %q, want %q", tc.path, tc.name, got, tc.want)
		}
	}
}

func TestApplyPlainNamesAndOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("owners need root")
	}
	dst := t.TempDir()
	tarball := buildTar(t,
		with(reg(".wh.kept", "plain", 0o644), func(h *tar.Header) { h.Uid, h.Gid = 1000, 1000 }),
		reg("dir/.wh..wh..opq", "also plain", 0o644),
	)
	if _, err := archive.Apply(context.Background(), dst, bytes.NewReader(tarball), archive.WithPlainNames(), archive.WithOwner(7, 8)); err != nil {
		t.Fatalf("Apply = %v", err)
	}
	for name, body := range map[string]string{".wh.kept": "plain", "dir/.wh..wh..opq": "also plain"} {
		p := filepath.Join(dst, name)
		got, err := os.ReadFile(p)
		if err != nil || string(got) != body {
			t.Errorf("%s = %q, %v; want a plain file %q", name, got, err, body)
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil || st.Uid != 7 || st.Gid != 8 {
			t.Errorf("%s owner %d:%d, want 7:8", name, st.Uid, st.Gid)
		}
	}
}
