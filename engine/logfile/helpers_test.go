package logfile

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// op is one write in a test log.
type op struct {
	s    Stream
	data string
}

// fakeClock returns a clock that ticks one second per call, from t0.
func fakeClock(t0 time.Time) func() time.Time {
	n := 0
	return func() time.Time {
		n++
		return t0.Add(time.Duration(n-1) * time.Second)
	}
}

var t0 = time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)

// writeLog creates a log at dir/ctr.log with one Write per op, flushing
// after each so every op is one record (or more, if split).
func writeLog(t testing.TB, dir string, ops []op, opts ...Option) string {
	t.Helper()
	path := filepath.Join(dir, "ctr.log")
	opts = append([]Option{Clock(fakeClock(t0))}, opts...)
	w, err := Create(path, opts...)
	if err != nil {
		t.Fatalf("Create() = %v", err)
	}
	for _, o := range ops {
		if err := w.Write(o.s, []byte(o.data)); err != nil {
			t.Fatalf("Write() = %v", err)
		}
		if err := w.Flush(); err != nil {
			t.Fatalf("Flush() = %v", err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	return path
}

// copyRec is a Record with its data copied.
func copyRec(r Record) Record {
	r.Data = bytes.Clone(r.Data)
	return r
}

func readForward(t testing.TB, r *Reader) []Record {
	t.Helper()
	r.SeekStart()
	var out []Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("Next() = %v", err)
		}
		out = append(out, copyRec(rec))
	}
}

func readBackward(t testing.TB, r *Reader) []Record {
	t.Helper()
	if _, err := r.SeekEnd(); err != nil {
		t.Fatalf("SeekEnd() = %v", err)
	}
	var out []Record
	for {
		rec, err := r.Prev()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("Prev() = %v", err)
		}
		out = append(out, copyRec(rec))
	}
}

func openReader(t testing.TB, path string) *Reader {
	t.Helper()
	r, err := Open(path)
	if err != nil {
		t.Fatalf("Open(%s) = %v", path, err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// streams concatenates the records' data per stream.
func streams(recs []Record) (string, string) {
	var out, errb bytes.Buffer
	for _, r := range recs {
		if r.Stream == Stdout {
			out.Write(r.Data)
		} else {
			errb.Write(r.Data)
		}
	}
	return out.String(), errb.String()
}

func fileSize(t testing.TB, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}
