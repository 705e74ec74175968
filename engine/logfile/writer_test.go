package logfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	big := strings.Repeat("0123456789abcdef\n", 20000) // 340 KB: more than the buffer
	noNL := strings.Repeat("x", 3*MaxLine+5)           // a line longer than MaxLine
	tests := []struct {
		name string
		ops  []op
	}{
		{"interleaved", []op{{Stdout, "out 1\n"}, {Stderr, "err 1\n"}, {Stdout, "out 2\n"}, {Stderr, "err 2\n"}}},
		{"partial lines", []op{{Stdout, "abc"}, {Stderr, "e1\n"}, {Stdout, "def\nghi"}, {Stdout, "\n"}}},
		{"larger than buffer", []op{{Stdout, big}, {Stderr, "tail\n"}}},
		{"long line", []op{{Stderr, noNL}, {Stderr, "\n"}}},
		{"binary", []op{{Stdout, "\x00\xff\n\r\x1b[31m"}, {Stdout, ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeLog(t, t.TempDir(), tt.ops)
			var wantOut, wantErr string
			for _, o := range tt.ops {
				if o.s == Stdout {
					wantOut += o.data
				} else {
					wantErr += o.data
				}
			}
			r := openReader(t, path)
			recs := readForward(t, r)
			out, errs := streams(recs)
			if out != wantOut || errs != wantErr {
				t.Fatalf("records hold stdout %d bytes, stderr %d bytes; want %d, %d", len(out), len(errs), len(wantOut), len(wantErr))
			}
			for i := 1; i < len(recs); i++ {
				if recs[i].Time.Before(recs[i-1].Time) {
					t.Errorf("record %d time %v before record %d time %v", i, recs[i].Time, i-1, recs[i-1].Time)
				}
				if recs[i].Offset != recs[i-1].End() {
					t.Errorf("record %d at %d, want %d", i, recs[i].Offset, recs[i-1].End())
				}
			}
			var o, e bytes.Buffer
			if err := Copy(t.Context(), path, ReadOptions{Tail: AllLines}, &o, &e); err != nil {
				t.Fatalf("Copy() = %v", err)
			}
			if o.String() != wantOut || e.String() != wantErr {
				t.Errorf("Copy() wrote %q, %q; want %q, %q", trunc(o.String()), trunc(e.String()), trunc(wantOut), trunc(wantErr))
			}
		})
	}
}

func trunc(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

func TestBackwardIsReversedForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var ops []op
	for range 3000 {
		n := rng.IntN(3000)
		if rng.IntN(50) == 0 {
			n = rng.IntN(300 << 10)
		}
		ops = append(ops, op{Stream(1 + rng.IntN(2)), strings.Repeat("y", n) + "\n"})
	}
	path := writeLog(t, t.TempDir(), ops, MaxSize(2<<20), MaxFiles(100))
	r := openReader(t, path)
	fwd := readForward(t, r)
	back := readBackward(t, r)
	slices.Reverse(back)
	if len(fwd) != len(back) {
		t.Fatalf("forward %d records, backward %d", len(fwd), len(back))
	}
	for i := range fwd {
		if fwd[i].Offset != back[i].Offset || !bytes.Equal(fwd[i].Data, back[i].Data) || fwd[i].Stream != back[i].Stream || !fwd[i].Time.Equal(back[i].Time) {
			t.Fatalf("record %d: forward at %d, backward at %d", i, fwd[i].Offset, back[i].Offset)
		}
	}
	if n, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "ctr.log.*")); len(n) < 3 {
		t.Fatalf("rotated files %v, want several", n)
	}
}

