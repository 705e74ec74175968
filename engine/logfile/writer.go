package logfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Option configures Create.
type Option func(*options)

type options struct {
	maxSize  int64
	maxFiles int
	bufSize  int
	clock    func() time.Time
}

// Defaults for the Writer's options.
const (
	// DefaultBufferSize is the Writer's buffer: the most it holds before
	// writing to the file.
	DefaultBufferSize = 128 << 10
	minBufferSize     = 4 << 10
	// readSize is what StreamWriter.ReadFrom asks for per read: a full
	// pipe (64 KiB by default on Linux).
	readSize = 64 << 10
)

func makeOptions(opts []Option) options {
	o := options{maxFiles: 1, bufSize: DefaultBufferSize, clock: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// MaxSize rotates the log when the current file would grow past n bytes;
// zero or less never rotates (the default), like docker's max-size.
func MaxSize(n int64) Option { return func(o *options) { o.maxSize = n } }

// MaxFiles keeps at most n files (the current one and n-1 rotated ones,
// path.1 being the newest) when MaxSize is set. With n = 1, the default,
// rotation drops the old contents, as docker's json-file does.
func MaxFiles(n int) Option { return func(o *options) { o.maxFiles = n } }

// BufferSize sets the size of the Writer's single buffer (default 128 KiB,
// at least 4 KiB). It also bounds the data length of one record.
func BufferSize(n int) Option { return func(o *options) { o.bufSize = n } }

// Clock sets the source of record times (default time.Now).
func Clock(now func() time.Time) Option { return func(o *options) { o.clock = now } }

// ParseOptions turns docker-style log options ("max-size=10m",
// "max-file=3") into Options. Sizes take the suffixes k, m and g (powers of
// 1024, as docker reads them). Unknown keys are an error wrapping ErrInvalid.
func ParseOptions(kv []string) ([]Option, error) {
	var opts []Option
	var size int64
	files := 1
	for _, s := range kv {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return nil, fmt.Errorf("parse log option %q: want key=value: %w", s, ErrInvalid)
		}
		switch k {
		case "max-size":
			n, err := parseSize(v)
			if err != nil {
				return nil, fmt.Errorf("parse log option %q: %w", s, err)
			}
			size = n
			opts = append(opts, MaxSize(n))
		case "max-file":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("parse log option %q: want a positive number: %w", s, ErrInvalid)
			}
			files = n
			opts = append(opts, MaxFiles(n))
		default:
			return nil, fmt.Errorf("parse log option %q: unknown option: %w", s, ErrInvalid)
		}
	}
	if files > 1 && size <= 0 {
		return nil, fmt.Errorf("parse log options: max-file needs max-size: %w", ErrInvalid)
	}
	return opts, nil
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "b"), "i")
	switch {
	case strings.HasSuffix(t, "k"):
		mult, t = 1<<10, t[:len(t)-1]
	case strings.HasSuffix(t, "m"):
		mult, t = 1<<20, t[:len(t)-1]
	case strings.HasSuffix(t, "g"):
		mult, t = 1<<30, t[:len(t)-1]
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("bad size %q: %w", s, ErrInvalid)
	}
	return n * mult, nil
}

// Writer appends records to a container log. It is what the monitor uses
// to capture the container's output. A Writer holds one buffer of
// BufferSize bytes and nothing else that grows; records reach the file when
// the buffer fills, on Flush, and from StreamWriter's ReadFrom as soon as
// the source has nothing more to read. Nothing is fsynced: like docker's
// log drivers, the log survives the monitor dying, not the machine.
//
// A Writer is safe for concurrent use: stdout and stderr are usually copied
// by two goroutines into one Writer. Only one Writer may have a log open at
// a time (an flock on the current file enforces it).
type Writer struct {
	mu     sync.Mutex
	path   string
	o      options
	f      *os.File
	hdr    fileHeader
	size   int64  // bytes written to f, header included
	buf    []byte // complete records not yet written
	last   int64  // time of the last record, unix nanoseconds
	line   [3]int // per stream: length of its unterminated line, 0 at a line start
	closed bool
}

// Create opens the log at path for appending, creating it if needed. An
// existing log's torn last record (from a monitor killed mid-write) is
// truncated away, so appending continues after the last complete record.
// It returns an error wrapping ErrBusy if another Writer has the log open,
// ErrBadHeader if path is not a berth log, and ErrInvalid for bad options.
func Create(path string, opts ...Option) (*Writer, error) {
	o := makeOptions(opts)
	if o.maxFiles < 1 || o.bufSize < minBufferSize || o.bufSize > MaxRecordData+recOverhead {
		return nil, fmt.Errorf("create log %s: bad options: %w", path, ErrInvalid)
	}
	w := &Writer{path: path, o: o}
	f, err := openLocked(path, os.O_RDWR|os.O_CREATE|os.O_APPEND)
	if err != nil {
		return nil, fmt.Errorf("create log %s: %w", path, err)
	}
	if err := w.adopt(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("create log %s: %w", path, err)
	}
	w.buf = make([]byte, 0, o.bufSize)
	return w, nil
}

