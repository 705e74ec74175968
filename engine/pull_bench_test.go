package engine

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/klauspost/compress/gzip"

	"github.com/berth-dev/berth/store"
	"github.com/berth-dev/berth/test/imgtest"
)

// benchLayer builds a gzip-compressed layer of about size uncompressed
// bytes: mixed file sizes (many small, some medium, a few large) with
// content that compresses about as well as binaries do. It returns the
// compressed blob and the uncompressed size.
func benchLayer(b *testing.B, size int64) ([]byte, int64) {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	text := []byte(strings.Repeat("the quick brown fox jumps over the lazy dog; ", 100))
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	var total int64
	chunk := make([]byte, 4096)
	for i := 0; total < size; i++ {
		if i%100 == 0 {
			tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("d%03d/", i/100), Typeflag: tar.TypeDir, Mode: 0o755, ModTime: imgtest.Epoch()})
		}
		var n int64
		switch r := rng.IntN(100); {
		case r < 70:
			n = int64(512 + rng.IntN(16<<10))
		case r < 97:
			n = int64(64<<10 + rng.IntN(1<<20))
		default:
			n = int64(4<<20 + rng.IntN(12<<20))
		}
		h := &tar.Header{Name: fmt.Sprintf("d%03d/f%05d", i/100, i), Typeflag: tar.TypeReg, Mode: 0o644, Size: n, ModTime: imgtest.Epoch()}
		if err := tw.WriteHeader(h); err != nil {
			b.Fatal(err)
		}
		for left := n; left > 0; {
			k := min(left, int64(len(chunk)))
			// Half random, half text: compresses roughly 2:1.
			if rng.IntN(2) == 0 {
				for j := 0; j < int(k); j += 8 {
					v := rng.Uint64()
					for x := 0; x < 8 && j+x < int(k); x++ {
						chunk[j+x] = byte(v >> (8 * x))
					}
				}
				tw.Write(chunk[:k])
			} else {
				tw.Write(text[:k])
			}
			left -= k
		}
		total += n
	}
	tw.Close()
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.DefaultCompression)
	zw.Write(tarBuf.Bytes())
	zw.Close()
	return gz.Bytes(), total
}

// benchImageHost pushes a one-layer image of ~200 MB and returns the
// registry host, the blob and the layer's file bytes.
func benchImageHost(b *testing.B) (string, []byte, int64) {
	b.Helper()
	blob, size := benchLayer(b, 200<<20)
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(blob)), nil
	})
	if err != nil {
		b.Fatal(err)
	}
	img := imgtest.Image(b, nil, nil, imgtest.WithLayer(layer, "ADD big /"))
	host := imgtest.Registry(b)
	imgtest.Push(b, host, "bench/big:1", img)
	return host, blob, size
}

// BenchmarkPull200MB pulls a one-layer image with ~200 MB of files from an
// in-process loopback registry into a fresh store each iteration: fetch,
// digest check, blob write and fsync, gunzip, diff ID check, unpack,
// syncfs, record. MB/s counts uncompressed bytes.
func BenchmarkPull200MB(b *testing.B) {
	host, blob, size := benchImageHost(b)
	b.ReportMetric(float64(len(blob))/float64(size), "compressed/raw")
	b.SetBytes(size)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		dir, err := os.MkdirTemp("", "berth-bench-")
		if err != nil {
			b.Fatal(err)
		}
		st, err := store.Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		e := New(st, nil)
		b.StartTimer()
		if _, err := e.Pull(b.Context(), host+"/bench/big:1", PullOptions{}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		os.RemoveAll(dir)
		b.StartTimer()
	}
}

// BenchmarkGunzipWriteFloor is the floor BenchmarkPull200MB is measured
// against: decompress the same blob from memory and write its files with
// plain os calls, with no download, no hashing, no blob copy, no safety
// checks and no sync.
func BenchmarkGunzipWriteFloor(b *testing.B) {
	blob, size := benchLayer(b, 200<<20)
	b.SetBytes(size)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		dir, err := os.MkdirTemp("", "berth-floor-")
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		zr, err := gzip.NewReader(bytes.NewReader(blob))
		if err != nil {
			b.Fatal(err)
		}
		tr := tar.NewReader(zr)
		buf := make([]byte, 256<<10)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			p := filepath.Join(dir, h.Name)
			switch h.Typeflag {
			case tar.TypeDir:
				if err := os.MkdirAll(p, 0o755); err != nil {
					b.Fatal(err)
				}
			case tar.TypeReg:
				f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(h.Mode))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.CopyBuffer(f, tr, buf); err != nil {
					b.Fatal(err)
				}
				f.Close()
				os.Chtimes(p, h.ModTime, h.ModTime)
			}
		}
		b.StopTimer()
		os.RemoveAll(dir)
		b.StartTimer()
	}
}

// BenchmarkImages500 lists a store holding 500 images (what `berth
// images` does after opening the store).
func BenchmarkImages500(b *testing.B) {
	e := newImageTestEngine(b)
	layer := []byte("layer")
	diff := store.FromBytes(layer)
	if err := e.st.UpdateImageRefs(func(r *store.Refs) error {
		for i := range 500 {
			cfg := fmt.Appendf(nil, `{"architecture":"amd64","os":"linux","created":"%s","rootfs":{"type":"layers","diff_ids":["%s"]},"config":{"Cmd":["sh"]}}`,
				time.Unix(int64(1700000000+i), 0).UTC().Format(time.RFC3339), diff)
			id, err := e.st.PutBlobBytes(cfg)
			if err != nil {
				return err
			}
			img := store.Image{ID: id, Layers: []store.ImageLayer{{Digest: diff, DiffID: diff, Size: 5}}, Size: 5 << 20,
				Created: time.Unix(int64(1700000000+i), 0).UTC(), Added: time.Now().UTC()}
			if err := e.st.PutImage(img); err != nil {
				return err
			}
			r.Tags[fmt.Sprintf("docker.io/library/img%03d:latest", i)] = id
			r.Digests[fmt.Sprintf("docker.io/library/img%03d@%s", i, store.FromBytes(fmt.Append(nil, i)))] = id
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		imgs, err := e.Images(b.Context(), ListImagesOptions{})
		if err != nil || len(imgs) != 500 {
			b.Fatalf("Images = %d, %v", len(imgs), err)
		}
	}
}
