package pty

import (
	"io"
	"sync"
	"time"
)

// DefaultTimeout is how long a DetachReader holds back a partial detach
// sequence without further input before passing it through.
const DefaultTimeout = 300 * time.Millisecond

// defaultReadSize is the size of the buffer a DetachReader reads into; large
// enough that a paste arrives in one piece.
const defaultReadSize = 32 << 10

// Option configures a DetachReader.
type Option func(*options)

type options struct {
	timeout  time.Duration
	readSize int
}

func makeOptions(opts []Option) options {
	o := options{timeout: DefaultTimeout, readSize: defaultReadSize}
	for _, opt := range opts {
		opt(&o)
	}
	if o.readSize <= 0 {
		o.readSize = defaultReadSize
	}
	return o
}

// WithTimeout sets how long a partial detach sequence is held back without
// further input before it is passed through (DefaultTimeout by default). A
// duration of zero or less holds it until the next key or end of input, as
// docker does.
func WithTimeout(d time.Duration) Option {
	return func(o *options) { o.timeout = d }
}

// WithReadSize sets the size of the buffer used to read from the underlying
// reader (32 KiB by default).
func WithReadSize(n int) Option {
	return func(o *options) { o.readSize = n }
}

// readResult is one Read of the underlying reader, handed from the pump
// goroutine to DetachReader.Read.
type readResult struct {
	b   []byte
	err error
}

// DetachReader wraps the input of an attaching client (normally the user's
// terminal in raw mode) and removes the detach-key sequence from it. Read
// returns the bytes to forward to the container; once the whole sequence has
// been typed it returns ErrDetached, after delivering the bytes that preceded
// the sequence. The sequence itself is never returned.
//
// A partial sequence is held back until the next byte shows whether it
// completes, until the timeout passes without further input (so a lone
// Ctrl-P still reaches the container), or until end of input, where it is
// returned before io.EOF.
//
// To let the timeout fire while the underlying Read blocks, DetachReader
// reads from r in a goroutine that it owns. The goroutine starts on the first
// Read, reads ahead at most one buffer, stops reading once the sequence has
// matched, and is stopped by Close. Read must not be called concurrently with
// itself; Close may be called at any time.
type DetachReader struct {
	r       io.Reader
	m       *Matcher
	timeout time.Duration
	size    int

	results chan readResult
	ack     chan struct{}
	done    chan struct{}
	wg      sync.WaitGroup

	mu      sync.Mutex // guards started and closed
	started bool
	closed  bool

	// State owned by Read.
	buf       []byte // backing store for pending
	pending   []byte // output not yet returned
	detached  bool
	err       error // error from r, returned once pending is empty
	lastInput time.Time
}

// NewDetachReader returns a DetachReader that reads from r and detaches on
// keys (as returned by ParseKeys). With empty keys it never detaches.
func NewDetachReader(r io.Reader, keys []byte, opts ...Option) *DetachReader {
	o := makeOptions(opts)
	return &DetachReader{
		r:       r,
		m:       NewMatcher(keys),
		timeout: o.timeout,
		size:    o.readSize,
		results: make(chan readResult),
		ack:     make(chan struct{}),
		done:    make(chan struct{}),
	}
}

// start launches the pump goroutine once, unless the reader is closed.
func (d *DetachReader) start() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.started || d.closed {
		return
	}
	d.started = true
	d.wg.Go(d.pump)
}

// pump reads from the underlying reader and hands each result to Read. It
// reuses one buffer: after a successful send it waits until Read has copied
// what it needs. It ends after an error from r or when done is closed.
func (d *DetachReader) pump() {
	buf := make([]byte, d.size)
	for {
		n, err := d.r.Read(buf)
		select {
		case d.results <- readResult{b: buf[:n], err: err}:
		case <-d.done:
			return
		}
		if err != nil {
			return
		}
		select {
		case <-d.ack:
		case <-d.done:
			return
		}
	}
}

// Read reads input with the detach sequence removed. It returns ErrDetached
// once the sequence has matched and on every later call, the underlying
// reader's error (such as io.EOF) once input has ended and any held bytes
// were returned, and ErrClosed after Close.
func (d *DetachReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if len(d.pending) > 0 {
			n := copy(p, d.pending)
			d.pending = d.pending[n:]
			return n, nil
		}
		select {
		case <-d.done:
			return 0, ErrClosed
		default:
		}
		if d.detached {
			return 0, ErrDetached
		}
		if d.err != nil {
			return 0, d.err
		}
		d.start()

		var (
			timer   *time.Timer
			timeout <-chan time.Time
		)
		if d.m.Holding() && d.timeout > 0 {
			timer = time.NewTimer(d.timeout - time.Since(d.lastInput))
			timeout = timer.C
		}
		select {
		case res := <-d.results:
			out, detached := d.m.Feed(res.b)
			d.setPending(out)
			switch {
			case detached:
				// Leave the pump waiting for an ack it never gets: no
				// more input is consumed after the sequence.
				d.detached = true
			case res.err != nil:
				d.pending = append(d.pending, d.m.Flush()...)
				d.err = res.err
			default:
				d.lastInput = time.Now()
				select {
				case d.ack <- struct{}{}:
				case <-d.done:
				}
			}
		case <-timeout:
			d.setPending(d.m.Flush())
		case <-d.done:
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// setPending copies b into the reader's own buffer as the pending output.
func (d *DetachReader) setPending(b []byte) {
	d.buf = append(d.buf[:0], b...)
	d.pending = d.buf
}

// deadliner is implemented by readers whose blocking Read can be interrupted,
// such as net.Conn and pollable *os.File values.
type deadliner interface {
	SetReadDeadline(t time.Time) error
}

// Close stops the reader: a pending or later Read returns ErrClosed, and the
// pump goroutine ends. If the underlying reader has a SetReadDeadline method
// (a net.Conn, or an *os.File opened non-blocking such as the one from
// PollableInput), Close sets a deadline in the past to interrupt its pending
// Read and waits for the goroutine to exit; the caller must clear the deadline
// before reusing that reader. Otherwise the goroutine exits, discarding what
// it read, as soon as its pending Read returns. Close does not close the
// underlying reader and is idempotent.
func (d *DetachReader) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	close(d.done)
	started := d.started
	d.mu.Unlock()

	if !started {
		return nil
	}
	if dl, ok := d.r.(deadliner); ok && dl.SetReadDeadline(time.Unix(1, 0)) == nil {
		d.wg.Wait()
	}
	return nil
}
