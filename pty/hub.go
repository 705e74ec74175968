package pty

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// DefaultReplay is the replay buffer size a monitor normally gives
	// NewHub: enough to redraw a full-screen program, small enough that
	// attaching to a container that wrote gigabytes is instant.
	DefaultReplay = 64 << 10

	// DefaultQueueLimit is how many bytes of live output a client may fall
	// behind before the hub disconnects it.
	DefaultQueueLimit = 4 << 20

	// laggedWriteTimeout bounds how long the hub keeps trying to tell a
	// disconnected slow client why, so its Serve returns even if the client
	// never reads again.
	laggedWriteTimeout = 5 * time.Second

	// maxOutputFrame bounds the payload of the output frames the hub
	// sends; larger writes are split.
	maxOutputFrame = 32 << 10

	// replayChunk is the size up to which consecutive writes to the same
	// stream share one replay chunk.
	replayChunk = 4 << 10
)

// HubOption configures a Hub.
type HubOption func(*hubOptions)

type hubOptions struct {
	queueLimit int
}

func makeHubOptions(opts []HubOption) hubOptions {
	o := hubOptions{queueLimit: DefaultQueueLimit}
	for _, opt := range opts {
		opt(&o)
	}
	if o.queueLimit <= 0 {
		o.queueLimit = DefaultQueueLimit
	}
	return o
}

// WithQueueLimit sets how many bytes of live output a client may fall behind
// before the hub disconnects it (DefaultQueueLimit by default). The replay
// sent on attach does not count against it.
func WithQueueLimit(n int) HubOption {
	return func(o *hubOptions) { o.queueLimit = n }
}

// Hub is the server side of attach: the monitor feeds it the container's
// output with Write and serves each connection on attach.sock with Serve.
// It keeps a bounded replay of the most recent output for clients that ask
// for it and fans live output out to every attached client.
//
// Write never blocks on a client. Each client has its own queue; a client
// that is more than the queue limit behind when new output arrives is
// disconnected (its
// Serve returns ErrSlowClient) rather than sent output with holes in it,
// since dropped bytes would silently corrupt a terminal's state. Other
// clients and the container are unaffected. A Hub is safe for concurrent use.
type Hub struct {
	queueLimit int

	mu         sync.Mutex
	replay     replayBuffer
	clients    map[*hubClient]struct{}
	closed     bool
	exitFrame  []byte
	stdinEnded bool // closeStdin has been called

	inMu sync.Mutex // serializes writes to the container's stdin
}

// NewHub returns a Hub that keeps the last replay bytes of output for
// replay (DefaultReplay is a good size; 0 keeps none).
func NewHub(replay int, opts ...HubOption) *Hub {
	o := makeHubOptions(opts)
	return &Hub{
		queueLimit: o.queueLimit,
		replay:     replayBuffer{max: max(replay, 0)},
		clients:    make(map[*hubClient]struct{}),
	}
}

