package logfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// readChunk is how much the Reader reads from a file at a time; its window
// grows only to hold a record larger than this.
const readChunk = 256 << 10

// Reader reads a log, all of its rotated files as one sequence of records,
// forwards and backwards, from any position. Positions are logical offsets:
// a record keeps its offset when its file is rotated to path.1, so an
// offset stays valid for as long as the record is kept. A Reader holds one
// window of the file (256 KiB, more only for a larger record) and an open
// descriptor per file; it never reads a whole file into memory.
//
// A torn or half-written last record is invisible: Next reports io.EOF in
// front of it until it is complete. Damaged data in the middle of a file
// is skipped by resynchronising on the file's sync word. A Reader is not
// safe for concurrent use.
type Reader struct {
	dir, name string
	segs      []*segment
	pos       int64

	// The window: file bytes [wOff, wOff+len(wBuf)) of wSeg.
	wSeg *segment
	wOff int64
	wBuf []byte
	buf  []byte

	nread  int64 // bytes read from files, for tests and statistics
	closed bool
}

type fileID struct{ dev, ino uint64 }

// segment is one file of the log.
type segment struct {
	r    *Reader
	f    *os.File
	id   fileID
	hdr  fileHeader
	size int64 // file size as last seen
}

func (s *segment) ReadAt(b []byte, off int64) (int, error) {
	n, err := s.f.ReadAt(b, off)
	s.r.nread += int64(n)
	if end := off + int64(n); end > s.size {
		s.size = end
	}
	return n, err
}

func (s *segment) start() int64            { return s.hdr.base }
func (s *segment) end() int64              { return s.hdr.base + s.size - fileHeaderSize }
func (s *segment) fileOff(pos int64) int64 { return pos - s.hdr.base + fileHeaderSize }
func (s *segment) logical(off int64) int64 { return off - fileHeaderSize + s.hdr.base }

func (s *segment) restat() error {
	st, err := s.f.Stat()
	if err != nil {
		return err
	}
	s.size = st.Size()
	return nil
}

// Open opens the log at path (with its rotated files path.1, path.2, ...)
// positioned at its first record. A log that does not exist yet reads as
// empty; Refresh picks it up once it is created. The directory must exist.
func Open(path string) (*Reader, error) {
	r := &Reader{dir: filepath.Dir(path), name: filepath.Base(path)}
	if _, err := os.Stat(r.dir); err != nil {
		return nil, fmt.Errorf("open log %s: %w", path, err)
	}
	if err := r.Refresh(); err != nil {
		return nil, err
	}
	r.SeekStart()
	return r, nil
}

// Close closes the log's files. It is idempotent.
func (r *Reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	var errs []error
	for _, s := range r.segs {
		errs = append(errs, s.f.Close())
	}
	r.segs, r.wSeg, r.buf, r.wBuf = nil, nil, nil, nil
	return errors.Join(errs...)
}

// isLogName reports whether name is the log's name or a rotated one
// (name.N).
func isLogName(base, name string) bool {
	if name == base {
		return true
	}
	rest, ok := strings.CutPrefix(name, base+".")
	if !ok || rest == "" {
		return false
	}
	n, err := strconv.Atoi(rest)
	return err == nil && n > 0 && strconv.Itoa(n) == rest
}

// Refresh brings the Reader up to date with the files on disk: files
// rotated in, files grown, files removed. A file removed while the Reader
// still has records of it ahead of its position stays readable (its
// descriptor is kept) until the Reader moves past it, so a follower never
// loses records to rotation.
func (r *Reader) Refresh() error { return r.refreshKeep(true) }

// refreshKeep is Refresh; keep says whether to keep files rotated away
// that still have records ahead of the position.
func (r *Reader) refreshKeep(keep bool) error {
	if r.closed {
		return fmt.Errorf("refresh log: %w", ErrClosed)
	}
	// A listing taken while the writer rotates can miss a file (names
	// shift under it). Files are only ever removed oldest first, so a
	// hole between two files ahead of the position means just that:
	// list again.
	for try := 0; ; try++ {
		gap, err := r.refresh(keep)
		if err != nil || !gap || try == 20 {
			return err
		}
	}
}