// openLocked opens path and takes the writer's exclusive lock on it.
func openLocked(path string, flag int) (*os.File, error) {
	f, err := os.OpenFile(path, flag, 0o640)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, ErrBusy
		}
		return nil, fmt.Errorf("lock: %w", err)
	}
	return f, nil
}

// adopt makes f, freshly opened and locked, the current file: it writes a
// header into an empty (or torn-header) file, or repairs the tail of an
// existing one.
func (w *Writer) adopt(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	w.f = f
	if st.Size() < fileHeaderSize {
		// New, or torn before its header was complete: nothing to keep.
		if err := f.Truncate(0); err != nil {
			return err
		}
		base, last := w.previousEnd()
		w.hdr = fileHeader{sync: newSync(), base: base, created: w.o.clock().UnixNano()}
		w.last = last
		if _, err := f.Write(w.hdr.encode()); err != nil {
			return err
		}
		w.size = fileHeaderSize
		return nil
	}
	hb := make([]byte, fileHeaderSize)
	if _, err := f.ReadAt(hb, 0); err != nil {
		return err
	}
	if w.hdr, err = decodeFileHeader(hb); err != nil {
		return err
	}
	end, h, found, err := lastRecordEnd(f, w.hdr.sync, fileHeaderSize, st.Size())
	if err != nil {
		return err
	}
	if !found {
		end = fileHeaderSize
		_, w.last = w.previousEnd()
	} else {
		w.last = h.time
	}
	if end < st.Size() {
		if err := f.Truncate(end); err != nil {
			return fmt.Errorf("truncate torn tail: %w", err)
		}
	}
	w.size = end
	// A crash between the two steps of a rotation can leave path.1 as a
	// second name of the current file.
	if st1, err := os.Stat(w.path + ".1"); err == nil && os.SameFile(st, st1) {
		if err := os.Remove(w.path + ".1"); err != nil {
			return err
		}
	}
	return nil
}

// previousEnd returns where the newest rotated file ends (logical offset
// and time of its last record), so a new current file continues it.
func (w *Writer) previousEnd() (int64, int64) {
	f, err := os.Open(w.path + ".1")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	hb := make([]byte, fileHeaderSize)
	if _, err := f.ReadAt(hb, 0); err != nil {
		return 0, 0
	}
	h, err := decodeFileHeader(hb)
	if err != nil {
		return 0, 0
	}
	st, err := f.Stat()
	if err != nil {
		return 0, 0
	}
	end, rh, found, err := lastRecordEnd(f, h.sync, fileHeaderSize, st.Size())
	if err != nil || !found {
		return h.base, 0
	}
	return h.base + end - fileHeaderSize, rh.time
}

// Write appends p, read from stream s, as one or more records stamped with
// the current time. The data is buffered: it reaches the file when the
// buffer fills or on Flush. Write never keeps p. An error means records
// were lost (the file is left ending at its last complete record); the
// Writer stays usable.
func (w *Writer) Write(s Stream, p []byte) error {
	return w.write(s, p, false)
}

func (w *Writer) write(s Stream, p []byte, flush bool) error {
	if s != Stdout && s != Stderr {
		return fmt.Errorf("write log: stream %d: %w", s, ErrInvalid)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return fmt.Errorf("write log: %w", ErrClosed)
	}
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	now := w.o.clock().UnixNano()
	if now < w.last {
		now = w.last
	}
	w.last = now
	maxData := cap(w.buf) - recOverhead
	if w.o.maxSize > 0 {
		// A record never outgrows a file, so with rotation no file
		// grows past max-size however much one write brings.
		maxData = min(maxData, max(int(w.o.maxSize)-fileHeaderSize-recOverhead, 1))
	}
	for len(p) > 0 {
		if w.line[s] >= MaxLine {
			w.line[s] = 0
		}
		cont := w.line[s] > 0
		n, cur := splitLine(p[:min(len(p), maxData)], w.line[s])
		need := n + recOverhead
		if w.o.maxSize > 0 && w.size+int64(len(w.buf)+need) > w.o.maxSize &&
			w.size+int64(len(w.buf)) > fileHeaderSize {
			keep(w.rotate())
		}
		if len(w.buf)+need > cap(w.buf) {
			keep(w.flush())
		}
		h := recHeader{length: uint32(n), time: now, stream: s}
		if cont {
			h.flags = flagCont
		}
		l := len(w.buf)
		w.buf = w.buf[:l+need]
		putRecHeader(w.buf[l:], w.hdr.sync, h)
		copy(w.buf[l+recHeaderSize:], p[:n])
		putRecTrailer(w.buf[l+recHeaderSize+n:], w.hdr.sync, uint32(n))
		w.line[s] = cur
		p = p[n:]
	}
	if flush {
		keep(w.flush())
	}
	return first
}

