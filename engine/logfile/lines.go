package logfile

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"
)

// Pos is the position of a line in a log: the record holding the line's
// first byte and that byte's index in the record's data. Positions are
// stable across rotation and ordered like the lines they point at.
type Pos struct {
	// Offset is the record's logical offset (see Record.Offset).
	Offset int64
	// Index is the index of the line's first byte in the record's data.
	Index int
}

// Compare returns -1, 0 or +1 as p is before, at or after q.
func (p Pos) Compare(q Pos) int {
	switch {
	case p.Offset < q.Offset:
		return -1
	case p.Offset > q.Offset:
		return 1
	case p.Index < q.Index:
		return -1
	case p.Index > q.Index:
		return 1
	}
	return 0
}

// Line is one line of a log, as a pager shows it.
//
// Lines are cut at newlines. A line whose bytes arrived in several records
// is joined back when those records follow each other in the log and the
// later ones carry the continuation flag; if the other stream wrote in
// between, the pieces are shown as separate lines, in the order they were
// written, as a terminal would have shown them. The Writer never lets a
// line grow past MaxLine bytes, so neither does a Line.
type Line struct {
	// Pos is where the line starts.
	Pos Pos
	// Next is where the following line starts.
	Next Pos
	// Stream is the stream the line was written to.
	Stream Stream
	// Time is the time of the record holding the line's first byte. Lines
	// written together in one read share it.
	Time time.Time
	// Text is the line without its newline.
	Text string
	// Partial reports that the line has no newline (yet): the container
	// has not finished it, or wrote to the other stream in between.
	Partial bool
	// Truncated reports that Text was cut at maxText bytes (only in logs
	// not written by Writer).
	Truncated bool
}

// maxText bounds a Line's text and how far a backward walk looks for the
// start of a line.
const maxText = 4 * MaxLine

// Matcher decides whether a line matches a search. *regexp.Regexp is a
// Matcher.
type Matcher interface {
	Match(line []byte) bool
}

// MatchFunc adapts a function to Matcher.
type MatchFunc func(line []byte) bool

// Match calls f(line).
func (f MatchFunc) Match(line []byte) bool { return f(line) }

// Contains returns a Matcher for lines containing s.
func Contains(s string) Matcher {
	b := []byte(s)
	return MatchFunc(func(line []byte) bool { return bytes.Contains(line, b) })
}

// Lines is a line-oriented pager over a log for the TUI: it hands out
// windows of lines around positions and searches, holding nothing but the
// Reader's window and one line of text, whatever the size of the log.
// It is not safe for concurrent use.
type Lines struct {
	r    *Reader
	text []byte
}

// OpenLines opens the log at path for paging. See Open.
func OpenLines(path string) (*Lines, error) {
	r, err := Open(path)
	if err != nil {
		return nil, err
	}
	return &Lines{r: r}, nil
}

// Close closes the log. It is idempotent.
func (l *Lines) Close() error { return l.r.Close() }

// Refresh picks up growth and rotation of the log; call it when a
// Watcher reports a change. Unlike a Reader, Lines lets go of files
// rotated away: it shows what the log holds now.
func (l *Lines) Refresh() error { return l.r.refreshKeep(false) }

// Start returns the position of the first line.
func (l *Lines) Start() Pos { return Pos{Offset: l.r.Start()} }

// End returns the position just past the last line.
func (l *Lines) End() (Pos, error) {
	if err := l.Refresh(); err != nil {
		return Pos{}, err
	}
	end, err := l.r.SeekEnd()
	return Pos{Offset: end}, err
}

// Locate returns the start of the line holding the first byte of the
// first record at or after the logical offset off (for a scroll bar: off
// may be any offset between Reader.Start and End).
func (l *Lines) Locate(off int64) (Pos, error) {
	p, err := l.r.SeekOffset(off)
	if err != nil {
		return Pos{}, err
	}
	return l.lineOfRecord(p)
}

// LocateTime returns the start of the line holding the first byte of the
// first record written at or after t.
func (l *Lines) LocateTime(t time.Time) (Pos, error) {
	p, err := l.r.SeekTime(t)
	if err != nil {
		return Pos{}, err
	}
	return l.lineOfRecord(p)
}

func (l *Lines) lineOfRecord(off int64) (Pos, error) {
	rec, err := l.recordAt(off)
	if err == io.EOF {
		return Pos{Offset: off}, nil
	}
	if err != nil {
		return Pos{}, err
	}
	return l.startOfRecordLine(rec)
}

// Read returns up to n lines starting with the one at p (fewer at the end
// of the log).
func (l *Lines) Read(p Pos, n int) ([]Line, error) {
	var out []Line
	for len(out) < n {
		ln, err := l.scanLine(p)
		if err == io.EOF {
			break
		}
		if err != nil {
			return out, err
		}
		ln.Text = string(l.text)
		out = append(out, ln)
		p = ln.Next
	}
	return out, nil
}