// logIndex returns 0 for the log's own name, N for name.N, -1 otherwise.
func logIndex(base, name string) int {
	if name == base {
		return 0
	}
	if !isLogName(base, name) {
		return -1
	}
	n, _ := strconv.Atoi(name[len(base)+1:])
	return n
}

func (r *Reader) refresh(keep bool) (bool, error) {
	ents, err := os.ReadDir(r.dir)
	if err != nil {
		return false, fmt.Errorf("refresh log %s: %w", filepath.Join(r.dir, r.name), err)
	}
	top := -1
	for _, e := range ents {
		top = max(top, logIndex(r.name, e.Name()))
	}
	old := make(map[fileID]*segment, len(r.segs))
	for _, s := range r.segs {
		old[s.id] = s
	}
	var segs []*segment
	seen := make(map[fileID]bool)
	// Newest first: rotation moves files to higher numbers, one at a
	// time, so a file cannot slip from a name not yet looked at to one
	// already passed; and it cannot outrun the scan, which goes on past
	// the highest name listed until two names in a row are missing (a
	// rotation leaves at most one hole at a time).
	for i, misses := 0, 0; top >= 0 && (i <= top || misses < 2) && i <= top+1000; i++ {
		name := r.name
		if i > 0 {
			name = r.name + "." + strconv.Itoa(i)
		}
		s, err := r.openSegment(filepath.Join(r.dir, name), old)
		if err != nil {
			return false, fmt.Errorf("refresh log %s: %w", filepath.Join(r.dir, r.name), err)
		}
		if s == nil {
			misses++
			continue
		}
		misses = 0
		if seen[s.id] {
			continue
		}
		seen[s.id] = true
		segs = append(segs, s)
	}
	for _, s := range r.segs {
		if seen[s.id] {
			continue
		}
		// Not listed: rotated away, or renamed while listing. Keep it
		// while it has records at or after the position.
		if err := s.restat(); keep && err == nil && s.end() > r.pos {
			segs = append(segs, s) // rotated away under us, not read yet
			seen[s.id] = true
			continue
		}
		s.f.Close()
		if r.wSeg == s {
			r.wSeg = nil
		}
	}
	slices.SortFunc(segs, func(a, b *segment) int {
		if a.start() != b.start() {
			return int(min(max(a.start()-b.start(), -1), 1))
		}
		return int(min(max(b.size-a.size, -1), 1))
	})
	// Two files with the same base hold the same records (a rotation was
	// interrupted): keep the larger.
	segs = slices.CompactFunc(segs, func(a, b *segment) bool {
		if a.start() == b.start() {
			if r.wSeg == b {
				r.wSeg = nil
			}
			b.f.Close()
			return true
		}
		return false
	})
	r.segs = segs
	for i := 1; i < len(segs); i++ {
		if segs[i].start() > r.pos && segs[i-1].end() < segs[i].start() {
			return true, nil
		}
	}
	return false, nil
}

// openSegment returns the segment for the file at path, reusing the one in
// old that has the same file, or nil if the file is gone or has no valid
// header yet.
func (r *Reader) openSegment(path string, old map[fileID]*segment) (*segment, error) {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	if s, ok := old[idOf(fi)]; ok {
		return s, s.restat()
	}
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	id := idOf(st)
	if s, ok := old[id]; ok { // renamed between Stat and Open
		f.Close()
		return s, s.restat()
	}
	hb := make([]byte, fileHeaderSize)
	if ok, err := readAtFull(f, hb, 0); !ok {
		f.Close()
		return nil, err
	}
	h, err := decodeFileHeader(hb)
	if err != nil {
		f.Close()
		return nil, nil // not a log file (yet): nothing to read in it
	}
	return &segment{r: r, f: f, id: id, hdr: h, size: st.Size()}, nil
}

