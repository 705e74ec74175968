package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/berth-dev/berth/pty"
)

// outputGrace is how long the output of an exited exec process is still
// read while more keeps coming: a background process the exec left
// behind may hold the terminal or pipes open, and the session must end
// anyway, as docker's does.
const outputGrace = 100 * time.Millisecond

// StreamOptions connect an exec process's streams to the caller's.
type StreamOptions struct {
	// Stdin is copied to the process: to its terminal with TTY, else to
	// its stdin pipe, which is closed at the end of Stdin. nil sends no
	// input.
	Stdin io.Reader
	// Stdout and Stderr receive the process's output (with TTY, both
	// streams go to Stdout). nil discards it.
	Stdout, Stderr io.Writer
	// DetachKeys (from pty.ParseKeys) end the session without ending the
	// process when typed on Stdin (TTY only); empty disables them.
	DetachKeys []byte
	// DetachTimeout is how long a partial detach sequence is held back;
	// 0 means pty.DefaultTimeout.
	DetachTimeout time.Duration
	// Resize, if not nil, delivers terminal sizes to apply to the
	// process's PTY (for example from pty.NotifyResize).
	Resize <-chan pty.Size
}

// Stream copies the process's streams to and from the caller's until the
// process exits and its output has been read, and returns its exit code.
// It returns -1 and pty.ErrDetached when the detach keys were typed: the
// process keeps running and p stays usable (but see Close). It returns -1
// and ctx.Err() when ctx ends first; the process keeps running. It
// returns an error when writing the output fails. Like exec.Cmd.Wait it
// waits for the goroutines it starts (one per stream) before returning;
// a Stdin that cannot be interrupted (see pty.DetachReader.Close) may be
// read once more afterwards.
func (p *ExecProcess) Stream(ctx context.Context, o StreamOptions) (int, error) {
	type output struct {
		from *os.File
		to   io.Writer
	}
	var outs []output
	var in io.Writer
	if p.PTY != nil {
		outs = []output{{p.PTY, o.Stdout}}
		in = p.PTY
	} else {
		if p.Stdout != nil {
			outs = append(outs, output{p.Stdout, o.Stdout})
		}
		if p.Stderr != nil {
			outs = append(outs, output{p.Stderr, o.Stderr})
		}
		if p.Stdin != nil {
			in = p.Stdin
		}
	}

	var (
		wg       sync.WaitGroup
		exited   atomic.Bool
		detached = make(chan struct{})
		outDone  = make(chan struct{})
		stop     = make(chan struct{})
		outErrs  = make([]error, len(outs))
		outLeft  atomic.Int32
	)
	var dr *pty.DetachReader
	if o.Stdin != nil && in != nil {
		var keys []byte
		if p.PTY != nil {
			keys = o.DetachKeys
		}
		var dopts []pty.Option
		if o.DetachTimeout != 0 {
			dopts = append(dopts, pty.WithTimeout(o.DetachTimeout))
		}
		dr = pty.NewDetachReader(o.Stdin, keys, dopts...)
		wg.Go(func() {
			if copyInput(dr, in) {
				close(detached)
			}
			if p.PTY == nil {
				p.Stdin.Close() // the process's end of input
			}
		})
	} else if p.Stdin != nil {
		p.Stdin.Close()
	}
	if len(outs) == 0 {
		close(outDone)
	}
	outLeft.Store(int32(len(outs)))
	for i, out := range outs {
		wg.Go(func() {
			outErrs[i] = copyOutput(out.from, out.to, &exited)
			if outLeft.Add(-1) == 0 {
				close(outDone)
			}
		})
	}
	if o.Resize != nil && p.PTY != nil {
		wg.Go(func() {
			for {
				select {
				case s, ok := <-o.Resize:
					if !ok {
						return
					}
					p.Resize(s)
				case <-stop:
					return
				}
			}
		})
	}

	code, err := -1, error(nil)
	drain := func() {
		exited.Store(true)
		for _, out := range outs {
			out.from.SetReadDeadline(time.Now().Add(outputGrace))
		}
		<-outDone
	}
	select {
	case <-p.done:
		drain()
		code, err = p.Wait()
	case <-outDone:
		// Every writer of the output is gone (or writing it failed):
		// the process is exiting.
		select {
		case <-p.done:
			code, err = p.Wait()
		case <-detached:
			err = pty.ErrDetached
		case <-ctx.Done():
			err = ctx.Err()
		}
	case <-detached:
		err = pty.ErrDetached
	case <-ctx.Done():
		err = ctx.Err()
	}
	// End the goroutines: input, resizes, and output still being read.
	close(stop)
	if dr != nil {
		dr.Close()
	}
	for _, out := range outs {
		out.from.SetReadDeadline(time.Unix(1, 0))
	}
	wg.Wait()
	for _, out := range outs {
		out.from.SetReadDeadline(time.Time{})
	}
	if err == nil {
		for _, oerr := range outErrs {
			if oerr != nil {
				return -1, oerr
			}
		}
	}
	if err != nil {
		return -1, err
	}
	return code, nil
}

