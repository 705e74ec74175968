package logfile

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"time"
)

// Stream says which of the container's output streams a record came from.
type Stream uint8

// The container's output streams. Their values are stored in the file.
const (
	Stdout Stream = 1
	Stderr Stream = 2
)

// String returns "stdout" or "stderr".
func (s Stream) String() string {
	switch s {
	case Stdout:
		return "stdout"
	case Stderr:
		return "stderr"
	}
	return fmt.Sprintf("stream(%d)", uint8(s))
}

// Format constants; doc.go describes the layout they define.
const (
	fileMagic      = "BERTHLOG"
	fileVersion    = 1
	fileHeaderSize = 32

	recHeaderSize  = 20
	recTrailerSize = 8
	// recOverhead is the number of bytes a record adds to its data.
	recOverhead = recHeaderSize + recTrailerSize

	// MaxRecordData is the largest data length a record may carry. Readers
	// reject longer records as corrupt.
	MaxRecordData = 1 << 20

	// MaxLine is the longest line the Writer lets grow without a break:
	// a line that runs past MaxLine bytes without a newline is continued in
	// a record that does not carry the continuation flag, so readers show it
	// as a new line (docker splits long lines at 16 KiB the same way).
	MaxLine = 16 << 10

	// flagCont marks a record whose first byte continues the unterminated
	// line left by the previous record of the same stream.
	flagCont   = 1 << 0
	knownFlags = flagCont
)

// fileHeader is the fixed header at the start of every log file.
type fileHeader struct {
	sync    uint32 // per-file random word that opens and closes every record
	base    int64  // logical offset of the file's first record
	created int64  // unix nanoseconds
}

func (h fileHeader) encode() []byte {
	b := make([]byte, fileHeaderSize)
	copy(b, fileMagic)
	binary.LittleEndian.PutUint16(b[8:], fileVersion)
	binary.LittleEndian.PutUint16(b[10:], fileHeaderSize)
	binary.LittleEndian.PutUint32(b[12:], h.sync)
	binary.LittleEndian.PutUint64(b[16:], uint64(h.base))
	binary.LittleEndian.PutUint64(b[24:], uint64(h.created))
	return b
}

func decodeFileHeader(b []byte) (fileHeader, error) {
	if len(b) < fileHeaderSize || string(b[:8]) != fileMagic {
		return fileHeader{}, ErrBadHeader
	}
	if v := binary.LittleEndian.Uint16(b[8:]); v != fileVersion {
		return fileHeader{}, fmt.Errorf("log version %d: %w", v, ErrBadHeader)
	}
	if binary.LittleEndian.Uint16(b[10:]) != fileHeaderSize {
		return fileHeader{}, ErrBadHeader
	}
	h := fileHeader{
		sync:    binary.LittleEndian.Uint32(b[12:]),
		base:    int64(binary.LittleEndian.Uint64(b[16:])),
		created: int64(binary.LittleEndian.Uint64(b[24:])),
	}
	if h.sync == 0 || h.base < 0 {
		return fileHeader{}, ErrBadHeader
	}
	return h, nil
}

// newSync returns a random, non-zero sync word. Container output cannot
// forge records because it cannot know this word.
func newSync() uint32 {
	var b [4]byte
	for {
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
		if s := binary.LittleEndian.Uint32(b[:]); s != 0 {
			return s
		}
	}
}

// recHeader is a record's decoded header.
type recHeader struct {
	length uint32
	time   int64
	stream Stream
	flags  uint8
}

func putRecHeader(b []byte, sync uint32, h recHeader) {
	_ = b[recHeaderSize-1]
	binary.LittleEndian.PutUint32(b[0:], sync)
	binary.LittleEndian.PutUint32(b[4:], h.length)
	binary.LittleEndian.PutUint64(b[8:], uint64(h.time))
	b[16] = byte(h.stream)
	b[17] = h.flags
	b[18], b[19] = 0, 0
}

func putRecTrailer(b []byte, sync uint32, length uint32) {
	_ = b[recTrailerSize-1]
	binary.LittleEndian.PutUint32(b[0:], length)
	binary.LittleEndian.PutUint32(b[4:], sync)
}

// parseRecHeader decodes and validates a record header.
func parseRecHeader(b []byte, sync uint32) (recHeader, bool) {
	_ = b[recHeaderSize-1]
	if binary.LittleEndian.Uint32(b[0:]) != sync {
		return recHeader{}, false
	}
	h := recHeader{
		length: binary.LittleEndian.Uint32(b[4:]),
		time:   int64(binary.LittleEndian.Uint64(b[8:])),
		stream: Stream(b[16]),
		flags:  b[17],
	}
	if h.length > MaxRecordData || (h.stream != Stdout && h.stream != Stderr) ||
		h.flags&^knownFlags != 0 || b[18] != 0 || b[19] != 0 {
		return recHeader{}, false
	}
	return h, true
}

// parseRecTrailer decodes a trailer and returns the data length it states.
func parseRecTrailer(b []byte, sync uint32) (uint32, bool) {
	_ = b[recTrailerSize-1]
	if binary.LittleEndian.Uint32(b[4:]) != sync {
		return 0, false
	}
	n := binary.LittleEndian.Uint32(b[0:])
	if n > MaxRecordData {
		return 0, false
	}
	return n, true
}

// trailerMatches reports whether the trailer at the end of a record with
// header h is intact.
func trailerMatches(b []byte, sync uint32, h recHeader) bool {
	n, ok := parseRecTrailer(b, sync)
	return ok && n == h.length
}

// Record is one entry of the log: the bytes one read of a container stream
// returned (or a piece of them), with the time they arrived.
type Record struct {
	// Stream is the stream the data was read from.
	Stream Stream
	// Time is when the monitor read the data. Times never decrease in log
	// order, even when the clock steps back.
	Time time.Time
	// Data is the bytes exactly as the container wrote them. It may hold
	// several lines and may end in the middle of one. For records returned
	// by Reader, Data is only valid until the next call on the Reader.
	Data []byte
	// Offset is the record's logical position in the log: stable across
	// rotation, usable with Reader.SeekOffset.
	Offset int64
	// Cont reports that Data's first byte continues the unterminated line
	// of the previous record of the same stream.
	Cont bool
}

// size is the number of bytes the record occupies in the file.
func (r Record) size() int64 { return int64(len(r.Data)) + recOverhead }

// End is the logical offset just past the record, where the next one starts.
func (r Record) End() int64 { return r.Offset + r.size() }
