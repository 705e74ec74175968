package archive_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/berth-dev/berth/engine/archive"
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

// BenchmarkApply unpacks ~200 MB into a fresh directory per iteration and
// reports MB/s of tar stream consumed.
func BenchmarkApply(b *testing.B) {
	data, files, size := benchLayer(b)
	b.SetBytes(int64(len(data)))
	b.ReportMetric(float64(size)/(1<<20), "MB-content")
	base := b.TempDir()
	b.ResetTimer()
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