// TestTornTail cuts the log at every byte of its last record, as a monitor
// killed mid-write would leave it: readers must see the records before it
// and nothing else, and a new Writer must cut the torn bytes and append
// after the last complete record.
func TestTornTail(t *testing.T) {
	dir := t.TempDir()
	path := writeLog(t, dir, []op{{Stdout, "one\n"}, {Stderr, "two\n"}, {Stdout, "three, the last record\n"}})
	full, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := openReader(t, path)
	all := readForward(t, r)
	lastStart := fileHeaderSize + all[2].Offset
	for cut := lastStart; cut < int64(len(full)); cut++ {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "ctr.log")
			if err := os.WriteFile(p, full[:cut], 0o640); err != nil {
				t.Fatal(err)
			}
			r := openReader(t, p)
			got := readForward(t, r)
			if len(got) != 2 || string(got[1].Data) != "two\n" {
				t.Fatalf("forward read %d records, want the 2 complete ones", len(got))
			}
			back := readBackward(t, r)
			if len(back) != 2 || string(back[0].Data) != "two\n" {
				t.Fatalf("backward read %d records, want the 2 complete ones", len(back))
			}
			l, err := OpenLines(p)
			if err != nil {
				t.Fatal(err)
			}
			lines, err := l.Last(5)
			l.Close()
			if err != nil || len(lines) != 2 || lines[1].Text != "two" {
				t.Fatalf("Last(5) = %v, %v; want lines one, two", lines, err)
			}

			w, err := Create(p)
			if err != nil {
				t.Fatalf("Create() = %v", err)
			}
			if got := fileSize(t, p); got != lastStart {
				t.Errorf("after Create size = %d, want %d", got, lastStart)
			}
			if err := w.Write(Stdout, []byte("four\n")); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got = readForward(t, openReader(t, p))
			if out, errs := streams(got); out != "one\nfour\n" || errs != "two\n" {
				t.Errorf("after repair and write: stdout %q stderr %q", out, errs)
			}
		})
	}
}

// TestReaderFollowsRepair reads a torn log with a Reader that stays open
// while a Writer repairs it and writes on: the Reader must continue with
// the new records.
func TestReaderFollowsRepair(t *testing.T) {
	dir := t.TempDir()
	path := writeLog(t, dir, []op{{Stdout, "one\n"}, {Stdout, "two, long enough to tear\n"}})
	full, _ := os.ReadFile(path)
	if err := os.WriteFile(path, full[:len(full)-10], 0o640); err != nil {
		t.Fatal(err)
	}
	r := openReader(t, path)
	if got := readForward(t, r); len(got) != 1 {
		t.Fatalf("read %d records, want 1", len(got))
	}
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(Stdout, []byte("three\n"))
	w.Close()
	rec, err := r.Next()
	if err != nil || string(rec.Data) != "three\n" {
		t.Fatalf("Next() = %q, %v; want three", rec.Data, err)
	}
}

func TestResync(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var ops []op
	for i := range 500 {
		ops = append(ops, op{Stream(1 + i%2), strings.Repeat(fmt.Sprint(i), rng.IntN(2000)) + "\n"})
	}
	path := writeLog(t, t.TempDir(), ops)
	r := openReader(t, path)
	recs := readForward(t, r)
	end, _ := r.End()
	for range 2000 {
		off := rng.Int64N(end + 10)
		got, err := r.SeekOffset(off)
		if err != nil {
			t.Fatalf("SeekOffset(%d) = %v", off, err)
		}
		want := end
		if i, _ := slices.BinarySearchFunc(recs, off, func(r Record, o int64) int { return int(r.Offset - o) }); i < len(recs) {
			want = recs[i].Offset
		}
		if got != want {
			t.Fatalf("SeekOffset(%d) = %d, want %d", off, got, want)
		}
		if got < end {
			rec, err := r.Next()
			if err != nil || rec.Offset != want {
				t.Fatalf("Next() after SeekOffset(%d) = %d, %v", off, rec.Offset, err)
			}
		}
	}
}

// TestForgedRecords writes container output that imitates records with
// wrong sync words: readers must return it as data.
func TestForgedRecords(t *testing.T) {
	dir := t.TempDir()
	fake := make([]byte, recOverhead+5)
	putRecHeader(fake, 0x01020304, recHeader{length: 5, time: 1, stream: Stderr})
	copy(fake[recHeaderSize:], "fake\n")
	putRecTrailer(fake[recHeaderSize+5:], 0x01020304, 5)
	payload := strings.Repeat(string(fake), 100)
	path := writeLog(t, dir, []op{{Stdout, payload}})
	r := openReader(t, path)
	for _, off := range []int64{1, 7, 100, 1000} {
		if p, err := r.SeekOffset(off); err != nil || p != int64(recOverhead+len(payload)) {
			t.Errorf("SeekOffset(%d) = %d, %v; want the end", off, p, err)
		}
	}
	out, errs := streams(readForward(t, r))
	if out != payload || errs != "" {
		t.Errorf("stdout %d bytes, stderr %q; want the payload on stdout", len(out), errs)
	}
}

