package archive_test

import (
	"archive/tar"
	"bytes"
	"context"
	"testing"

	"github.com/berth-dev/berth/engine/archive"
)

// FuzzApply feeds arbitrary bytes and mutated layer tars to Apply. Whatever
// the input, Apply must not panic and must not touch anything beside the
// root; and a layer Apply accepts must also list cleanly.
func FuzzApply(f *testing.F) {
	seeds := [][]ent{
		{dir("etc/", 0o755), reg("etc/passwd", "root\n", 0o644), symlink("bin", "usr/bin"), hardlink("etc/pw2", "etc/passwd")},
		{reg("a/.wh.b", "", 0), reg("c/.wh..wh..opq", "", 0), reg(".wh.d", "", 0)},
		{reg("../sentinel/pwned", "x", 0o644)},
		{symlink("a", "../sentinel"), reg("a/pwned", "x", 0o644)},
		{symlink("a", "../.."), reg("a/sentinel/pwned", "x", 0o644)},
		{symlink("s", "../sentinel/keep"), hardlink("l", "s"), reg("l", "x", 0o666)},
		{hardlink("l", "../sentinel/keep")},
		{symlink("s", "../sentinel"), dir("s", 0o777), reg("s/.wh..wh..opq", "", 0)},
		{dir("d", 0o755), reg("d/a", "a", 0o644), symlink("d", "../sentinel"), reg("d/pwned", "x", 0o644)},
		{xattr(dir("x", 0o755), "trusted.overlay.opaque", "y", "user.a", "b")},
		{{h: tar.Header{Typeflag: tar.TypeChar, Name: "null", Mode: 0o666, Devmajor: 1, Devminor: 3}}, {h: tar.Header{Typeflag: tar.TypeFifo, Name: "p"}}},
	}
	for _, s := range seeds {
		f.Add(buildTar(f, s...))
	}
	f.Add([]byte("not a tar at all"))
	f.Add(make([]byte, 1024))

	f.Fuzz(func(t *testing.T, data []byte) {
		j := newJail(t)
		before := j.outside(t)
		_, err := archive.Apply(context.Background(), j.root, bytes.NewReader(data),
			archive.WithMaxSize(1<<20), archive.WithMaxEntries(1000))
		if d := diffMaps(j.outside(t), before); d != "" {
			t.Fatalf("Apply() (err %v) changed things outside the root:\n%s", err, d)
		}
		if err == nil {
			if lerr := archive.ListTar(context.Background(), bytes.NewReader(data), func(archive.Entry) error { return nil }); lerr != nil {
				t.Errorf("Apply() accepted the layer but ListTar() = %v", lerr)
			}
		}
	})
}