func idOf(fi os.FileInfo) fileID {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fileID{dev: uint64(st.Dev), ino: st.Ino}
	}
	return fileID{}
}

// Start returns the offset of the first record kept.
func (r *Reader) Start() int64 {
	if len(r.segs) == 0 {
		return 0
	}
	return r.segs[0].start()
}

// End returns the offset just past the last complete record, as of the
// last Refresh (or growth seen by Next).
func (r *Reader) End() (int64, error) {
	if r.closed {
		return 0, fmt.Errorf("read log: %w", ErrClosed)
	}
	if len(r.segs) == 0 {
		return 0, nil
	}
	return r.validEnd(r.segs[len(r.segs)-1])
}

// Size returns End minus Start: the bytes of the log kept on disk.
func (r *Reader) Size() (int64, error) {
	end, err := r.End()
	return end - r.Start(), err
}

// Offset returns the position: the offset of the record Next returns.
func (r *Reader) Offset() int64 { return r.pos }

// BytesRead returns how many bytes the Reader has read from its files.
func (r *Reader) BytesRead() int64 { return r.nread }

func (r *Reader) validEnd(s *segment) (int64, error) {
	e, _, _, err := lastRecordEnd(s, s.hdr.sync, fileHeaderSize, s.size)
	if err != nil {
		return 0, fmt.Errorf("read log %s: %w", r.name, err)
	}
	return s.logical(e), nil
}

// SeekStart moves to the first record.
func (r *Reader) SeekStart() { r.pos = r.Start() }

// SeekEnd moves past the last complete record, so that Prev returns the
// last record and Next waits for new ones, and returns the position.
func (r *Reader) SeekEnd() (int64, error) {
	if r.closed {
		return 0, fmt.Errorf("seek log: %w", ErrClosed)
	}
	if len(r.segs) == 0 {
		r.pos = 0
		return 0, nil
	}
	last := r.segs[len(r.segs)-1]
	if err := last.restat(); err != nil {
		return 0, fmt.Errorf("seek log %s: %w", r.name, err)
	}
	end, err := r.validEnd(last)
	if err != nil {
		return 0, err
	}
	r.pos = end
	return end, nil
}

// segBefore returns the index of the last segment starting at or before
// pos, or -1.
func (r *Reader) segBefore(pos int64) int {
	for i := len(r.segs) - 1; i >= 0; i-- {
		if r.segs[i].start() <= pos {
			return i
		}
	}
	return -1
}

// segAt returns the index of the segment holding offset pos, or -1.
func (r *Reader) segAt(pos int64) int {
	for i := len(r.segs) - 1; i >= 0; i-- {
		s := r.segs[i]
		if s.start() <= pos {
			if pos < s.end() {
				return i
			}
			return -1
		}
	}
	return -1
}

// SeekOffset moves to the first record that starts at or after off (the end if
// there is none) and returns its offset. off need not be a record
// boundary: Seek resynchronises on the sync word, validating header and
// trailer of each candidate.
func (r *Reader) SeekOffset(off int64) (int64, error) {
	if r.closed {
		return 0, fmt.Errorf("seek log: %w", ErrClosed)
	}
	for {
		i := r.segAt(off)
		if i < 0 {
			for _, s := range r.segs {
				if off <= s.start() {
					r.pos = s.start()
					return r.pos, nil
				}
			}
			return r.SeekEnd()
		}
		s := r.segs[i]
		if _, st, err := r.parse(s, off); err != nil {
			return 0, err
		} else if st == recOK {
			r.pos = off
			return off, nil
		}
		p, found, err := nextRecordStart(s, s.hdr.sync, s.fileOff(off), s.size)
		if err != nil {
			return 0, fmt.Errorf("seek log %s: %w", r.name, err)
		}
		if found {
			r.pos = s.logical(p)
			return r.pos, nil
		}
		if i == len(r.segs)-1 {
			end, err := r.validEnd(s)
			if err != nil {
				return 0, err
			}
			r.pos = end
			return end, nil
		}
		off = r.segs[i+1].start()
	}
}