// splitLine returns how much of p (at most all of it) one record may take
// so that no line grows past MaxLine bytes (newline not counted), given
// that the stream's current line already holds cur bytes, and the length
// of the unterminated line after those bytes (MaxLine if the record ends
// because the line is full). It looks at the last newline of each
// MaxLine-sized window, so it costs little more than one scan of p.
func splitLine(p []byte, cur int) (int, int) {
	pos := 0
	for {
		limit := pos + MaxLine - cur
		if limit >= len(p) {
			rest := p[pos:]
			if bytes.IndexByte(rest, '\n') < 0 {
				return len(p), cur + len(rest)
			}
			return len(p), len(rest) - bytes.LastIndexByte(rest, '\n') - 1
		}
		w := p[pos : limit+1]
		if bytes.IndexByte(w, '\n') < 0 {
			return limit, MaxLine
		}
		pos += bytes.LastIndexByte(w, '\n') + 1
		cur = 0
	}
}

// Flush writes the buffered records to the file.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return fmt.Errorf("flush log: %w", ErrClosed)
	}
	return w.flush()
}

func (w *Writer) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	n, err := w.f.Write(w.buf)
	w.buf = w.buf[:0]
	if err != nil {
		// Leave the file ending at a record boundary; the lost records
		// are reported, the ones after them still go to the file.
		if n > 0 {
			if terr := w.f.Truncate(w.size); terr != nil {
				err = errors.Join(err, terr)
			}
		}
		return fmt.Errorf("write log %s: %w", w.path, err)
	}
	w.size += int64(n)
	return nil
}

// rotate starts a new current file after flushing: path.N-2 becomes
// path.N-1 and so on, the current file becomes path.1, and a new file
// (created under a temporary name with its header written) is renamed to
// path. Readers never see path missing or without a header.
func (w *Writer) rotate() error {
	if err := w.flush(); err != nil {
		return err
	}
	tmp := w.path + ".tmp"
	_ = os.Remove(tmp)
	f, err := openLocked(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL|os.O_APPEND)
	if err != nil {
		return fmt.Errorf("rotate log %s: %w", w.path, err)
	}
	hdr := fileHeader{sync: newSync(), base: w.hdr.base + w.size - fileHeaderSize, created: w.o.clock().UnixNano()}
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("rotate log %s: %w", w.path, err)
	}
	if _, err := f.Write(hdr.encode()); err != nil {
		return fail(err)
	}
	if w.o.maxFiles > 1 {
		// Shift only the files there are: path.1 ... path.top-1.
		top := 1
		for top < w.o.maxFiles-1 {
			if _, err := os.Lstat(fmt.Sprintf("%s.%d", w.path, top)); err != nil {
				break
			}
			top++
		}
		for i := top; i >= 2; i-- {
			err := os.Rename(fmt.Sprintf("%s.%d", w.path, i-1), fmt.Sprintf("%s.%d", w.path, i))
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return fail(err)
			}
		}
		_ = os.Remove(w.path + ".1")
		if err := os.Link(w.path, w.path+".1"); err != nil {
			return fail(err)
		}
	}
	if err := os.Rename(tmp, w.path); err != nil {
		return fail(err)
	}
	w.f.Close()
	w.f, w.hdr, w.size = f, hdr, fileHeaderSize
	return nil
}

// Close flushes the buffer and closes the file. It is idempotent.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.flush()
	if cerr := w.f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close log %s: %w", w.path, cerr)
	}
	return err
}

// StreamWriter returns an io.Writer that appends to stream s. Its Write
// buffers like Writer.Write. It also implements io.ReaderFrom, which
// io.Copy uses: ReadFrom reads up to 64 KiB at a time and flushes whenever
// a read comes back short (the pipe was drained), so output reaches the
// log as soon as the container stops writing, while a container writing
// flat out gets its output written a buffer at a time. ReadFrom keeps
// reading after a write error (the container must never block on its
// log) and returns the first such error when the source ends.
func (w *Writer) StreamWriter(s Stream) io.Writer {
	return &streamWriter{w: w, s: s}
}

type streamWriter struct {
	w *Writer
	s Stream
}

func (sw *streamWriter) Write(p []byte) (int, error) {
	if err := sw.w.write(sw.s, p, false); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (sw *streamWriter) ReadFrom(r io.Reader) (int64, error) {
	buf := make([]byte, readSize)
	var total int64
	var werr error
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			total += int64(n)
			if err := sw.w.write(sw.s, buf[:n], n < len(buf)); err != nil && werr == nil {
				if errors.Is(err, ErrClosed) {
					return total, err
				}
				werr = err
			}
		}
		if rerr != nil {
			if err := sw.w.Flush(); err != nil && werr == nil {
				werr = err
			}
			if rerr == io.EOF {
				return total, werr
			}
			return total, errors.Join(rerr, werr)
		}
	}
}