func TestRotation(t *testing.T) {
	tests := []struct {
		name     string
		maxFiles int
	}{
		{"keep 3", 3},
		{"keep 1", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var ops []op
			var all string
			for i := range 400 {
				s := fmt.Sprintf("line %04d %s\n", i, strings.Repeat("z", 200))
				ops = append(ops, op{Stdout, s})
				all += s
			}
			path := writeLog(t, dir, ops, MaxSize(10<<10), MaxFiles(tt.maxFiles))
			names, _ := filepath.Glob(filepath.Join(dir, "ctr.log*"))
			want := []string{path}
			for i := 1; i < tt.maxFiles; i++ {
				want = append(want, fmt.Sprintf("%s.%d", path, i))
			}
			slices.Sort(names)
			if !slices.Equal(names, want) {
				t.Fatalf("files %v, want %v", names, want)
			}
			for _, n := range names {
				if s := fileSize(t, n); s > 10<<10 {
					t.Errorf("%s is %d bytes, over max-size", n, s)
				}
			}
			r := openReader(t, path)
			recs := readForward(t, r)
			out, _ := streams(recs)
			if !strings.HasSuffix(all, out) || len(out) == 0 {
				t.Fatalf("read %d bytes, not a suffix of what was written", len(out))
			}
			for i := 1; i < len(recs); i++ {
				if recs[i].Offset != recs[i-1].End() {
					t.Fatalf("record %d at %d, want %d", i, recs[i].Offset, recs[i-1].End())
				}
			}
			// Offsets are logical: the last record's offset counts
			// everything ever written.
			last := recs[len(recs)-1]
			if want := int64(len(all) + len(ops)*recOverhead); last.End() != want {
				t.Errorf("end offset %d, want %d", last.End(), want)
			}
		})
	}
}

// TestRotationBigWrites writes more than max-size at once: the writes are
// cut into records that fit a file, so no file grows past max-size and the
// newest data survives whole.
func TestRotationBigWrites(t *testing.T) {
	dir := t.TempDir()
	var ops []op
	var all string
	for i := range 8 {
		s := strings.Repeat(fmt.Sprintf("%d", i), 40<<10) + "\n"
		ops = append(ops, op{Stdout, s})
		all += s
	}
	path := writeLog(t, dir, ops, MaxSize(16<<10), MaxFiles(2), BufferSize(256<<10))
	names, _ := filepath.Glob(filepath.Join(dir, "ctr.log*"))
	if len(names) != 2 {
		t.Fatalf("files %v, want 2", names)
	}
	for _, n := range names {
		if s := fileSize(t, n); s > 16<<10 {
			t.Errorf("%s is %d bytes, over max-size", n, s)
		}
	}
	out, _ := streams(readForward(t, openReader(t, path)))
	if len(out) == 0 || !strings.HasSuffix(all, out) {
		t.Fatalf("read %d bytes, not a suffix of what was written", len(out))
	}
}

// TestWriteDoesNotAllocate checks the capture path allocates nothing per
// write: the Writer's memory is its one buffer.
func TestWriteDoesNotAllocate(t *testing.T) {
	w, err := Create(filepath.Join(t.TempDir(), "ctr.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	chunk := bytes.Repeat([]byte("some output\n"), 300)
	sw := w.StreamWriter(Stderr)
	if n := testing.AllocsPerRun(1000, func() { sw.Write(chunk) }); n != 0 {
		t.Errorf("Write allocates %v times per call, want 0", n)
	}
}

func TestCreateBusy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctr.log")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := Create(path); !errors.Is(err, ErrBusy) {
		t.Errorf("second Create() = %v, want ErrBusy", err)
	}
}

func TestCreateBadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctr.log")
	os.WriteFile(path, []byte(strings.Repeat("not a log at all\n", 4)), 0o640)
	if _, err := Create(path); !errors.Is(err, ErrBadHeader) {
		t.Errorf("Create() = %v, want ErrBadHeader", err)
	}
}