// SeekTime moves to the first record whose time is at or after t and
// returns its offset (the end if there is none). It bisects the log, so it
// reads a few windows, not the log.
func (r *Reader) SeekTime(t time.Time) (int64, error) {
	lo := r.Start()
	hi, err := r.End()
	if err != nil {
		return 0, err
	}
	want := t.UnixNano()
	for hi-lo > 2*readChunk {
		p, err := r.SeekOffset(lo + (hi-lo)/2)
		if err != nil {
			return 0, err
		}
		if p >= hi {
			break
		}
		rec, err := r.Next()
		if err != nil {
			if err == io.EOF {
				break
			}
			return 0, err
		}
		if rec.Time.UnixNano() < want {
			lo = rec.End()
		} else {
			hi = p
		}
	}
	if _, err := r.SeekOffset(lo); err != nil {
		return 0, err
	}
	for {
		p := r.pos
		rec, err := r.Next()
		if err == io.EOF {
			return r.pos, nil
		}
		if err != nil {
			return 0, err
		}
		if rec.Time.UnixNano() >= want {
			r.pos = p
			return p, nil
		}
	}
}

type parseStatus int

const (
	recOK parseStatus = iota
	recIncomplete
	recCorrupt
)

// bytesAt returns n bytes at file offset off of s, or fewer if the file
// ends first, from the window, reloading it if needed; back says the
// caller walks backwards, so the window is loaded to end at off+n.
func (r *Reader) bytesAt(s *segment, off int64, n int, back bool) ([]byte, error) {
	if s == r.wSeg && off >= r.wOff && off+int64(n) <= r.wOff+int64(len(r.wBuf)) {
		return r.wBuf[off-r.wOff : off-r.wOff+int64(n)], nil
	}
	size := max(readChunk, n)
	if cap(r.buf) < size {
		r.buf = make([]byte, size)
	}
	start := off
	if back {
		start = max(0, off+int64(n)-int64(size))
	}
	b := r.buf[:size]
	m, err := s.ReadAt(b, start)
	if err != nil && !errors.Is(err, io.EOF) {
		r.wSeg = nil
		return nil, fmt.Errorf("read log %s: %w", r.name, err)
	}
	r.wSeg, r.wOff, r.wBuf = s, start, b[:m]
	avail := start + int64(m) - off
	if avail <= 0 {
		return nil, nil
	}
	return r.wBuf[off-start : off-start+min(int64(n), avail)], nil
}

// parse decodes the record at logical offset pos of s.
func (r *Reader) parse(s *segment, pos int64) (Record, parseStatus, error) {
	fo := s.fileOff(pos)
	b, err := r.bytesAt(s, fo, recHeaderSize, false)
	if err != nil {
		return Record{}, 0, err
	}
	if len(b) < recHeaderSize {
		return Record{}, recIncomplete, nil
	}
	h, ok := parseRecHeader(b, s.hdr.sync)
	if !ok {
		return Record{}, recCorrupt, nil
	}
	total := recOverhead + int(h.length)
	if b, err = r.bytesAt(s, fo, total, false); err != nil {
		return Record{}, 0, err
	}
	if len(b) < total {
		return Record{}, recIncomplete, nil
	}
	if !trailerMatches(b[total-recTrailerSize:], s.hdr.sync, h) {
		return Record{}, recCorrupt, nil
	}
	n := recHeaderSize + int(h.length)
	return Record{
		Stream: h.stream,
		Time:   time.Unix(0, h.time),
		Data:   b[recHeaderSize:n:n],
		Offset: pos,
		Cont:   h.flags&flagCont != 0,
	}, recOK, nil
}