// ReadBefore returns up to n lines that end before p, oldest first (fewer
// at the start of the log). ReadBefore(End, n) is the last n lines.
func (l *Lines) ReadBefore(p Pos, n int) ([]Line, error) {
	starts := make([]Pos, 0, n)
	for len(starts) < n {
		q, _, err := l.prevStart(p)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		starts = append(starts, q)
		p = q
	}
	if len(starts) == 0 {
		return nil, nil
	}
	return l.Read(starts[len(starts)-1], len(starts))
}

// Last returns the last n lines of the log, oldest first.
func (l *Lines) Last(n int) ([]Line, error) {
	end, err := l.End()
	if err != nil {
		return nil, err
	}
	return l.ReadBefore(end, n)
}

// Search returns the first line matching m: forward, the first at or after
// from; backward, the last before from. It reads the log a window at a
// time, checking ctx as it goes, and returns an error wrapping ErrNotFound
// when it reaches the end (or start) of the log without a match. For the
// next match after a Line, search forward from its Next; for the previous,
// backward from its Pos.
func (l *Lines) Search(ctx context.Context, m Matcher, from Pos, forward bool) (Line, error) {
	if forward {
		return l.searchForward(ctx, m, from)
	}
	return l.searchBackward(ctx, m, from)
}

func (l *Lines) searchBackward(ctx context.Context, m Matcher, p Pos) (Line, error) {
	for i := 0; ; i++ {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return Line{}, err
			}
		}
		// The lines before p end in rec.Data[:k].
		var rec Record
		var err error
		if p.Index > 0 {
			rec, err = l.recordAt(p.Offset)
			if err == nil && rec.Offset != p.Offset {
				p = Pos{Offset: p.Offset}
				continue
			}
		} else {
			rec, err = l.recordBefore(p.Offset)
		}
		if err == io.EOF {
			return Line{}, fmt.Errorf("search log: %w", ErrNotFound)
		}
		if err != nil {
			return Line{}, err
		}
		k := len(rec.Data)
		if p.Index > 0 {
			k = min(p.Index, k)
		}
		if k == 0 {
			p = Pos{Offset: rec.Offset}
			continue
		}
		data := rec.Data
		// Whole lines inside this record, last first: each starts after
		// a newline. A last piece without a newline is a whole (partial)
		// line too, since the line at p does not continue it.
		e := k
		nl := e > 0 && data[e-1] == '\n'
		if nl {
			e--
		}
		for {
			j := bytes.LastIndexByte(data[:e], '\n')
			if j < 0 {
				break
			}
			if m.Match(data[j+1 : e]) {
				ln := Line{
					Pos:    Pos{Offset: rec.Offset, Index: j + 1},
					Stream: rec.Stream,
					Time:   rec.Time,
					Text:   string(data[j+1 : e]),
				}
				if nl {
					ln.Next = after(rec, e+1)
				} else {
					ln.Partial, ln.Next = true, Pos{Offset: rec.End()}
				}
				return ln, nil
			}
			e, nl = j, true
		}
		// The first piece, which may continue earlier records.
		q, err := l.startOfRecordLine(rec)
		if err != nil {
			return Line{}, err
		}
		ln, err := l.scanLine(q)
		if err != nil {
			return Line{}, err
		}
		if m.Match(l.text) {
			ln.Text = string(l.text)
			return ln, nil
		}
		p = q
	}
}

func (l *Lines) searchForward(ctx context.Context, m Matcher, p Pos) (Line, error) {
	for i := 0; ; i++ {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return Line{}, err
			}
		}
		rec, err := l.recordAt(p.Offset)
		if err == io.EOF {
			return Line{}, fmt.Errorf("search log: %w", ErrNotFound)
		}
		if err != nil {
			return Line{}, err
		}
		start := 0
		if rec.Offset == p.Offset {
			start = min(p.Index, len(rec.Data))
		}
		data := rec.Data
		// Whole lines inside this record, without leaving it.
		for {
			i := bytes.IndexByte(data[start:], '\n')
			if i < 0 {
				break
			}
			if m.Match(data[start : start+i]) {
				return Line{
					Pos:    Pos{Offset: rec.Offset, Index: start},
					Next:   after(rec, start+i+1),
					Stream: rec.Stream,
					Time:   rec.Time,
					Text:   string(data[start : start+i]),
				}, nil
			}
			start += i + 1
		}
		if start == len(data) {
			p = Pos{Offset: rec.End()}
			continue
		}
		// The record ends inside a line, which may go on in the next.
		ln, err := l.scanLine(Pos{Offset: rec.Offset, Index: start})
		if err != nil {
			return Line{}, err
		}
		if m.Match(l.text) {
			ln.Text = string(l.text)
			return ln, nil
		}
		p = ln.Next
	}
}

