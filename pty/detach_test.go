package pty

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// step is one action in a DetachReader scenario: write some input, close the
// input, or read and expect a result.
type step struct {
	write   string // bytes written to the underlying pipe in one Write
	eof     bool   // close the write end
	read    string // expected bytes from one Read
	readErr error  // expected error from one Read (with no bytes)
	elapsed time.Duration
}

func TestDetachReader(t *testing.T) {
	pq := []byte{ctrlP, ctrlQ}
	tests := []struct {
		name  string
		keys  []byte
		opts  []Option
		steps []step
	}{
		{
			name: "sequence in one read",
			keys: pq,
			steps: []step{
				{write: "ls\x10\x11rm"},
				{read: "ls"},
				{readErr: ErrDetached},
				{readErr: ErrDetached},
			},
		},
		{
			name: "sequence as separate keys",
			keys: pq,
			steps: []step{
				{write: "\x10"},
				{write: "\x11"},
				{readErr: ErrDetached},
			},
		},
		{
			name: "double prefix passes the first through",
			keys: pq,
			steps: []step{
				{write: "\x10"},
				{write: "\x10"},
				{read: "\x10"},
				{write: "\x11"},
				{readErr: ErrDetached},
			},
		},
		{
			name: "non-matching key flushes prefix then key",
			keys: pq,
			steps: []step{
				{write: "\x10"},
				{write: "x"},
				{read: "\x10x"},
			},
		},
		{
			name: "lone prefix flushed after default timeout",
			keys: pq,
			steps: []step{
				{write: "a\x10"},
				{read: "a"},
				{read: "\x10", elapsed: DefaultTimeout},
				{write: "\x11"},
				{read: "\x11"},
			},
		},
		{
			name: "custom timeout",
			keys: pq,
			opts: []Option{WithTimeout(50 * time.Millisecond)},
			steps: []step{
				{write: "\x10"},
				{read: "\x10", elapsed: 50 * time.Millisecond},
			},
		},
		{
			name: "held prefix flushed before EOF",
			keys: pq,
			steps: []step{
				{write: "\x10"},
				{eof: true},
				{read: "\x10"},
				{readErr: io.EOF},
			},
		},
		{
			name: "empty keys never detach",
			keys: nil,
			steps: []step{
				{write: "\x10\x11"},
				{read: "\x10\x11"},
				{eof: true},
				{readErr: io.EOF},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				in := newChanReader()
				defer in.close()
				d := NewDetachReader(in, tt.keys, tt.opts...)
				defer d.Close()
				buf := make([]byte, 64)
				for i, s := range tt.steps {
					switch {
					case s.write != "":
						in.c <- []byte(s.write)
						synctest.Wait()
					case s.eof:
						in.close()
					default:
						start := time.Now()
						n, err := d.Read(buf)
						if got := string(buf[:n]); got != s.read || !errors.Is(err, s.readErr) {
							t.Fatalf("step %d: Read() = %q, %v; want %q, %v", i, got, err, s.read, s.readErr)
						}
						if el := time.Since(start); el != s.elapsed {
							t.Errorf("step %d: Read() took %v, want %v", i, el, s.elapsed)
						}
					}
				}
			})
		})
	}
}

// TestDetachReaderTimeoutRestarts checks that the timeout counts from the last
// input: a prefix of a longer sequence typed slowly still matches.
func TestDetachReaderTimeoutRestarts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		in := newChanReader()
		defer in.close()
		d := NewDetachReader(in, []byte("abc"))
		defer d.Close()
		go func() {
			for _, c := range []string{"a", "b", "c"} {
				time.Sleep(DefaultTimeout - time.Millisecond)
				in.c <- []byte(c)
			}
		}()
		n, err := d.Read(make([]byte, 8))
		if n != 0 || !errors.Is(err, ErrDetached) {
			t.Errorf("Read() = %d, %v; want 0, ErrDetached", n, err)
		}
	})
}

// TestDetachReaderStopsReading checks that nothing after the sequence is
// consumed from the underlying reader.
func TestDetachReaderStopsReading(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		in := newChanReader()
		d := NewDetachReader(in, []byte{ctrlP, ctrlQ})
		in.c <- []byte{ctrlP, ctrlQ}
		if _, err := d.Read(make([]byte, 8)); !errors.Is(err, ErrDetached) {
			t.Fatalf("Read() error = %v, want ErrDetached", err)
		}
		in.c <- []byte("next")
		synctest.Wait()
		if len(in.c) != 1 {
			t.Error("input after the detach sequence was consumed")
		}
		d.Close()
		in.close()
	})
}

func TestDetachReaderClose(t *testing.T) {
	t.Run("unblocks pending read", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			in := newChanReader()
			defer in.close()
			d := NewDetachReader(in, []byte{ctrlP, ctrlQ})
			errc := make(chan error)
			go func() {
				_, err := d.Read(make([]byte, 8))
				errc <- err
			}()
			synctest.Wait()
			d.Close()
			if err := <-errc; !errors.Is(err, ErrClosed) {
				t.Errorf("Read() error = %v, want ErrClosed", err)
			}
			if _, err := d.Read(make([]byte, 8)); !errors.Is(err, ErrClosed) {
				t.Errorf("Read() after Close error = %v, want ErrClosed", err)
			}
		})
	})
	t.Run("interrupts reader with deadline", func(t *testing.T) {
		// net.Pipe supports read deadlines, so Close must stop the pump
		// goroutine itself; synctest fails the test if it is left blocked.
		synctest.Test(t, func(t *testing.T) {
			c1, c2 := net.Pipe()
			defer c2.Close()
			defer c1.Close()
			d := NewDetachReader(c1, []byte{ctrlP, ctrlQ})
			go c2.Write([]byte("x"))
			n, err := d.Read(make([]byte, 8))
			if n != 1 || err != nil {
				t.Fatalf("Read() = %d, %v; want 1, nil", n, err)
			}
			synctest.Wait() // pump is now blocked reading c1
			d.Close()
			d.Close()
		})
	})
	t.Run("before first read", func(t *testing.T) {
		d := NewDetachReader(eofReader{}, nil)
		if err := d.Close(); err != nil {
			t.Fatalf("Close() = %v", err)
		}
		if _, err := d.Read(make([]byte, 1)); !errors.Is(err, ErrClosed) {
			t.Errorf("Read() after Close error = %v, want ErrClosed", err)
		}
	})
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// chanReader returns one queued chunk per Read, and io.EOF once c is closed
// and drained. Writers never block (up to the channel's capacity), and a
// Read waiting on it is durably blocked for synctest.
type chanReader struct {
	c    chan []byte
	once sync.Once
}

func (r *chanReader) close() { r.once.Do(func() { close(r.c) }) }

func newChanReader() *chanReader { return &chanReader{c: make(chan []byte, 16)} }

func (r *chanReader) Read(p []byte) (int, error) {
	b, ok := <-r.c
	if !ok {
		return 0, io.EOF
	}
	if len(b) > len(p) {
		panic("chanReader: chunk larger than read buffer")
	}
	return copy(p, b), nil
}
