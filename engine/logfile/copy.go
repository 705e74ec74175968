package logfile

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// AllLines as ReadOptions.Tail copies the whole log.
const AllLines = -1

// ReadOptions selects what Copy copies, like the flags of `logs`.
type ReadOptions struct {
	// Follow keeps copying what the container writes after the end is
	// reached, until ctx is done, Done is closed or Until passes.
	Follow bool
	// Timestamps prefixes each line with the time of the record holding
	// its first byte, as docker's -t does (RFC 3339, nanoseconds, UTC).
	Timestamps bool
	// Tail is how many lines to copy from the end: AllLines for all of
	// them, 0 for none (with Follow: only what comes next).
	Tail int
	// Since and Until, when not zero, keep only records written at or
	// after Since and at or before Until.
	Since, Until time.Time
	// Done ends Follow: once it is closed, Copy copies what the log holds
	// and returns. The engine closes it when the container has exited
	// (after its monitor flushed and closed the Writer), so `logs -f` ends
	// with the container, as docker's does. Nil never fires.
	Done <-chan struct{}
}

// Copy copies the log at path to stdout and stderr, each record's data to
// the writer of its stream (nil drops a stream; Tail then counts only the
// lines of the streams kept). Tail walks back from the end and Since
// bisects the log, so neither reads more than it copies. With Follow, Copy
// waits for the log to grow (or rotate) with inotify and returns nil when
// Done is closed or Until passes, after copying everything written by
// then; it returns ctx.Err() when ctx is done first.
//
// Without Timestamps each stream's bytes are copied exactly. With them, a
// line the Writer had to break (longer than MaxLine, or cut off by a
// container restart) is ended with a newline so that every timestamp
// starts an output line.
func Copy(ctx context.Context, path string, opts ReadOptions, stdout, stderr io.Writer) (err error) {
	if opts.Tail < AllLines {
		return fmt.Errorf("copy log: tail %d: %w", opts.Tail, ErrInvalid)
	}
	var w *Watcher
	if opts.Follow {
		// Watch before reading, so that nothing written in between is
		// missed.
		if w, err = Watch(path); err != nil {
			return err
		}
		defer w.Close()
	}
	l, err := OpenLines(path)
	if err != nil {
		return err
	}
	defer l.Close()
	r := l.r

	e := newEmitter(stdout, stderr, opts.Timestamps)
	defer func() {
		if ferr := e.flush(); ferr != nil && err == nil {
			err = ferr
		}
	}()

	start := l.Start()
	if opts.Tail >= 0 {
		if start, err = l.tailStart(opts.Tail, e.keeps); err != nil {
			return err
		}
	}
	if !opts.Since.IsZero() {
		p, err := r.SeekTime(opts.Since)
		if err != nil {
			return err
		}
		if p > start.Offset {
			start = Pos{Offset: p}
		}
	}

	// wctx ends following: ctx, Done, Until.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if !opts.Until.IsZero() {
		var cancelUntil context.CancelFunc
		wctx, cancelUntil = context.WithDeadline(wctx, opts.Until)
		defer cancelUntil()
	}
	if opts.Done != nil {
		var wg sync.WaitGroup
		defer wg.Wait()
		defer cancel()
		wg.Go(func() {
			select {
			case <-opts.Done:
				cancel()
			case <-wctx.Done():
			}
		})
	}

	r.pos = start.Offset
	skip := start.Index
	until := opts.Until.UnixNano()
	for first := true; ; first = false {
		// Once following has ended, this pass is the last: look at the
		// files again (after Done, not before) so it sees everything.
		final := wctx.Err() != nil
		if !first {
			if err := r.Refresh(); err != nil {
				return err
			}
		}
		for n := 0; ; n++ {
			if n%1024 == 1023 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			p := r.pos
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			if !opts.Until.IsZero() && rec.Time.UnixNano() > until {
				return nil
			}
			if !opts.Since.IsZero() && rec.Time.Before(opts.Since) {
				continue
			}
			from := 0
			if rec.Offset == p && p == start.Offset {
				from = min(skip, len(rec.Data))
			}
			skip = 0
			if err := e.record(rec, from); err != nil {
				return err
			}
		}
		if err := e.flush(); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !opts.Follow || final {
			return nil
		}
		if err := w.Wait(wctx); err != nil && wctx.Err() == nil {
			return err
		}
	}
}

// tailStart returns the start of the n-th last line among those of the
// streams keep accepts, walking back from the end.
func (l *Lines) tailStart(n int, keep func(Stream) bool) (Pos, error) {
	p, err := l.End()
	if err != nil {
		return Pos{}, err
	}
	for n > 0 {
		q, s, err := l.prevStart(p)
		if err == io.EOF {
			break
		}
		if err != nil {
			return Pos{}, err
		}
		p = q
		if keep(s) {
			n--
		}
	}
	return p, nil
}

// timeLayout is docker's timestamp layout for `logs -t`.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// emitter writes records to the stream writers, adding timestamps.
type emitter struct {
	out    [3]*bufio.Writer
	mid    [3]bool // the stream's output is inside a line
	ts     bool
	tb     []byte // the formatted timestamp of tbTime, with its space
	tbTime int64
}

func newEmitter(stdout, stderr io.Writer, ts bool) *emitter {
	e := &emitter{ts: ts}
	if stdout != nil {
		e.out[Stdout] = bufio.NewWriterSize(stdout, 64<<10)
	}
	if stderr != nil {
		e.out[Stderr] = bufio.NewWriterSize(stderr, 64<<10)
	}
	return e
}

func (e *emitter) keeps(s Stream) bool { return e.out[s] != nil }

// record writes rec's data from index from on; from > 0 is a line start.
func (e *emitter) record(rec Record, from int) error {
	out := e.out[rec.Stream]
	if out == nil {
		return nil
	}
	data := rec.Data[from:]
	if !e.ts {
		_, err := out.Write(data)
		return err
	}
	if (from > 0 || !rec.Cont) && e.mid[rec.Stream] {
		out.WriteByte('\n')
		e.mid[rec.Stream] = false
	}
	if t := rec.Time.UnixNano(); t != e.tbTime || len(e.tb) == 0 {
		e.tb = rec.Time.UTC().AppendFormat(e.tb[:0], timeLayout)
		e.tb = append(e.tb, ' ')
		e.tbTime = t
	}
	for len(data) > 0 {
		if !e.mid[rec.Stream] {
			out.Write(e.tb)
		}
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			out.Write(data)
			e.mid[rec.Stream] = true
			break
		}
		out.Write(data[:i+1])
		e.mid[rec.Stream] = false
		data = data[i+1:]
	}
	// bufio.Writer keeps its first error and returns it from every call.
	_, err := out.Write(nil)
	return err
}

func (e *emitter) flush() error {
	var errs []error
	for _, b := range e.out {
		if b != nil {
			errs = append(errs, b.Flush())
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("copy log: %w", err)
	}
	return nil
}