// after returns the position of index k of rec's data, or of the next
// record when k is past the data.
func after(rec Record, k int) Pos {
	if k < len(rec.Data) {
		return Pos{Offset: rec.Offset, Index: k}
	}
	return Pos{Offset: rec.End()}
}

func (l *Lines) recordAt(off int64) (Record, error) {
	l.r.pos = off
	return l.r.Next()
}

func (l *Lines) recordBefore(off int64) (Record, error) {
	l.r.pos = off
	return l.r.Prev()
}

// joins reports whether the record after one of stream s whose data ended
// in last (and was not empty) continues its line.
func joins(s Stream, last byte, next Record) bool {
	return next.Cont && next.Stream == s && last != '\n'
}

// scanLine reads the line starting at p into l.text and returns it without
// its Text.
func (l *Lines) scanLine(p Pos) (Line, error) {
	l.text = l.text[:0]
	for {
		rec, err := l.recordAt(p.Offset)
		if err != nil {
			return Line{}, err
		}
		if rec.Offset != p.Offset { // gone (rotated) or damaged: go on from here
			p = Pos{Offset: rec.Offset}
		}
		if p.Index >= len(rec.Data) {
			p = Pos{Offset: rec.End()}
			continue
		}
		ln := Line{Pos: p, Stream: rec.Stream, Time: rec.Time}
		data := rec.Data[p.Index:]
		for {
			if i := bytes.IndexByte(data, '\n'); i >= 0 {
				l.appendText(&ln, data[:i])
				ln.Next = after(rec, len(rec.Data)-len(data)+i+1)
				return ln, nil
			}
			l.appendText(&ln, data)
			if len(rec.Data) == 0 {
				ln.Partial, ln.Next = true, Pos{Offset: rec.End()}
				return ln, nil
			}
			s, last, end := rec.Stream, rec.Data[len(rec.Data)-1], rec.End()
			rec, err = l.recordAt(end)
			if err != nil && err != io.EOF {
				return Line{}, err
			}
			if err == io.EOF || rec.Offset != end || !joins(s, last, rec) {
				ln.Partial, ln.Next = true, Pos{Offset: end}
				return ln, nil
			}
			data = rec.Data
		}
	}
}

func (l *Lines) appendText(ln *Line, b []byte) {
	if room := maxText - len(l.text); len(b) > room {
		b = b[:max(room, 0)]
		ln.Truncated = true
	}
	l.text = append(l.text, b...)
}

// prevStart returns the start of the line before the one at p, and that
// line's stream; io.EOF if there is none.
func (l *Lines) prevStart(p Pos) (Pos, Stream, error) {
	for {
		var rec Record
		var err error
		if p.Index > 0 {
			rec, err = l.recordAt(p.Offset)
			if err == nil && rec.Offset != p.Offset {
				p = Pos{Offset: p.Offset}
				continue
			}
		} else {
			rec, err = l.recordBefore(p.Offset)
		}
		if err != nil {
			return Pos{}, 0, err
		}
		k := len(rec.Data)
		if p.Index > 0 {
			k = min(p.Index, k)
		}
		if k == 0 {
			p = Pos{Offset: rec.Offset}
			continue
		}
		// The line before p ends with rec.Data[k-1]; it starts after the
		// newline before that, or where rec's first line starts.
		if j := bytes.LastIndexByte(rec.Data[:k-1], '\n'); j >= 0 {
			return Pos{Offset: rec.Offset, Index: j + 1}, rec.Stream, nil
		}
		q, err := l.startOfRecordLine(rec)
		return q, rec.Stream, err
	}
}

// startOfRecordLine returns where the line holding rec's first byte
// starts: rec's offset, unless rec continues the previous record's line.
func (l *Lines) startOfRecordLine(rec Record) (Pos, error) {
	walked := 0
	for rec.Cont && walked <= maxText {
		s, off := rec.Stream, rec.Offset
		q, err := l.recordBefore(off)
		if err == io.EOF {
			break
		}
		if err != nil {
			return Pos{}, err
		}
		if len(q.Data) == 0 || q.End() != off || !joins(q.Stream, q.Data[len(q.Data)-1], Record{Cont: true, Stream: s}) {
			return Pos{Offset: off}, nil
		}
		if j := bytes.LastIndexByte(q.Data, '\n'); j >= 0 {
			return Pos{Offset: q.Offset, Index: j + 1}, nil
		}
		walked += len(q.Data)
		rec = q
	}
	return Pos{Offset: rec.Offset}, nil
}