func TestParseOptions(t *testing.T) {
	tests := []struct {
		in      []string
		size    int64
		files   int
		wantErr bool
	}{
		{[]string{"max-size=10m", "max-file=3"}, 10 << 20, 3, false},
		{[]string{"max-size=512k"}, 512 << 10, 1, false},
		{[]string{"max-size=1g"}, 1 << 30, 1, false},
		{[]string{"max-size=2000"}, 2000, 1, false},
		{[]string{"max-file=3"}, 0, 0, true},
		{[]string{"max-size=ten"}, 0, 0, true},
		{[]string{"max-size=-1"}, 0, 0, true},
		{[]string{"max-file=0", "max-size=1m"}, 0, 0, true},
		{[]string{"compress=true"}, 0, 0, true},
		{[]string{"max-size"}, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.in, ","), func(t *testing.T) {
			opts, err := ParseOptions(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalid) {
					t.Errorf("ParseOptions() = %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseOptions() = %v", err)
			}
			o := makeOptions(opts)
			if o.maxSize != tt.size || o.maxFiles != tt.files {
				t.Errorf("ParseOptions() gives size %d files %d, want %d %d", o.maxSize, o.maxFiles, tt.size, tt.files)
			}
		})
	}
}

// TestReadFromFlushesWhenDrained checks that output reaches the file as
// soon as the container stops writing, without closing the pipe.
func TestReadFromFlushesWhenDrained(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ctr.log")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(w.StreamWriter(Stderr), pr)
		done <- err
	}()
	wt, err := Watch(path)
	if err != nil {
		t.Fatal(err)
	}
	defer wt.Close()
	r := openReader(t, path)
	if _, err := pw.Write([]byte("password: ")); err != nil {
		t.Fatal(err)
	}
	for {
		rec, err := r.Next()
		if err == nil {
			if string(rec.Data) != "password: " || rec.Stream != Stderr {
				t.Fatalf("got %q on %v", rec.Data, rec.Stream)
			}
			break
		}
		if err != io.EOF {
			t.Fatal(err)
		}
		if err := wt.Wait(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	pw.Close()
	if err := <-done; err != nil {
		t.Fatalf("io.Copy() = %v", err)
	}
	w.Close()
}

// TestWriterSplitsLongLines checks the MaxLine rule: records never carry
// a line longer than MaxLine, and readers show the break.
func TestWriterSplitsLongLines(t *testing.T) {
	long := strings.Repeat("a", MaxLine*2+100)
	path := writeLog(t, t.TempDir(), []op{{Stdout, "short\n" + long[:MaxLine]}, {Stdout, long[MaxLine:] + "\nend\n"}})
	l, err := OpenLines(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	lines, err := l.Read(l.Start(), 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, ln := range lines {
		got = append(got, len(ln.Text))
	}
	if want := []int{5, MaxLine, MaxLine, 100, 3}; !slices.Equal(got, want) {
		t.Errorf("line lengths %v, want %v", got, want)
	}
}

func BenchmarkWrite(b *testing.B) {
	for _, size := range []int{4 << 10, 64 << 10} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			line := []byte(strings.Repeat("benchmark output line of some length\n", 1+size/37))[:size]
			w, err := Create(filepath.Join(b.TempDir(), "ctr.log"))
			if err != nil {
				b.Fatal(err)
			}
			sw := w.StreamWriter(Stdout)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := sw.Write(line); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkCapture measures the monitor's real path: a process writes into
// a pipe in chunks, io.Copy moves it into the log through ReadFrom.
func BenchmarkCapture(b *testing.B) {
	for _, size := range []int{4 << 10, 64 << 10} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			chunk := bytes.Repeat([]byte("captured output line, quite ordinary\n"), 1+size/37)[:size]
			w, err := Create(filepath.Join(b.TempDir(), "ctr.log"))
			if err != nil {
				b.Fatal(err)
			}
			pr, pw, err := os.Pipe()
			if err != nil {
				b.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				_, err := io.Copy(w.StreamWriter(Stdout), pr)
				done <- err
			}()
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := pw.Write(chunk); err != nil {
					b.Fatal(err)
				}
			}
			pw.Close()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
			w.Close()
		})
	}
}
