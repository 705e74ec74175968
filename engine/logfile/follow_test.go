package logfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestFollowAcrossRotation follows a log from before it exists while a
// writer fills it, rotating it every few KiB: the follower must get every
// record once, in order, and return once done is closed.
func TestFollowAcrossRotation(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
	}{
		{"no rotation", nil},
		{"rotation", []Option{MaxSize(4 << 10), MaxFiles(10000)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ctr.log")
			done := make(chan struct{})
			var out, errOut bytes.Buffer
			errc := make(chan error, 1)
			go func() {
				errc <- Copy(t.Context(), path, ReadOptions{Follow: true, Tail: AllLines, Done: done}, &out, &errOut)
			}()
			w, err := Create(path, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			const n = 20000
			for i := range n {
				s := Stdout
				if i%3 == 0 {
					s = Stderr
				}
				if err := w.Write(s, fmt.Appendf(nil, "%d\n", i)); err != nil {
					t.Fatal(err)
				}
				if i%5 == 0 {
					if err := w.Flush(); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			close(done)
			if err := <-errc; err != nil {
				t.Fatalf("Copy() = %v", err)
			}
			check := func(name, got string, want func(int) bool) {
				next := 0
				for _, f := range strings.Fields(got) {
					for next < n && !want(next) {
						next++
					}
					if v, _ := strconv.Atoi(f); v != next {
						t.Fatalf("%s: got %d, want %d (lost or duplicated)", name, v, next)
					}
					next++
				}
				for next < n && !want(next) {
					next++
				}
				if next != n {
					t.Fatalf("%s: ended before %d", name, next)
				}
			}
			check("stdout", out.String(), func(i int) bool { return i%3 != 0 })
			check("stderr", errOut.String(), func(i int) bool { return i%3 == 0 })
		})
	}
}

func TestFollowEnds(t *testing.T) {
	path := writeLog(t, t.TempDir(), []op{{Stdout, "before\n"}})
	t.Run("ctx", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		var out bytes.Buffer
		errc := make(chan error, 1)
		go func() { errc <- Copy(ctx, path, ReadOptions{Follow: true, Tail: AllLines}, &out, nil) }()
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Errorf("Copy() = %v, want context.Canceled", err)
		}
	})
	t.Run("until", func(t *testing.T) {
		var out bytes.Buffer
		err := Copy(t.Context(), path, ReadOptions{Follow: true, Tail: AllLines, Until: time.Now().Add(50 * time.Millisecond)}, &out, nil)
		if err != nil || out.String() != "before\n" {
			t.Errorf("Copy() = %q, %v; want before", out.String(), err)
		}
	})
	t.Run("done already closed", func(t *testing.T) {
		done := make(chan struct{})
		close(done)
		var out bytes.Buffer
		err := Copy(t.Context(), path, ReadOptions{Follow: true, Tail: 1, Done: done}, &out, nil)
		if err != nil || out.String() != "before\n" {
			t.Errorf("Copy() = %q, %v; want before", out.String(), err)
		}
	})
}

func TestLinesRefresh(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctr.log")
	w, err := Create(path, MaxSize(1<<10), MaxFiles(2))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.Write(Stdout, []byte("first\n"))
	w.Flush()
	l, err := OpenLines(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if lines, err := l.Last(10); err != nil || len(lines) != 1 {
		t.Fatalf("Last() = %v, %v", lines, err)
	}
	for i := range 200 {
		w.Write(Stderr, fmt.Appendf(nil, "line %d\n", i))
		w.Flush()
	}
	lines, err := l.Last(2)
	if err != nil || len(lines) != 2 || lines[1].Text != "line 199" {
		t.Fatalf("Last() after growth and rotation = %v, %v", lines, err)
	}
	// Only two files are kept: the first line is long gone.
	first, err := l.Read(l.Start(), 1)
	if err != nil || len(first) != 1 || first[0].Text == "first" {
		t.Errorf("first line = %v, %v; want a recent one", first, err)
	}
}