// copyInput copies input to the process until it ends, is closed or
// detaches; it reports whether the detach keys were typed.
func copyInput(dr *pty.DetachReader, w io.Writer) bool {
	buf := make([]byte, 32<<10)
	for {
		n, err := dr.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return false
			}
		}
		if err != nil {
			return errors.Is(err, pty.ErrDetached)
		}
	}
}

// copyOutput copies one output stream of the process to w (nil
// discards) until the process side closes it (EOF, or EIO for a PTY
// whose slave is closed), until a read deadline stops it, or until
// writing fails, which it returns. Once exited is set, each read extends
// the deadline by outputGrace, so output still flowing is read to its
// end.
func copyOutput(r *os.File, w io.Writer, exited *atomic.Bool) error {
	if w == nil {
		w = io.Discard
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return fmt.Errorf("write exec output: %w", werr)
			}
			if exited.Load() {
				r.SetReadDeadline(time.Now().Add(outputGrace))
			}
		}
		if err != nil {
			// EOF, EIO (PTY hung up), a deadline or a close: the
			// stream is over for this session.
			if errors.Is(err, io.EOF) || errors.Is(err, syscall.EIO) ||
				errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, os.ErrClosed) {
				return nil
			}
			return fmt.Errorf("read exec output: %w", err)
		}
	}
}

// Session runs p on the caller's terminal or files, as berth exec and the
// TUI's shell do, and returns like Stream. With a TTY and in a terminal,
// in is put into raw mode for the session (so Ctrl-C and the detach keys
// reach the process as bytes) and restored afterwards, and the terminal's
// size follows into the process's PTY (from in, or else from out). in is
// read through pty.PollableInput where possible, so the session ends
// without waiting for another key press and in can go back to another
// reader (the TUI). A nil in sends no input. errOut receives stderr of a
// process without TTY.
func (p *ExecProcess) Session(ctx context.Context, in *os.File, out, errOut io.Writer, detachKeys []byte) (int, error) {
	o := StreamOptions{Stdout: out, Stderr: errOut, DetachKeys: detachKeys}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if p.PTY != nil {
		switch {
		case in != nil && pty.IsTerminal(int(in.Fd())):
			restore, err := pty.MakeRaw(int(in.Fd()))
			if err != nil {
				return -1, err
			}
			defer restore()
			o.Resize = pty.NotifyResize(rctx, int(in.Fd()))
		default:
			if f, ok := out.(*os.File); ok && pty.IsTerminal(int(f.Fd())) {
				o.Resize = pty.NotifyResize(rctx, int(f.Fd()))
			}
		}
	}
	if in != nil {
		o.Stdin = in
		if pf, restore, err := pty.PollableInput(int(in.Fd())); err == nil {
			defer restore()
			o.Stdin = pf
		}
	}
	return p.Stream(ctx, o)
}