// Next returns the record at the position and moves past it. At the end of
// the log it returns io.EOF and stays put, so calling Next again after the
// log grew (or after Refresh, once it rotated) continues where it was.
// The record's Data is valid until the next call on the Reader.
func (r *Reader) Next() (Record, error) {
	if r.closed {
		return Record{}, fmt.Errorf("read log: %w", ErrClosed)
	}
	retried, restated := false, false
	for {
		i := r.segAt(r.pos)
		if i < 0 {
			// At the end of a file: it may have grown since it was last
			// looked at; only once it has not may the next file start.
			if j := r.segBefore(r.pos); j >= 0 && !restated {
				restated = true
				if err := r.segs[j].restat(); err != nil {
					return Record{}, fmt.Errorf("read log %s: %w", r.name, err)
				}
				continue
			}
			moved := false
			for _, s := range r.segs {
				if r.pos < s.start() && s.start() < s.end() {
					r.pos, moved = s.start(), true
					break
				}
			}
			if !moved {
				return Record{}, io.EOF
			}
			restated = false
			continue
		}
		s := r.segs[i]
		rec, st, err := r.parse(s, r.pos)
		if err != nil {
			return Record{}, err
		}
		if st == recOK {
			r.pos = rec.End()
			return rec, nil
		}
		if !retried {
			// The window or size may be stale (the file grew, or a
			// writer truncated a torn tail and wrote anew): look again.
			retried = true
			r.wSeg = nil
			if err := s.restat(); err != nil {
				return Record{}, fmt.Errorf("read log %s: %w", r.name, err)
			}
			continue
		}
		last := i == len(r.segs)-1
		if st == recCorrupt {
			p, found, err := nextRecordStart(s, s.hdr.sync, s.fileOff(r.pos)+1, s.size)
			if err != nil {
				return Record{}, fmt.Errorf("read log %s: %w", r.name, err)
			}
			if found {
				r.pos = s.logical(p)
				continue
			}
		}
		if last {
			return Record{}, io.EOF
		}
		r.pos = r.segs[i+1].start()
	}
}

// Prev moves back over the record before the position and returns it. At
// the first record it returns io.EOF. The record's Data is valid until the
// next call on the Reader.
func (r *Reader) Prev() (Record, error) {
	if r.closed {
		return Record{}, fmt.Errorf("read log: %w", ErrClosed)
	}
	for {
		i := -1
		for j := len(r.segs) - 1; j >= 0; j-- {
			if r.segs[j].start() < r.pos {
				i = j
				break
			}
		}
		if i < 0 {
			return Record{}, io.EOF
		}
		s := r.segs[i]
		if r.pos > s.end() {
			end, err := r.validEnd(s)
			if err != nil {
				return Record{}, err
			}
			r.pos = end
			if end == s.start() {
				continue
			}
		}
		fo := s.fileOff(r.pos)
		rec, ok, err := r.parseBack(s, fo)
		if err != nil {
			return Record{}, err
		}
		if ok {
			r.pos = rec.Offset
			return rec, nil
		}
		e, _, found, err := lastRecordEnd(s, s.hdr.sync, fileHeaderSize, fo-1)
		if err != nil {
			return Record{}, fmt.Errorf("read log %s: %w", r.name, err)
		}
		if found {
			r.pos = s.logical(e)
		} else {
			r.pos = s.start()
		}
	}
}

// parseBack decodes the record ending at file offset fo of s.
func (r *Reader) parseBack(s *segment, fo int64) (Record, bool, error) {
	if fo-recOverhead < fileHeaderSize {
		return Record{}, false, nil
	}
	tb, err := r.bytesAt(s, fo-recTrailerSize, recTrailerSize, true)
	if err != nil || len(tb) < recTrailerSize {
		return Record{}, false, err
	}
	n, ok := parseRecTrailer(tb, s.hdr.sync)
	if !ok {
		return Record{}, false, nil
	}
	start := fo - recOverhead - int64(n)
	if start < fileHeaderSize {
		return Record{}, false, nil
	}
	if _, err := r.bytesAt(s, start, recOverhead+int(n), true); err != nil {
		return Record{}, false, err
	}
	rec, st, err := r.parse(s, s.logical(start))
	return rec, st == recOK && rec.End() == s.logical(fo), err
}
