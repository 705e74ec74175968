package logfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// ts is the timestamp Copy prints for the n-th record written by
// writeLog's clock (the first tick goes to the file header).
func ts(n int) string {
	return t0.Add(time.Duration(n) * time.Second).Format(timeLayout)
}

func TestCopyTimestampsAndPartialLines(t *testing.T) {
	tests := []struct {
		name    string
		ops     []op
		wantOut string
		wantErr string
	}{
		{
			name:    "line per record",
			ops:     []op{{Stdout, "a\n"}, {Stderr, "b\n"}, {Stdout, "c\n"}},
			wantOut: ts(1) + " a\n" + ts(3) + " c\n",
			wantErr: ts(2) + " b\n",
		},
		{
			name:    "several lines in one record share its time",
			ops:     []op{{Stdout, "a\nb\nc\n"}},
			wantOut: ts(1) + " a\n" + ts(1) + " b\n" + ts(1) + " c\n",
		},
		{
			name:    "line split over records has its first record's time",
			ops:     []op{{Stdout, "hel"}, {Stdout, "lo\nwor"}, {Stdout, "ld\n"}},
			wantOut: ts(1) + " hello\n" + ts(2) + " world\n",
		},
		{
			name:    "other stream in between",
			ops:     []op{{Stdout, "abc"}, {Stderr, "err\n"}, {Stdout, "def\n"}},
			wantOut: ts(1) + " abcdef\n",
			wantErr: ts(2) + " err\n",
		},
		{
			name:    "unterminated last line",
			ops:     []op{{Stdout, "done\nprompt> "}},
			wantOut: ts(1) + " done\n" + ts(1) + " prompt> ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeLog(t, t.TempDir(), tt.ops)
			var o, e bytes.Buffer
			if err := Copy(t.Context(), path, ReadOptions{Tail: AllLines, Timestamps: true}, &o, &e); err != nil {
				t.Fatalf("Copy() = %v", err)
			}
			if o.String() != tt.wantOut || e.String() != tt.wantErr {
				t.Errorf("Copy() stdout %q stderr %q, want %q %q", o.String(), e.String(), tt.wantOut, tt.wantErr)
			}
		})
	}
}

func TestCopyTimestampsBreakLongLines(t *testing.T) {
	long := strings.Repeat("x", MaxLine+10)
	path := writeLog(t, t.TempDir(), []op{{Stdout, long + "\n"}})
	var o bytes.Buffer
	if err := Copy(t.Context(), path, ReadOptions{Tail: AllLines, Timestamps: true}, &o, nil); err != nil {
		t.Fatal(err)
	}
	want := ts(1) + " " + long[:MaxLine] + "\n" + ts(1) + " " + long[MaxLine:] + "\n"
	if o.String() != want {
		t.Errorf("Copy() = %d bytes, want %d with the line broken at MaxLine", o.Len(), len(want))
	}
}

