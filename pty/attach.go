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

// AttachOptions configures Attach.
type AttachOptions struct {
	// Stdin is forwarded to the container through a DetachReader; nil
	// attaches without input. For a terminal, put it in raw mode first
	// (MakeRaw) and consider PollableInput.
	Stdin io.Reader
	// Stdout and Stderr receive the container's output streams; nil means
	// the stream is not requested.
	Stdout io.Writer
	Stderr io.Writer
	// TTY reports that the session is a terminal: end of Stdin is not passed
	// on as end of the container's stdin.
	TTY bool
	// Replay asks for the recent output the hub kept before live output.
	Replay bool
	// DetachKeys is the detach sequence (from ParseKeys); empty means the
	// client cannot detach with keys.
	DetachKeys []byte
	// DetachTimeout is how long a partial detach sequence is held back;
	// 0 means DefaultTimeout and a negative value means no timeout.
	DetachTimeout time.Duration
	// Resize, if not nil, delivers terminal sizes to forward (for example
	// from NotifyResize). Attach stops reading it when it returns.
	Resize <-chan Size
}

// Attach runs the client side of an attach session over conn (a connection
// to a monitor's attach.sock served by Hub.Serve) and closes conn before
// returning. It copies Stdin to the container with the detach sequence
// removed, forwards sizes from Resize, and writes Stdout and Stderr frames to
// their writers. When Stdin ends it sends CloseStdin, unless TTY is set, and
// keeps receiving output.
//
// Attach returns the container's exit code and nil when the server sends the
// exit status. Otherwise it returns -1 and: ErrDetached when the detach keys
// were typed (nothing after them reaches the container, and the container
// keeps running); ctx.Err() when ctx is done; an error wrapping
// ErrSlowClient if the hub disconnected the client for not keeping up with
// the output (the container keeps running); an error wrapping
// ErrDisconnected if the connection ended without an exit status; or the
// error from reading Stdin or writing Stdout or Stderr. Like exec.Cmd.Wait,
// it waits for its goroutines (one per direction, plus one for Resize) before
// returning; the DetachReader wrapping Stdin is closed, see DetachReader.Close
// for what that means for a Stdin that is still blocked in Read.
func Attach(ctx context.Context, conn net.Conn, opts AttachOptions) (int, error) {
	defer conn.Close()
	w := &frameWriter{w: conn}
	hello, _ := Hello{
		Stdin:  opts.Stdin != nil,
		Stdout: opts.Stdout != nil,
		Stderr: opts.Stderr != nil,
		Replay: opts.Replay,
		TTY:    opts.TTY,
	}.MarshalBinary()
	if err := w.write(FrameHello, hello); err != nil {
		return -1, fmt.Errorf("attach: %w", err)
	}

	var dr *DetachReader
	if opts.Stdin != nil {
		var dopts []Option
		if opts.DetachTimeout != 0 {
			dopts = append(dopts, WithTimeout(opts.DetachTimeout))
		}
		dr = NewDetachReader(opts.Stdin, opts.DetachKeys, dopts...)
	}
	closeInput := func() {
		if dr != nil {
			dr.Close()
		}
	}
	stop := context.AfterFunc(ctx, func() {
		conn.Close()
		closeInput()
	})
	defer stop()

	var (
		wg       sync.WaitGroup
		done     = make(chan struct{}) // closed when the output side ends
		detached atomic.Bool
		inErr    error
		code     int
		gotExit  bool
		outErr   error
	)
	if dr != nil {
		wg.Go(func() {
			inErr = copyInput(dr, w, opts.TTY, &detached)
			if inErr != nil || detached.Load() {
				conn.Close() // ends the output side
			}
		})
	}
	if opts.Resize != nil {
		wg.Go(func() { forwardResize(opts.Resize, w, done) })
	}
	wg.Go(func() {
		code, gotExit, outErr = copyOutput(conn, opts.Stdout, opts.Stderr)
		close(done)
		conn.Close()
		closeInput()
	})
	wg.Wait()

	switch {
	case detached.Load():
		return -1, ErrDetached
	case gotExit:
		return code, nil
	case ctx.Err() != nil:
		return -1, ctx.Err()
	case inErr != nil:
		return -1, inErr
	}
	return -1, outErr
}

// frameWriter serializes frames written by several goroutines.
type frameWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (fw *frameWriter) write(t FrameType, p []byte) error {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	return WriteFrame(fw.w, t, p)
}

// copyInput sends input from dr as Stdin frames until the detach keys
// (detached is set), end of input (CloseStdin is sent unless tty), or Close.
// It returns an error only for a failure to read input.
func copyInput(dr *DetachReader, w *frameWriter, tty bool, detached *atomic.Bool) error {
	buf := make([]byte, maxOutputFrame)
	for {
		n, err := dr.Read(buf)
		if n > 0 {
			if w.write(FrameStdin, buf[:n]) != nil {
				return nil // connection gone; the output side reports it
			}
		}
		switch {
		case err == nil:
		case errors.Is(err, ErrDetached):
			detached.Store(true)
			return nil
		case errors.Is(err, ErrClosed):
			return nil
		case errors.Is(err, io.EOF):
			if !tty {
				w.write(FrameCloseStdin, nil)
			}
			return nil
		default:
			return fmt.Errorf("attach: read input: %w", err)
		}
	}
}

// forwardResize sends each size from sizes as a Resize frame until sizes is
// closed or done is.
func forwardResize(sizes <-chan Size, w *frameWriter, done <-chan struct{}) {
	for {
		select {
		case s, ok := <-sizes:
			if !ok {
				return
			}
			if w.write(FrameResize, resizePayload(s)) != nil {
				return
			}
		case <-done:
			return
		}
	}
}

// copyOutput writes Stdout and Stderr frames from r to stdout and stderr until
// an Exit frame (returned with ok true) or an error.
func copyOutput(r io.Reader, stdout, stderr io.Writer) (code int, ok bool, err error) {
	buf := make([]byte, maxOutputFrame)
	for {
		t, p, err := ReadFrame(r, buf)
		if err != nil {
			if errors.Is(err, ErrFrameTooLarge) {
				return 0, false, fmt.Errorf("attach: %w", errors.Join(ErrProtocol, err))
			}
			return 0, false, fmt.Errorf("attach: %w: %w", ErrDisconnected, err)
		}
		var dst io.Writer
		switch t {
		case FrameStdout:
			dst = stdout
		case FrameStderr:
			dst = stderr
		case FrameExit:
			code, err := parseExit(p)
			if err != nil {
				return 0, false, fmt.Errorf("attach: %w", err)
			}
			return code, true, nil
		case FrameLagged:
			return 0, false, fmt.Errorf("attach: %w", ErrSlowClient)
		}
		if dst != nil {
			if _, err := dst.Write(p); err != nil {
				return 0, false, fmt.Errorf("attach: write %v: %w", t, err)
			}
		}
	}
}
