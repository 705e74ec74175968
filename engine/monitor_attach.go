package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/berth-dev/berth/engine/logfile"
	"github.com/berth-dev/berth/pty"
)

// attachHub is the monitor's side of attach.sock: a pty.Hub fed with the
// container's output, serving every client that connects to the socket
// (and the client connected by the starter, if any). What it serves:
//
//   - the pty attach protocol (pty.Hello, then frames);
//   - replay of the last pty.DefaultReplay bytes of output on request;
//   - Stdin frames written to the container's stdin (the PTY master with
//     -t, the stdin pipe with -i, discarded otherwise);
//   - Resize frames applied to the PTY;
//   - CloseStdin closing the stdin pipe (docker's EOF on stdin);
//   - an Exit frame with the container's exit code when the monitor ends,
//     after --rm removal, so a client sees the final state.
//
// Across restarts the hub and its clients stay; the input and PTY switch
// to the new process.
type attachHub struct {
	hub  *pty.Hub
	ln   net.Listener
	wg   sync.WaitGroup
	ctx  context.Context
	stop context.CancelFunc

	mu       sync.Mutex
	input    io.Writer
	master   *os.File
	stdin    io.Closer
	dirFd    *os.File
	sockPath string
}

// newHub starts serving attach.sock, and attach if the starter passed a
// connected client.
func (m *monitor) newHub(attach *os.File) *attachHub {
	ctx, cancel := context.WithCancel(context.Background())
	h := &attachHub{hub: pty.NewHub(pty.DefaultReplay), ctx: ctx, stop: cancel}
	if attach != nil {
		conn, err := net.FileConn(attach)
		attach.Close()
		if err == nil {
			h.serve(conn)
		}
	}
	ln, dir, err := listenUnix(m.p.AttachSock)
	if err != nil {
		m.e.log.Warn("listen on attach socket", "container", m.id, "err", err)
		return h
	}
	h.ln, h.dirFd, h.sockPath = ln, dir, m.p.AttachSock
	h.wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			h.serve(conn)
		}
	})
	return h
}

// listenUnix listens on the socket path through its directory's
// /proc/self/fd entry, so a store deep in the filesystem does not overflow
// the 108 bytes of a socket address.
func listenUnix(path string) (net.Listener, *os.File, error) {
	os.Remove(path)
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("unix", fmt.Sprintf("/proc/self/fd/%d/%s", d.Fd(), filepath.Base(path)))
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	return ln, d, nil
}

func (h *attachHub) serve(conn net.Conn) {
	h.wg.Go(func() {
		h.hub.Serve(h.ctx, conn, inputFunc(h.writeInput), h.resize, h.closeStdin)
	})
}

// inputFunc adapts a function to io.Writer.
type inputFunc func(p []byte) (int, error)

func (f inputFunc) Write(p []byte) (int, error) { return f(p) }

func (h *attachHub) writeInput(p []byte) (int, error) {
	h.mu.Lock()
	w := h.input
	h.mu.Unlock()
	if w == nil {
		return len(p), nil
	}
	n, err := w.Write(p)
	if errors.Is(err, os.ErrClosed) {
		return len(p), nil
	}
	return n, err
}

func (h *attachHub) resize(s pty.Size) {
	h.mu.Lock()
	master := h.master
	h.mu.Unlock()
	if master != nil {
		pty.SetFileSize(master, s)
	}
}

func (h *attachHub) closeStdin() {
	h.mu.Lock()
	c := h.stdin
	h.stdin, h.input = nil, nil
	h.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

// writer returns where output of stream s goes for attach clients.
func (h *attachHub) writer(s logfile.Stream) io.Writer {
	if s == logfile.Stderr {
		return h.hub.Writer(pty.FrameStderr)
	}
	return h.hub.Writer(pty.FrameStdout)
}

// setInput connects attach clients' input to the container's current
// process: f is the PTY master (tty) or the stdin pipe; nil between runs.
func (h *attachHub) setInput(f *os.File, tty bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if f == nil {
		h.input, h.master, h.stdin = nil, nil, nil
		return
	}
	h.input = f
	if tty {
		h.master = f
	} else {
		h.stdin = f
	}
}

// end sends every attach session the container's exit code and stops
// serving the socket; drain then waits for the sessions to finish.
func (h *attachHub) end(code int) {
	h.hub.Close(code)
	// The clients' writers, just woken, send the exit frame now, on this
	// thread, rather than once another thread wakes to take them or this
	// one is done with the housekeeping that follows.
	runtime.Gosched()
	if h.ln != nil {
		h.ln.Close()
		os.Remove(h.sockPath)
		h.dirFd.Close()
	}
}

// drain waits for the sessions end closed, giving clients a few seconds
// to take what is queued for them.
func (h *attachHub) drain() {
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		h.stop()
		<-done
	}
	h.stop()
}