func TestLines(t *testing.T) {
	ops := []op{
		{Stdout, "one\ntwo\n"},
		{Stderr, "err one\n"},
		{Stdout, "thr"},
		{Stdout, "ee\nfo"},
		{Stderr, "err two\n"},
		{Stdout, "ur\n"},
		{Stdout, "five"},
	}
	path := writeLog(t, t.TempDir(), ops)
	l, err := OpenLines(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	type want struct {
		text    string
		stream  Stream
		partial bool
	}
	wantLines := []want{
		{"one", Stdout, false}, {"two", Stdout, false}, {"err one", Stderr, false},
		{"three", Stdout, false}, {"fo", Stdout, true}, {"err two", Stderr, false},
		{"ur", Stdout, false}, {"five", Stdout, true},
	}
	check := func(t *testing.T, lines []Line, want []want) {
		t.Helper()
		if len(lines) != len(want) {
			t.Fatalf("got %d lines, want %d: %v", len(lines), len(want), lines)
		}
		for i, ln := range lines {
			if ln.Text != want[i].text || ln.Stream != want[i].stream || ln.Partial != want[i].partial {
				t.Errorf("line %d = %q %v partial=%v, want %q %v partial=%v", i, ln.Text, ln.Stream, ln.Partial, want[i].text, want[i].stream, want[i].partial)
			}
			if i > 0 && lines[i-1].Next != ln.Pos {
				t.Errorf("line %d at %v, previous line's Next %v", i, ln.Pos, lines[i-1].Next)
			}
		}
	}
	t.Run("forward", func(t *testing.T) {
		lines, err := l.Read(l.Start(), 100)
		if err != nil {
			t.Fatal(err)
		}
		check(t, lines, wantLines)
	})
	t.Run("last", func(t *testing.T) {
		lines, err := l.Last(3)
		if err != nil {
			t.Fatal(err)
		}
		check(t, lines, wantLines[5:])
	})
	t.Run("backward one at a time", func(t *testing.T) {
		p, _ := l.End()
		var got []Line
		for {
			lines, err := l.ReadBefore(p, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(lines) == 0 {
				break
			}
			got = append(got, lines[0])
			p = lines[0].Pos
		}
		slices.Reverse(got)
		check(t, got, wantLines)
	})
	t.Run("window after a position", func(t *testing.T) {
		all, _ := l.Read(l.Start(), 100)
		lines, err := l.Read(all[3].Next, 2)
		if err != nil {
			t.Fatal(err)
		}
		check(t, lines, wantLines[4:6])
		before, err := l.ReadBefore(all[3].Pos, 2)
		if err != nil {
			t.Fatal(err)
		}
		check(t, before, wantLines[1:3])
	})
}

// TestLinesMatchRandomLog walks a random log with interleaved partial
// lines forwards and backwards and checks both walks agree and rebuild
// each stream's bytes.
func TestLinesMatchRandomLog(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var ops []op
	for range 2000 {
		var b strings.Builder
		for range rng.IntN(4) {
			b.WriteString(strings.Repeat("w", rng.IntN(60)))
			if rng.IntN(3) > 0 {
				b.WriteByte('\n')
			}
		}
		ops = append(ops, op{Stream(1 + rng.IntN(2)), b.String()})
	}
	path := writeLog(t, t.TempDir(), ops, MaxSize(16<<10), MaxFiles(1000))
	l, err := OpenLines(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	fwd, err := l.Read(l.Start(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	end, _ := l.End()
	back, err := l.ReadBefore(end, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(fwd) != len(back) {
		t.Fatalf("forward %d lines, backward %d", len(fwd), len(back))
	}
	for i := range fwd {
		if fwd[i] != back[i] {
			t.Fatalf("line %d forward %+v, backward %+v", i, fwd[i], back[i])
		}
	}
	// Search agrees with filtering the lines, both ways.
	m := MatchFunc(func(b []byte) bool { return len(b)%17 == 3 })
	var wantMatches []Line
	for _, ln := range fwd {
		if m.Match([]byte(ln.Text)) {
			wantMatches = append(wantMatches, ln)
		}
	}
	if len(wantMatches) < 10 {
		t.Fatalf("only %d lines match; the test needs more", len(wantMatches))
	}
	var gotFwd, gotBack []Line
	for p := l.Start(); ; {
		ln, err := l.Search(t.Context(), m, p, true)
		if errors.Is(err, ErrNotFound) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		gotFwd = append(gotFwd, ln)
		p = ln.Next
	}
	for p := end; ; {
		ln, err := l.Search(t.Context(), m, p, false)
		if errors.Is(err, ErrNotFound) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		gotBack = append(gotBack, ln)
		p = ln.Pos
	}
	slices.Reverse(gotBack)
	if !slices.Equal(gotFwd, wantMatches) || !slices.Equal(gotBack, wantMatches) {
		t.Errorf("search found %d forward, %d backward; want %d", len(gotFwd), len(gotBack), len(wantMatches))
	}
	var want [3]string
	for _, o := range ops {
		want[o.s] += o.data
	}
	var got [3]string
	for _, ln := range fwd {
		got[ln.Stream] += ln.Text
		if !ln.Partial {
			got[ln.Stream] += "\n"
		}
	}
	for _, s := range []Stream{Stdout, Stderr} {
		if got[s] != want[s] {
			t.Errorf("%v rebuilt from lines differs from what was written (%d vs %d bytes)", s, len(got[s]), len(want[s]))
		}
	}
}

func TestSearch(t *testing.T) {
	ops := []op{
		{Stdout, "alpha\nbeta\n"},
		{Stdout, "nee"},     // "needle" split over two records...
		{Stdout, "dle 1\n"}, // ...of the same stream: one line
		{Stderr, "needle 2\ngamma\n"},
		{Stdout, "half a nee"}, // split by the other stream:
		{Stderr, "delta\n"},    // two lines, no match
		{Stdout, "dle\n"},
		{Stdout, "last needle 3\n"},
	}
	path := writeLog(t, t.TempDir(), ops)
	l, err := OpenLines(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	needle := regexp.MustCompile(`needle \d`)
	var fwd []string
	var fwdLines []Line
	for p := l.Start(); ; {
		ln, err := l.Search(t.Context(), needle, p, true)
		if errors.Is(err, ErrNotFound) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		fwd = append(fwd, ln.Text)
		fwdLines = append(fwdLines, ln)
		p = ln.Next
	}
	if want := []string{"needle 1", "needle 2", "last needle 3"}; !slices.Equal(fwd, want) {
		t.Errorf("forward matches %q, want %q", fwd, want)
	}
	var back []string
	var backLines []Line
	p, _ := l.End()
	for {
		ln, err := l.Search(t.Context(), needle, p, false)
		if errors.Is(err, ErrNotFound) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		back = append(back, ln.Text)
		backLines = append(backLines, ln)
		p = ln.Pos
	}
	slices.Reverse(backLines)
	if !slices.Equal(fwdLines, backLines) {
		t.Errorf("backward matches %+v, forward %+v", backLines, fwdLines)
	}
	if want := []string{"last needle 3", "needle 2", "needle 1"}; !slices.Equal(back, want) {
		t.Errorf("backward matches %q, want %q", back, want)
	}
	if _, err := l.Search(t.Context(), Contains("absent"), l.Start(), true); !errors.Is(err, ErrNotFound) {
		t.Errorf("Search(absent) = %v, want ErrNotFound", err)
	}
}

func TestSinceUntil(t *testing.T) {
	var ops []op
	for i := range 50 {
		ops = append(ops, op{Stdout, fmt.Sprintf("line %d\n", i)})
	}
	path := writeLog(t, t.TempDir(), ops)
	// Record i (line i) has time t0 + (i+1)s.
	at := func(i int) time.Time { return t0.Add(time.Duration(i+1) * time.Second) }
	lines := func(from, to int) string {
		var b strings.Builder
		for i := from; i < to; i++ {
			fmt.Fprintf(&b, "line %d\n", i)
		}
		return b.String()
	}
	tests := []struct {
		name string
		opts ReadOptions
		want string
	}{
		{"since", ReadOptions{Tail: AllLines, Since: at(40)}, lines(40, 50)},
		{"since between records", ReadOptions{Tail: AllLines, Since: at(40).Add(-time.Millisecond)}, lines(40, 50)},
		{"until", ReadOptions{Tail: AllLines, Until: at(9)}, lines(0, 10)},
		{"since and until", ReadOptions{Tail: AllLines, Since: at(10), Until: at(12)}, lines(10, 13)},
		{"tail and since: tail wins", ReadOptions{Tail: 3, Since: at(10)}, lines(47, 50)},
		{"tail and since: since wins", ReadOptions{Tail: 30, Since: at(45)}, lines(45, 50)},
		{"tail 0", ReadOptions{Tail: 0}, ""},
		{"tail more than all", ReadOptions{Tail: 1000}, lines(0, 50)},
		{"since after the end", ReadOptions{Tail: AllLines, Since: at(100)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o bytes.Buffer
			if err := Copy(t.Context(), path, tt.opts, &o, io.Discard); err != nil {
				t.Fatalf("Copy() = %v", err)
			}
			if o.String() != tt.want {
				t.Errorf("Copy() = %q, want %q", o.String(), tt.want)
			}
		})
	}
}

func TestSeekTimeBisects(t *testing.T) {
	dir := t.TempDir()
	var ops []op
	chunk := strings.Repeat("q", 8<<10) + "\n"
	for range 2000 { // 16 MB
		ops = append(ops, op{Stdout, chunk})
	}
	path := writeLog(t, dir, ops)
	r := openReader(t, path)
	for _, i := range []int{0, 1, 999, 1500, 1999, 2000} {
		before := r.BytesRead()
		p, err := r.SeekTime(t0.Add(time.Duration(i+1) * time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(i * (len(chunk) + recOverhead)); p != want {
			t.Errorf("SeekTime(record %d) = %d, want %d", i, p, want)
		}
		if n := r.BytesRead() - before; n > 8<<20 {
			t.Errorf("SeekTime read %d bytes of a 16 MB log", n)
		}
	}
}

// TestTailReadsOnlyTheEnd checks that --tail on a large log reads a few
// windows from the end, not the log.
func TestTailReadsOnlyTheEnd(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ctr.log")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	line := []byte(strings.Repeat("a quite ordinary log line ", 3) + "\n")
	for i := 0; i < 64<<20/len(line); i++ {
		w.Write(Stdout, line)
	}
	w.Write(Stdout, []byte("tail 1\ntail 2\ntail 3\n"))
	w.Close()
	l, err := OpenLines(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	p, err := l.tailStart(3, func(Stream) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	lines, _ := l.Read(p, 5)
	if len(lines) != 3 || lines[0].Text != "tail 1" || lines[2].Text != "tail 3" {
		t.Fatalf("tail lines %v", lines)
	}
	if n := l.r.BytesRead(); n > 2*readChunk {
		t.Errorf("tail of a 64 MB log read %d bytes", n)
	}
	var o bytes.Buffer
	if err := Copy(t.Context(), path, ReadOptions{Tail: 2}, &o, nil); err != nil || o.String() != "tail 2\ntail 3\n" {
		t.Errorf("Copy(tail 2) = %q, %v", o.String(), err)
	}
}

// FuzzReader feeds arbitrary bytes as a log file, after a valid header or
// instead of one: readers must never panic or loop.
func FuzzReader(f *testing.F) {
	dir := f.TempDir()
	seed := writeLog(f, dir, []op{{Stdout, "hello\n"}, {Stderr, "wor"}, {Stderr, "ld\n"}, {Stdout, "x"}})
	good, _ := os.ReadFile(seed)
	f.Add(good[fileHeaderSize:], true)
	f.Add(good, false)
	f.Add(good[fileHeaderSize:len(good)-3], true)
	f.Add([]byte{}, true)
	hdr, err := decodeFileHeader(good)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, withHeader bool) {
		fuzzLog(t, hdr, data, withHeader)
	})
}

// fuzzLog is FuzzReader's body.
func fuzzLog(t *testing.T, hdr fileHeader, data []byte, withHeader bool) {
	p := filepath.Join(t.TempDir(), "ctr.log")
	content := data
	if withHeader {
		content = append(hdr.encode(), data...)
	}
	if err := os.WriteFile(p, content, 0o640); err != nil {
		t.Fatal(err)
	}
	r, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	for ; n < len(content)+2; n++ {
		if _, err := r.Next(); err != nil {
			break
		}
	}
	if n > len(content)/recOverhead+1 {
		t.Fatalf("Next returned %d records from %d bytes", n, len(content))
	}
	r.SeekEnd()
	for n = 0; n < len(content)+2; n++ {
		if _, err := r.Prev(); err != nil {
			break
		}
	}
	for _, off := range []int64{0, 1, int64(len(data) / 2), int64(len(data))} {
		r.SeekOffset(off)
		r.Next()
	}
	r.SeekTime(t0)
	l, err := OpenLines(p)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Last(5)
	l.Read(l.Start(), 5)
	l.Search(t.Context(), Contains("x"), l.Start(), true)
	end, _ := l.End()
	l.Search(t.Context(), Contains("x"), end, false)
	var o bytes.Buffer
	Copy(t.Context(), p, ReadOptions{Tail: 2, Timestamps: true}, &o, &o)
	// A Writer repairs whatever it finds, or refuses it.
	if w, err := Create(p); err == nil {
		w.Write(Stdout, []byte("after\n"))
		w.Close()
		r2, _ := Open(p)
		r2.SeekEnd()
		rec, err := r2.Prev()
		if err != nil || string(rec.Data) != "after\n" {
			t.Errorf("last record after repair = %q, %v", rec.Data, err)
		}
		r2.Close()
	}
}

func BenchmarkCopyAll(b *testing.B) {
	path := benchLog(b, 256<<20)
	size := fileSize(b, path)
	b.SetBytes(size)
	for b.Loop() {
		if err := Copy(b.Context(), path, ReadOptions{Tail: AllLines}, io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCopyTimestamps(b *testing.B) {
	path := benchLog(b, 64<<20)
	b.SetBytes(fileSize(b, path))
	for b.Loop() {
		if err := Copy(b.Context(), path, ReadOptions{Tail: AllLines, Timestamps: true}, io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTail(b *testing.B) {
	path := benchLog(b, 1<<30)
	b.Logf("log of %d bytes", fileSize(b, path))
	for b.Loop() {
		if err := Copy(b.Context(), path, ReadOptions{Tail: 100}, io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSearch(b *testing.B) {
	path := benchLog(b, 256<<20)
	l, err := OpenLines(path)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	b.SetBytes(fileSize(b, path))
	for b.Loop() {
		if _, err := l.Search(b.Context(), Contains("absent"), l.Start(), true); !errors.Is(err, ErrNotFound) {
			b.Fatal(err)
		}
	}
}

// benchLog writes a log of about size bytes of 100-byte lines written 4
// KiB at a time, alternating streams every 16 records.
func benchLog(b *testing.B, size int) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "ctr.log")
	w, err := Create(path)
	if err != nil {
		b.Fatal(err)
	}
	line := strings.Repeat("0123456789", 9) + "abcdefghi\n"
	chunk := []byte(strings.Repeat(line, 41))
	for i := 0; i < size/len(chunk); i++ {
		if err := w.Write(Stream(1+i/16%2), chunk); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

func BenchmarkSearchBackward(b *testing.B) {
	path := benchLog(b, 64<<20)
	l, err := OpenLines(path)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	b.SetBytes(fileSize(b, path))
	end, _ := l.End()
	for b.Loop() {
		if _, err := l.Search(b.Context(), Contains("absent"), end, false); !errors.Is(err, ErrNotFound) {
			b.Fatal(err)
		}
	}
}
