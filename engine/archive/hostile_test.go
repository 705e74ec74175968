package archive_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/engine/archive"
	"golang.org/x/sys/unix"
)

// jail is a layer root with a sentinel directory beside it. Hostile layers
// aim at the sentinel; outside() records everything that is not the root so
// a test can prove it untouched.
type jail struct {
	base, root, sentinel string
}

func newJail(tb testing.TB) jail {
	tb.Helper()
	base := tb.TempDir()
	j := jail{base: base, root: filepath.Join(base, "root"), sentinel: filepath.Join(base, "sentinel")}
	for _, d := range []string{j.root, j.sentinel, filepath.Join(j.sentinel, "sub")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(j.sentinel, "keep"), []byte("keep"), 0o644); err != nil {
		tb.Fatal(err)
	}
	return j
}

// outside describes every path under base except the layer root, with
// mtimes and link counts so that a created or removed child shows up.
func (j jail) outside(tb testing.TB) map[string]string {
	tb.Helper()
	m := make(map[string]string)
	for p, n := range snapshot(tb, j.base) {
		if p == "root" || strings.HasPrefix(p, "root/") {
			continue
		}
		m[p] = fmt.Sprintf("%s mtime=%d.%09d nlink=%d", n.describe(), n.mtime.Sec, n.mtime.Nsec, n.nlink)
	}
	return m
}