// Write records output the container wrote to stream (FrameStdout or
// FrameStderr; other types are ignored) and queues it for every attached
// client that wants that stream. It copies p, never blocks on clients, and
// does nothing after Close.
func (h *Hub) Write(stream FrameType, p []byte) {
	if len(p) == 0 || (stream != FrameStdout && stream != FrameStderr) {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.replay.add(stream, p)
	if len(h.clients) == 0 {
		return
	}
	var frames [][]byte
	for rest := p; len(rest) > 0; {
		n := min(len(rest), maxOutputFrame)
		frames = append(frames, encodeFrame(stream, rest[:n]))
		rest = rest[n:]
	}
	for c := range h.clients {
		if !c.wants(stream) {
			continue
		}
		if c.queued-c.replayed > h.queueLimit {
			// Already further behind than allowed before this write.
			h.dropLocked(c)
			continue
		}
		for _, f := range frames {
			c.enqueue(f)
		}
		c.signal()
	}
}

// Writer returns an io.Writer that passes everything written to it to
// h.Write(stream, ·), for io.Copy from the container's output. Its Write
// always succeeds.
func (h *Hub) Writer(stream FrameType) io.Writer {
	return hubWriter{h: h, stream: stream}
}

type hubWriter struct {
	h      *Hub
	stream FrameType
}

func (w hubWriter) Write(p []byte) (int, error) {
	w.h.Write(w.stream, p)
	return len(p), nil
}

// Clients returns the number of clients currently attached.
func (h *Hub) Clients() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

// Close ends the session: every attached client is sent what is queued for
// it and then an Exit frame with exitCode, after which its connection is
// closed and its Serve returns nil. A client that attaches after Close gets
// the replay (if it asks) and the Exit frame at once. Later output is
// ignored. Close is idempotent; only the first exit code counts.
func (h *Hub) Close(exitCode int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	h.exitFrame = encodeFrame(FrameExit, exitPayload(exitCode))
	for c := range h.clients {
		c.enqueue(h.exitFrame)
		c.closing = true
		c.signal()
	}
	clear(h.clients)
}

// Serve handles one client connection until the client leaves, the session
// ends or ctx is done, and closes conn before returning. It reads the
// client's Hello, sends the replay if asked, then streams output to the
// client while passing its input on: Stdin frames are written to in (the
// container's stdin; nil discards them), Resize frames call resize, and a
// CloseStdin frame calls closeStdin (once per Hub, and never for a TTY
// client). resize and closeStdin may be nil.
//
// Serve returns nil when the client detaches or disconnects and after it has
// been sent the Exit frame; ErrSlowClient if the hub disconnected it for
// falling behind; ctx.Err() if ctx ended it; an error wrapping ErrProtocol
// for a malformed conversation. Writes to in are serialized across clients;
// while one blocks, that client's input (not its output) waits. After Close,
// Serve returns once the client has taken its remaining output and the Exit
// frame; a client that has stopped reading keeps it waiting until ctx is
// done, so the monitor should bound its shutdown with ctx.
func (h *Hub) Serve(ctx context.Context, conn net.Conn, in io.Writer, resize func(Size), closeStdin func()) error {
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	buf := make([]byte, maxOutputFrame)
	t, p, err := ReadFrame(conn, buf)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("read attach hello: %w", err)
	}
	if t != FrameHello {
		return fmt.Errorf("read attach hello: got %v frame: %w", t, ErrProtocol)
	}
	var hello Hello
	if err := hello.UnmarshalBinary(p); err != nil {
		return fmt.Errorf("read attach hello: %w", err)
	}

	c := &hubClient{conn: conn, hello: hello, wake: make(chan struct{}, 1), done: make(chan struct{})}
	h.register(c)

	var wg sync.WaitGroup
	var werr error
	wg.Go(func() {
		werr = h.writeLoop(c)
		conn.Close() // ends the read loop below
	})
	rerr := h.readLoop(c, buf, in, resize, closeStdin)
	h.unregister(c)
	conn.Close()
	wg.Wait()

	h.mu.Lock()
	dropped := c.dropped
	h.mu.Unlock()
	switch {
	case dropped:
		return ErrSlowClient
	case c.finished.Load():
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case rerr != nil:
		return rerr
	case werr != nil && !isDisconnect(werr):
		return fmt.Errorf("write attach stream: %w", werr)
	}
	return nil
}

// register adds c to the hub, queueing the replay if c asked for it, or
// queues the Exit frame if the session has already ended.
func (h *Hub) register(c *hubClient) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c.hello.Replay {
		for _, ch := range h.replay.chunks {
			if !c.wants(ch.stream) {
				continue
			}
			for rest := ch.b; len(rest) > 0; {
				n := min(len(rest), maxOutputFrame)
				c.enqueue(encodeFrame(ch.stream, rest[:n]))
				rest = rest[n:]
			}
		}
		c.replayed = c.queued
	}
	if h.closed {
		c.enqueue(h.exitFrame)
		c.closing = true
	} else {
		h.clients[c] = struct{}{}
	}
	c.signal()
}

// unregister removes c and stops its write loop.
func (h *Hub) unregister(c *hubClient) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.clients, c)
	close(c.done)
}

// dropLocked disconnects a client that fell too far behind: it stops getting
// output, and once what it is being sent now has gone out it is told why and
// its connection is closed. h.mu is held.
func (h *Hub) dropLocked(c *hubClient) {
	delete(h.clients, c)
	c.dropped = true
	c.queue, c.queued, c.replayed = nil, 0, 0
	c.enqueue(encodeFrame(FrameLagged, nil))
	c.closing = true
	c.conn.SetWriteDeadline(time.Now().Add(laggedWriteTimeout))
	c.signal()
}

// writeLoop sends c's queued frames until its last frame (Exit or Lagged)
// has gone out (nil),
// a write fails, or c is unregistered.
func (h *Hub) writeLoop(c *hubClient) error {
	for {
		select {
		case <-c.wake:
		case <-c.done:
			return nil
		}
		h.mu.Lock()
		frames, last := c.queue, c.closing
		c.queue, c.queued, c.replayed = nil, 0, 0
		h.mu.Unlock()
		if len(frames) > 0 {
			bufs := net.Buffers(frames)
			if _, err := bufs.WriteTo(c.conn); err != nil {
				return err
			}
		}
		if last {
			c.finished.Store(true)
			return nil
		}
	}
}

