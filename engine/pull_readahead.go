package engine

import (
	"errors"
	"io"
	"sync"
)

// errReadAheadClosed is what a read from a closed readAhead returns.
var errReadAheadClosed = errors.New("read-ahead closed")

// readAhead reads its source in its own goroutine into a few large
// buffers, so the stages of a layer pull (network and blob write, gunzip,
// hash and unpack) run at the same time instead of taking turns as they
// would through an io.Pipe.
type readAhead struct {
	full chan raChunk
	free chan []byte
	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup

	cur []byte
	off int
	err error
	// srcErr is the source's error other than io.EOF, once seen by Read.
	srcErr error
}

type raChunk struct {
	b   []byte
	err error
}

// newReadAhead starts reading r into n buffers of size bytes. The caller
// must Close it; Close waits for the goroutine, so whatever blocks r's
// Read must be cancelled first.
func newReadAhead(r io.Reader, n, size int) *readAhead {
	ra := &readAhead{full: make(chan raChunk, n), free: make(chan []byte, n), done: make(chan struct{})}
	for range n {
		ra.free <- make([]byte, size)
	}
	ra.wg.Go(func() {
		for {
			var buf []byte
			select {
			case buf = <-ra.free:
			case <-ra.done:
				return
			}
			var n int
			var err error
			for n < len(buf) && err == nil {
				var k int
				k, err = r.Read(buf[n:])
				n += k
			}
			select {
			case ra.full <- raChunk{b: buf[:n], err: err}:
			case <-ra.done:
				return
			}
			if err != nil {
				return
			}
		}
	})
	return ra
}

// Read returns the source's bytes in order, then its error.
func (ra *readAhead) Read(p []byte) (int, error) {
	for ra.off >= len(ra.cur) {
		if ra.err != nil {
			return 0, ra.err
		}
		if ra.cur != nil {
			ra.free <- ra.cur[:cap(ra.cur)]
			ra.cur = nil
		}
		select {
		case c := <-ra.full:
			ra.cur, ra.off, ra.err = c.b, 0, c.err
			if c.err != nil && c.err != io.EOF {
				ra.srcErr = c.err
			}
		case <-ra.done:
			return 0, errReadAheadClosed
		}
	}
	n := copy(p, ra.cur[ra.off:])
	ra.off += n
	return n, nil
}

// Close stops the goroutine and waits for it. It is idempotent.
func (ra *readAhead) Close() error {
	ra.once.Do(func() { close(ra.done) })
	ra.wg.Wait()
	return nil
}

// drainAfter reads r to its end, then reads rest to its end before
// reporting io.EOF: bytes after a compressed stream still belong to the
// blob and its digest.
type drainAfter struct {
	r, rest io.Reader
}

func (d *drainAfter) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err == io.EOF {
		if _, derr := io.Copy(io.Discard, d.rest); derr != nil {
			return n, derr
		}
	}
	return n, err
}