func TestApplyHostile(t *testing.T) {
	tests := []struct {
		name string
		ents func(sentinel string) []ent
		opts []archive.Option
		want error
		// check runs on the root after Apply to show where a neutralised
		// entry went.
		check func(t *testing.T, root, sentinel string)
	}{
		{
			name: "dot-dot climbs out",
			ents: func(string) []ent { return []ent{reg("../sentinel/pwned", "x", 0o644)} },
			want: archive.ErrUnsafePath,
		},
		{
			name: "many dot-dots to an absolute target",
			ents: func(s string) []ent {
				return []ent{reg(strings.Repeat("../", 20)+strings.TrimPrefix(s, "/")+"/pwned", "x", 0o644)}
			},
			want: archive.ErrUnsafePath,
		},
		{
			name: "dot-dot after a directory",
			ents: func(string) []ent { return []ent{reg("a/../../sentinel/pwned", "x", 0o644)} },
			want: archive.ErrUnsafePath,
		},
		{
			name: "absolute name lands inside the root",
			ents: func(s string) []ent { return []ent{reg(s+"/pwned", "x", 0o644)} },
			check: func(t *testing.T, root, s string) {
				mustExist(t, filepath.Join(root, s, "pwned"))
			},
		},
		{
			name: "symlink to absolute dir then file through it",
			ents: func(s string) []ent { return []ent{symlink("a", s), reg("a/pwned", "x", 0o644)} },
			want: archive.ErrUnsafePath,
		},
		{
			name: "symlink to absolute dir resolves inside the root",
			ents: func(s string) []ent {
				return []ent{reg(s+"/inside", "i", 0o644), symlink("a", s), reg("a/pwned", "x", 0o644)}
			},
			check: func(t *testing.T, root, s string) {
				mustExist(t, filepath.Join(root, s, "pwned"))
			},
		},
		{
			name: "relative symlink out then file through it",
			ents: func(string) []ent { return []ent{symlink("a", "../sentinel"), reg("a/pwned", "x", 0o644)} },
			want: archive.ErrUnsafePath,
		},
		{
			name: "symlink to ../.. then file through it",
			ents: func(string) []ent { return []ent{symlink("a", "../.."), reg("a/x", "x", 0o644)} },
			check: func(t *testing.T, root, _ string) {
				mustExist(t, filepath.Join(root, "x"))
			},
		},
		{
			name: "symlink to dir then directory under it",
			ents: func(s string) []ent { return []ent{symlink("etc", s), dir("etc/sub/deeper", 0o777)} },
			want: archive.ErrUnsafePath,
		},
		{
			name: "directory replaced by symlink then file under it",
			ents: func(s string) []ent {
				return []ent{dir("d", 0o755), reg("d/a", "a", 0o644), symlink("d", s), reg("d/pwned", "x", 0o644)}
			},
			want: archive.ErrUnsafePath,
		},
		{
			name: "symlink loop",
			ents: func(string) []ent { return []ent{symlink("a", "b"), symlink("b", "a"), reg("a/x", "x", 0o644)} },
			want: unix.ELOOP,
		},
		{
			name: "hardlink to dot-dot target",
			ents: func(string) []ent { return []ent{hardlink("l", "../sentinel/keep")} },
			want: archive.ErrUnsafePath,
		},
		{
			name: "hardlink to a path through an outward symlink",
			ents: func(s string) []ent { return []ent{symlink("a", s), hardlink("l", "a/keep")} },
			want: unix.ENOENT,
		},
		{
			name: "hardlink to symlink pointing out, then written",
			ents: func(s string) []ent {
				return []ent{symlink("s", s+"/keep"), hardlink("l", "s"), reg("l", "pwned", 0o666)}
			},
			check: func(t *testing.T, root, s string) {
				if n := lstatNode(t, filepath.Join(root, "s")); n.typ != "symlink" || n.link != s+"/keep" {
					t.Errorf("s = %s, want the symlink unchanged", n.describe())
				}
				if n := lstatNode(t, filepath.Join(root, "l")); n.describe() != `file 0666 0:0 "pwned"` {
					t.Errorf("l = %s, want a new regular file", n.describe())
				}
			},
		},
		{
			name: "directory entry named like a symlink chmods nothing outside",
			ents: func(s string) []ent { return []ent{symlink("s", s), owner(dir("s", 0o777), 1234, 1234)} },
			check: func(t *testing.T, root, _ string) {
				if got := lstatNode(t, filepath.Join(root, "s")).describe(); got != "dir 0777 1234:1234" {
					t.Errorf("s = %s, want dir 0777 1234:1234", got)
				}
			},
		},
		{
			name: "device entry named like a symlink",
			ents: func(s string) []ent {
				return []ent{
					symlink("s", s+"/keep"),
					owner(ent{h: tar.Header{Typeflag: tar.TypeFifo, Name: "s", Mode: 0o777}}, 99, 99),
				}
			},
			check: func(t *testing.T, root, _ string) {
				if got := lstatNode(t, filepath.Join(root, "s")).describe(); got != "fifo 0777 99:99" {
					t.Errorf("s = %s, want fifo 0777 99:99", got)
				}
			},
		},
		{
			name: "xattrs and times on a symlink stay on the symlink",
			ents: func(s string) []ent {
				return []ent{xattr(owner(symlink("s", s+"/keep"), 5, 5), "trusted.pwn", "1")}
			},
			check: func(t *testing.T, root, s string) {
				want := fmt.Sprintf(`symlink 0777 5:5 -> %s/keep trusted.pwn="1"`, s)
				if got := lstatNode(t, filepath.Join(root, "s")).describe(); got != want {
					t.Errorf("s = %s, want %s", got, want)
				}
			},
		},
		{
			name: "opaque marker through a symlink",
			ents: func(s string) []ent { return []ent{symlink("s", s), reg("s/.wh..wh..opq", "", 0o600)} },
			want: archive.ErrUnsafePath,
		},
		{
			name: "whiteout through a symlink",
			ents: func(s string) []ent { return []ent{symlink("s", s), reg("s/.wh.keep", "", 0o600)} },
			want: archive.ErrUnsafePath,
		},
		{
			name: "image supplies trusted.overlay.opaque",
			ents: func(string) []ent {
				return []ent{xattr(dir("d", 0o755), "trusted.overlay.opaque", "y")}
			},
			check: func(t *testing.T, root, _ string) {
				if got := lstatNode(t, filepath.Join(root, "d")).describe(); got != "dir 0755 0:0" {
					t.Errorf("d = %s, want no overlay xattr", got)
				}
			},
		},
		{
			name: "file larger than WithMaxSize",
			ents: func(string) []ent {
				return []ent{reg("small", "ok", 0o644), reg("big", strings.Repeat("b", 4096), 0o644)}
			},
			opts: []archive.Option{archive.WithMaxSize(1024)},
			want: archive.ErrTooLarge,
			check: func(t *testing.T, root, _ string) {
				if _, err := os.Lstat(filepath.Join(root, "big")); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("Lstat(big) = %v, want it never created", err)
				}
			},
		},
		{
			name: "more entries than WithMaxEntries",
			ents: func(string) []ent {
				return []ent{dir("a", 0o755), dir("b", 0o755), dir("c", 0o755), dir("d", 0o755)}
			},
			opts: []archive.Option{archive.WithMaxEntries(3)},
			want: archive.ErrTooLarge,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := newJail(t)
			before := j.outside(t)
			data := buildTar(t, tt.ents(j.sentinel)...)
			_, err := archive.Apply(t.Context(), j.root, bytes.NewReader(data), tt.opts...)
			switch {
			case tt.want == nil && err != nil:
				t.Errorf("Apply() = %v, want success", err)
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Errorf("Apply() = %v, want %v", err, tt.want)
			}
			if tt.want != nil {
				var ee *archive.EntryError
				if !errors.As(err, &ee) {
					t.Errorf("Apply() = %T %v, want *archive.EntryError", err, err)
				}
			}
			if d := diffMaps(j.outside(t), before); d != "" {
				t.Errorf("Apply() changed things outside the root:\n%s", d)
			}
			if tt.check != nil {
				tt.check(t, j.root, j.sentinel)
			}
		})
	}
}

func mustExist(t *testing.T, p string) {
	t.Helper()
	if _, err := os.Lstat(p); err != nil {
		t.Errorf("Lstat(%s) = %v, want the neutralised entry there", p, err)
	}
}