// readLoop handles the client's frames until the connection ends. It returns
// nil when the client went away and an error for a protocol violation.
func (h *Hub) readLoop(c *hubClient, buf []byte, in io.Writer, resize func(Size), closeStdin func()) error {
	for {
		t, p, err := ReadFrame(c.conn, buf)
		if err != nil {
			if errors.Is(err, ErrFrameTooLarge) {
				return fmt.Errorf("read attach frame: %w", errors.Join(ErrProtocol, err))
			}
			return nil // client gone, or conn closed by us
		}
		switch t {
		case FrameStdin:
			if c.hello.Stdin && in != nil {
				h.writeStdin(in, p)
			}
		case FrameResize:
			s, err := parseResize(p)
			if err != nil {
				return err
			}
			if resize != nil {
				resize(s)
			}
		case FrameCloseStdin:
			if c.hello.Stdin && !c.hello.TTY {
				h.endStdin(closeStdin)
			}
		case FrameHello:
			return fmt.Errorf("read attach frame: second hello: %w", ErrProtocol)
		}
	}
}

// writeStdin passes client input to the container unless its stdin has been
// closed. A write error means the container no longer reads stdin; the input
// is dropped, as it would be by a closed pipe.
func (h *Hub) writeStdin(in io.Writer, p []byte) {
	h.inMu.Lock()
	defer h.inMu.Unlock()
	h.mu.Lock()
	ended := h.stdinEnded
	h.mu.Unlock()
	if !ended {
		in.Write(p)
	}
}

// endStdin calls closeStdin the first time any client reports end of input.
func (h *Hub) endStdin(closeStdin func()) {
	h.inMu.Lock()
	defer h.inMu.Unlock()
	h.mu.Lock()
	first := !h.stdinEnded
	h.stdinEnded = true
	h.mu.Unlock()
	if first && closeStdin != nil {
		closeStdin()
	}
}

// isDisconnect reports whether err only means that the peer went away.
func isDisconnect(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrClosedPipe) || isConnReset(err)
}

// hubClient is one attached connection. Fields other than conn, hello, wake,
// done and finished are guarded by Hub.mu.
type hubClient struct {
	conn     net.Conn
	hello    Hello
	wake     chan struct{} // capacity 1: there is something to send
	done     chan struct{} // closed when Serve stops reading
	finished atomic.Bool   // the last frame has been sent

	queue    [][]byte // encoded frames not yet taken by writeLoop
	queued   int      // bytes in queue
	replayed int      // bytes of replay in queue, exempt from the limit
	closing  bool     // the last frame is queued; nothing follows it
	dropped  bool     // disconnected for falling behind
}

func (c *hubClient) wants(stream FrameType) bool {
	return (stream == FrameStdout && c.hello.Stdout) || (stream == FrameStderr && c.hello.Stderr)
}

func (c *hubClient) enqueue(frame []byte) {
	c.queue = append(c.queue, frame)
	c.queued += len(frame)
}

func (c *hubClient) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// replayBuffer keeps the most recent output, up to max bytes, as a list of
// chunks tagged with their stream.
type replayBuffer struct {
	max    int
	size   int
	chunks []replayChunkData
}

type replayChunkData struct {
	stream FrameType
	b      []byte
}

func (r *replayBuffer) add(stream FrameType, p []byte) {
	if r.max == 0 {
		return
	}
	if len(p) >= r.max {
		p = p[len(p)-r.max:]
		r.chunks, r.size = r.chunks[:0], 0
	}
	if n := len(r.chunks); n > 0 && r.chunks[n-1].stream == stream && len(r.chunks[n-1].b)+len(p) <= replayChunk {
		r.chunks[n-1].b = append(r.chunks[n-1].b, p...)
	} else {
		b := make([]byte, len(p), max(len(p), replayChunk))
		copy(b, p)
		r.chunks = append(r.chunks, replayChunkData{stream: stream, b: b})
	}
	r.size += len(p)
	for r.size > r.max {
		first := &r.chunks[0]
		if excess := r.size - r.max; excess < len(first.b) {
			first.b = first.b[excess:]
			r.size -= excess
			break
		}
		r.size -= len(first.b)
		r.chunks[0] = replayChunkData{}
		r.chunks = r.chunks[1:]
	}
}
