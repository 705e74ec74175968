package archive_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/engine/archive"
	"golang.org/x/sys/unix"
)

// capNetRaw is a version 2 security.capability value granting cap_net_raw
// (bit 13) permitted and effective, as `setcap cap_net_raw+ep` writes it.
func capNetRaw() string {
	b := make([]byte, 20)
	binary.LittleEndian.PutUint32(b[0:], 0x02000001)
	binary.LittleEndian.PutUint32(b[4:], 1<<13)
	return string(b)
}

func xattr(e ent, kv ...string) ent {
	return with(e, func(h *tar.Header) {
		if h.PAXRecords == nil {
			h.PAXRecords = make(map[string]string)
		}
		for i := 0; i < len(kv); i += 2 {
			h.PAXRecords["SCHILY.xattr."+kv[i]] = kv[i+1]
		}
	})
}

func owner(e ent, uid, gid int) ent {
	return with(e, func(h *tar.Header) { h.Uid, h.Gid = uid, gid })
}

func TestApply(t *testing.T) {
	tests := []struct {
		name string
		ents []ent
		want map[string]string
	}{
		{
			name: "normal tree",
			ents: []ent{
				dir("etc/", 0o755),
				reg("etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0o644),
				dir("usr/", 0o755),
				dir("usr/bin/", 0o755),
				owner(reg("usr/bin/tool", "#!/bin/sh\n", 0o755), 1000, 1001),
				reg("deep/er/file", "implied parents", 0o600),
			},
			want: map[string]string{
				"etc":          "dir 0755 0:0",
				"etc/passwd":   `file 0644 0:0 "root:x:0:0::/root:/bin/sh\n"`,
				"usr":          "dir 0755 0:0",
				"usr/bin":      "dir 0755 0:0",
				"usr/bin/tool": `file 0755 1000:1001 "#!/bin/sh\n"`,
				"deep":         "dir 0755 0:0",
				"deep/er":      "dir 0755 0:0",
				"deep/er/file": `file 0600 0:0 "implied parents"`,
			},
		},
		{
			name: "every entry type",
			ents: []ent{
				reg("file", "data", 0o640),
				symlink("abs", "/etc/passwd"),
				symlink("rel", "../file"),
				hardlink("link", "file"),
				{h: tar.Header{Typeflag: tar.TypeChar, Name: "null", Mode: 0o666, Devmajor: 1, Devminor: 3}},
				{h: tar.Header{Typeflag: tar.TypeBlock, Name: "loop0", Mode: 0o660, Gid: 6, Devmajor: 7, Devminor: 0}},
				{h: tar.Header{Typeflag: tar.TypeFifo, Name: "pipe", Mode: 0o620}},
				dir("empty", 0o700),
			},
			want: map[string]string{
				"file":  `file 0640 0:0 "data"`,
				"abs":   "symlink 0777 0:0 -> /etc/passwd",
				"rel":   "symlink 0777 0:0 -> ../file",
				"link":  `file 0640 0:0 "data"`,
				"null":  "char 0666 0:0 1,3",
				"loop0": "block 0660 0:6 7,0",
				"pipe":  "fifo 0620 0:0",
				"empty": "dir 0700 0:0",
			},
		},
		{
			name: "setuid setgid sticky survive chown",
			ents: []ent{
				owner(reg("bin/su", "elf", 0o4755), 0, 0),
				owner(reg("bin/wall", "elf", 0o2755), 0, 5),
				owner(reg("bin/both", "elf", 0o6711), 1000, 1000),
				dir("tmp", 0o1777),
				owner(dir("shared", 0o2775), 0, 100),
			},
			want: map[string]string{
				"bin":      "dir 0755 0:0",
				"bin/su":   `file 4755 0:0 "elf"`,
				"bin/wall": `file 2755 0:5 "elf"`,
				"bin/both": `file 6711 1000:1000 "elf"`,
				"tmp":      "dir 1777 0:0",
				"shared":   "dir 2775 0:100",
			},
		},
		{
			name: "whiteouts and opaque dirs",
			ents: []ent{
				reg("etc/.wh.motd", "", 0o600),
				owner(reg(".wh.gone", "", 0o600), 0, 0),
				dir("var/cache/", 0o755),
				reg("var/cache/.wh..wh..opq", "", 0o600),
				reg("var/cache/new", "n", 0o644),
				reg(".wh..wh.plnk", "", 0o600),
				reg(".wh..wh.plnk/123.456", "aufs hardlink store", 0o600),
				reg("opq-only/.wh..wh..opq", "", 0o600),
			},
			want: map[string]string{
				"etc":           "dir 0755 0:0",
				"etc/motd":      "whiteout 0000 0:0",
				"gone":          "whiteout 0000 0:0",
				"var":           "dir 0755 0:0",
				"var/cache":     `dir 0755 0:0 trusted.overlay.opaque="y"`,
				"var/cache/new": `file 0644 0:0 "n"`,
				"opq-only":      `dir 0755 0:0 trusted.overlay.opaque="y"`,
			},
		},
		{
			name: "whiteout replaces an earlier entry",
			ents: []ent{
				dir("d/", 0o755),
				reg("d/x", "x", 0o644),
				reg(".wh.d", "", 0o600),
			},
			want: map[string]string{
				"d": "whiteout 0000 0:0",
			},
		},
		{
			name: "xattrs kept and dropped",
			ents: []ent{
				xattr(reg("ping", "elf", 0o755),
					"security.capability", capNetRaw(),
					"user.origin", "berth",
					"trusted.note", "t",
					"trusted.overlay.opaque", "y",
					"trusted.overlay.redirect", "/elsewhere",
					"user.overlay.opaque", "y",
					"bogus.namespace", "x",
				),
				xattr(dir("forged/", 0o755), "trusted.overlay.opaque", "y", "user.dir", "d"),
			},
			want: map[string]string{
				"ping":   `file 0755 0:0 "elf" security.capability="\x01\x00\x00\x02\x00 \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" trusted.note="t" user.origin="berth"`,
				"forged": `dir 0755 0:0 user.dir="d"`,
			},
		},
		{
			name: "duplicate entries: later wins",
			ents: []ent{
				reg("a", "one", 0o644),
				reg("a", "two", 0o600),
				dir("d", 0o700),
				reg("d/child", "c", 0o644),
				owner(dir("d", 0o755), 7, 7),
				reg("f2d", "file", 0o644),
				dir("f2d", 0o750),
				dir("d2f", 0o755),
				reg("d2f/inner", "i", 0o644),
				reg("d2f", "now a file", 0o644),
				symlink("s2f", "/etc/shadow"),
				reg("s2f", "replaced the link, not its target", 0o644),
				reg("f2s", "file", 0o644),
				symlink("f2s", "a"),
			},
			want: map[string]string{
				"a":       `file 0600 0:0 "two"`,
				"d":       "dir 0755 7:7",
				"d/child": `file 0644 0:0 "c"`,
				"f2d":     "dir 0750 0:0",
				"d2f":     `file 0644 0:0 "now a file"`,
				"s2f":     `file 0644 0:0 "replaced the link, not its target"`,
				"f2s":     "symlink 0777 0:0 -> a",
			},
		},
		{
			name: "absolute and dotted names are made relative",
			ents: []ent{
				reg("/abs/file", "a", 0o644),
				reg("./dot/file", "b", 0o644),
				reg("x/../y/file", "c", 0o644),
				reg("//double//slash", "d", 0o644),
			},
			want: map[string]string{
				"abs":          "dir 0755 0:0",
				"abs/file":     `file 0644 0:0 "a"`,
				"dot":          "dir 0755 0:0",
				"dot/file":     `file 0644 0:0 "b"`,
				"y":            "dir 0755 0:0",
				"y/file":       `file 0644 0:0 "c"`,
				"double":       "dir 0755 0:0",
				"double/slash": `file 0644 0:0 "d"`,
			},
		},
		{
			name: "symlinks inside the layer are followed inside the root",
			ents: []ent{
				dir("usr/lib/", 0o755),
				symlink("lib", "/usr/lib"),
				reg("lib/libc.so", "libc", 0o755),
				symlink("up", "../../.."),
				reg("up/top", "t", 0o644),
			},
			want: map[string]string{
				"usr":             "dir 0755 0:0",
				"usr/lib":         "dir 0755 0:0",
				"usr/lib/libc.so": `file 0755 0:0 "libc"`,
				"lib":             "symlink 0777 0:0 -> /usr/lib",
				"up":              "symlink 0777 0:0 -> ../../..",
				"top":             `file 0644 0:0 "t"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			data := buildTar(t, tt.ents...)
			if _, err := archive.Apply(t.Context(), root, bytes.NewReader(data)); err != nil {
				t.Fatalf("Apply() = %v", err)
			}
			got := describeTree(snapshot(t, root))
			if d := diffMaps(got, tt.want); d != "" {
				t.Errorf("Apply() tree differs:\n%s", d)
			}
		})
	}
}

func TestApplyStats(t *testing.T) {
	root := t.TempDir()
	data := buildTar(t,
		dir("d", 0o755),
		reg("d/a", "12345", 0o644),
		reg("d/b", strings.Repeat("x", 3<<20), 0o644),
		hardlink("d/c", "d/a"),
		symlink("s", "d/a"),
	)
	st, err := archive.Apply(t.Context(), root, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Apply() = %v", err)
	}
	want := archive.Stats{Size: 5 + 3<<20, Entries: 5}
	if st != want {
		t.Errorf("Apply() stats = %+v, want %+v", st, want)
	}
}

func TestApplyRootEntry(t *testing.T) {
	root := t.TempDir()
	data := buildTar(t, owner(dir("./", 0o750), 3, 4), reg("f", "x", 0o644))
	if _, err := archive.Apply(t.Context(), root, bytes.NewReader(data)); err != nil {
		t.Fatalf("Apply() = %v", err)
	}
	n := lstatNode(t, root)
	if n.mode != 0o750 || n.uid != 3 || n.gid != 4 {
		t.Errorf("root = %04o %d:%d, want 0750 3:4", n.mode, n.uid, n.gid)
	}
	if n.mtime != unix.NsecToTimespec(epoch.UnixNano()) {
		t.Errorf("root mtime = %v, want %v", n.mtime, epoch)
	}
}

func TestApplyHardlinkSharesInode(t *testing.T) {
	root := t.TempDir()
	data := buildTar(t,
		reg("a", "shared", 0o644),
		hardlink("b", "a"),
		hardlink("sub/c", "/a"),
		symlink("s", "a"),
		hardlink("s2", "s"),
	)
	if _, err := archive.Apply(t.Context(), root, bytes.NewReader(data)); err != nil {
		t.Fatalf("Apply() = %v", err)
	}
	a := lstatNode(t, filepath.Join(root, "a"))
	for _, p := range []string{"b", "sub/c"} {
		n := lstatNode(t, filepath.Join(root, p))
		if n.ino != a.ino {
			t.Errorf("%s inode = %d, want %d (same as a)", p, n.ino, a.ino)
		}
	}
	if a.nlink != 3 {
		t.Errorf("a nlink = %d, want 3", a.nlink)
	}
	s, s2 := lstatNode(t, filepath.Join(root, "s")), lstatNode(t, filepath.Join(root, "s2"))
	if s2.typ != "symlink" || s2.ino != s.ino {
		t.Errorf("s2 = %s inode %d, want a hardlink to symlink s (inode %d)", s2.typ, s2.ino, s.ino)
	}
}

func TestApplyTimes(t *testing.T) {
	fileTime := time.Date(2001, 2, 3, 4, 5, 6, 789000000, time.UTC)
	dirTime := time.Date(2002, 3, 4, 5, 6, 7, 123456789, time.UTC)
	linkTime := time.Date(2003, 4, 5, 6, 7, 8, 0, time.UTC)
	devTime := time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC)
	at := func(e ent, ts time.Time) ent { return with(e, func(h *tar.Header) { h.ModTime = ts }) }

	root := t.TempDir()
	data := buildTar(t,
		at(dir("d", 0o755), dirTime),
		at(reg("d/f", "x", 0o644), fileTime),
		at(symlink("d/l", "f"), linkTime),
		at(ent{h: tar.Header{Typeflag: tar.TypeFifo, Name: "d/p", Mode: 0o600}}, devTime),
		at(dir("d/sub", 0o755), dirTime),
		reg("d/sub/late", "written after d/sub's header", 0o644),
		at(reg("d/.wh.gone", "", 0o600), fileTime),
	)
	if _, err := archive.Apply(t.Context(), root, bytes.NewReader(data)); err != nil {
		t.Fatalf("Apply() = %v", err)
	}
	for _, c := range []struct {
		path string
		want time.Time
	}{
		{"d", dirTime},
		{"d/f", fileTime},
		{"d/l", linkTime},
		{"d/p", devTime},
		{"d/sub", dirTime},
		{"d/sub/late", epoch},
		{"d/gone", fileTime},
	} {
		n := lstatNode(t, filepath.Join(root, c.path))
		got := time.Unix(n.mtime.Sec, n.mtime.Nsec).UTC()
		if !got.Equal(c.want) {
			t.Errorf("%s mtime = %v, want %v", c.path, got, c.want)
		}
	}
}

func TestApplyContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := archive.Apply(ctx, t.TempDir(), bytes.NewReader(buildTar(t, reg("f", "x", 0o644))))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Apply(cancelled) = %v, want context.Canceled", err)
	}
}

func TestApplyInvalid(t *testing.T) {
	tests := []struct {
		name string
		ents []ent
		want error
	}{
		{"whiteout without name", []ent{reg("d/.wh.", "", 0o600)}, archive.ErrInvalidEntry},
		{"whiteout of dot-dot", []ent{reg("d/.wh...", "", 0o600)}, archive.ErrInvalidEntry},
		{"path through a whiteout", []ent{reg(".wh.d/f", "", 0o600)}, archive.ErrInvalidEntry},
		{"root as a file", []ent{reg(".", "", 0o600)}, archive.ErrInvalidEntry},
		{"negative owner", []ent{owner(reg("f", "", 0o600), -5, 0)}, archive.ErrInvalidEntry},
		{"hardlink to root", []ent{hardlink("l", "/")}, archive.ErrInvalidEntry},
		{"unsupported type", []ent{{h: tar.Header{Typeflag: 'V', Name: "vol"}}}, archive.ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := archive.Apply(t.Context(), t.TempDir(), bytes.NewReader(buildTar(t, tt.ents...)))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Apply() = %v, want %v", err, tt.want)
			}
			var ee *archive.EntryError
			if !errors.As(err, &ee) {
				t.Fatalf("Apply() = %T, want *archive.EntryError", err)
			}
			if ee.Name != tt.ents[len(tt.ents)-1].h.Name {
				t.Errorf("EntryError.Name = %q, want %q", ee.Name, tt.ents[len(tt.ents)-1].h.Name)
			}
			if !strings.HasPrefix(err.Error(), "unpack entry ") {
				t.Errorf("error = %q, want it to start with `unpack entry `", err)
			}
		})
	}
}

func TestApplyTruncatedStream(t *testing.T) {
	data := buildTar(t, reg("big", strings.Repeat("z", 10000), 0o644))
	_, err := archive.Apply(t.Context(), t.TempDir(), bytes.NewReader(data[:2048]))
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("Apply(truncated) = %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestSync(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := archive.Sync(dir); err != nil {
		t.Errorf("Sync(%s) = %v", dir, err)
	}
	if err := archive.Sync(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Sync(missing) = %v, want ErrNotExist", err)
	}
}
