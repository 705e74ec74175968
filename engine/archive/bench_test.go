package archive_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/berth-dev/berth/engine/archive"
	"golang.org/x/sys/unix"
)

// benchLayer builds a ~200 MB layer of mixed file sizes: many small files,
// some around a megabyte, a few large ones.
func benchLayer(tb testing.TB) (data []byte, files int, size int64) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	blob := make([]byte, 8<<20)
	for i := range blob {
		blob[i] = byte(rng.Uint32())
	}
	var ents []ent
	for d := range 50 {
		ents = append(ents, dir(fmt.Sprintf("d%02d/", d), 0o755))
	}
	add := func(n int, min, max int) {
		for range n {
			sz := min + rng.IntN(max-min+1)
			off := rng.IntN(len(blob) - sz + 1)
			name := fmt.Sprintf("d%02d/f%05d", rng.IntN(50), files)
			ents = append(ents, reg(name, string(blob[off:off+sz]), 0o644))
			files++
			size += int64(sz)
		}
	}
	add(2000, 512, 64<<10)      // ~65 MB of small files
	add(100, 512<<10, 1536<<10) // ~100 MB of medium files
	add(4, 8<<20, 8<<20)        // 32 MB of large files
	return buildTar(tb, ents...), files, size
}

// benchDirs runs fn on the test's temporary directory ("disk") and on a
// fresh tmpfs ("tmpfs"), which shows the cost of Apply itself apart from the
// disk under it.
func benchDirs(b *testing.B, fn func(b *testing.B, base string)) {
	b.Run("disk", func(b *testing.B) { fn(b, b.TempDir()) })
	b.Run("tmpfs", func(b *testing.B) {
		base := b.TempDir()
		if err := unix.Mount("tmpfs", base, "tmpfs", 0, "size=1g"); err != nil {
			b.Fatalf("mount tmpfs: %v", err)
		}
		b.Cleanup(func() { unix.Unmount(base, unix.MNT_DETACH) })
		fn(b, base)
	})
}

// BenchmarkApply unpacks ~200 MB into a fresh directory per iteration and
// reports MB/s of tar stream consumed.
func BenchmarkApply(b *testing.B) {
	data, files, size := benchLayer(b)
	benchDirs(b, func(b *testing.B, base string) { benchApply(b, base, data, files, size) })
}

func benchApply(b *testing.B, base string, data []byte, files int, size int64) {
	b.SetBytes(int64(len(data)))
	for i := range b.N {
		dir := fmt.Sprintf("%s/%d", base, i)
		if err := os.Mkdir(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		st, err := archive.Apply(b.Context(), dir, bytes.NewReader(data))
		if err != nil {
			b.Fatalf("Apply() = %v", err)
		}
		if st.Size != size {
			b.Fatalf("Apply() wrote %d bytes, want %d", st.Size, size)
		}
		b.StopTimer()
		if err := os.RemoveAll(dir); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(files*b.N)/b.Elapsed().Seconds(), "files/s")
}

// BenchmarkApplySmallFiles unpacks 20,000 1 KiB files in 100 directories,
// the shape of a package-manager layer, and reports files/s.
func BenchmarkApplySmallFiles(b *testing.B) {
	var ents []ent
	body := string(bytes.Repeat([]byte("s"), 1024))
	for d := range 100 {
		ents = append(ents, dir(fmt.Sprintf("usr/share/d%03d/", d), 0o755))
		for f := range 200 {
			ents = append(ents, reg(fmt.Sprintf("usr/share/d%03d/f%03d", d, f), body, 0o644))
		}
	}
	data := buildTar(b, ents...)
	benchDirs(b, func(b *testing.B, base string) { benchApply(b, base, data, 20000, 20000*1024) })
}

// BenchmarkWriteDir archives the ~200 MB mixed tree of BenchmarkApply.
func BenchmarkWriteDir(b *testing.B) {
	data, _, _ := benchLayer(b)
	src := b.TempDir()
	if _, err := archive.Apply(b.Context(), src, bytes.NewReader(data)); err != nil {
		b.Fatalf("Apply() = %v", err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		if err := archive.WriteDir(b.Context(), io.Discard, src); err != nil {
			b.Fatalf("WriteDir() = %v", err)
		}
	}
}
