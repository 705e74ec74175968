package logfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
)

// scanChunk is how much a resynchronising scan reads at a time.
const scanChunk = 256 << 10

// readAtFull reads len(b) bytes at off, reporting false if the source ends
// first.
func readAtFull(ra io.ReaderAt, b []byte, off int64) (bool, error) {
	n, err := ra.ReadAt(b, off)
	if n == len(b) {
		return true, nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return false, nil
	}
	return false, err
}

// validRecordAt reports whether a complete, valid record starts at file
// offset off and ends at or before hi, and returns its header.
func validRecordAt(ra io.ReaderAt, sync uint32, off, hi int64) (recHeader, bool, error) {
	var hb [recHeaderSize]byte
	if off+recOverhead > hi {
		return recHeader{}, false, nil
	}
	if ok, err := readAtFull(ra, hb[:], off); !ok {
		return recHeader{}, false, err
	}
	h, ok := parseRecHeader(hb[:], sync)
	if !ok {
		return recHeader{}, false, nil
	}
	end := off + recOverhead + int64(h.length)
	if end > hi {
		return recHeader{}, false, nil
	}
	var tb [recTrailerSize]byte
	if ok, err := readAtFull(ra, tb[:], end-recTrailerSize); !ok {
		return recHeader{}, false, err
	}
	return h, trailerMatches(tb[:], sync, h), nil
}

// lastRecordEnd finds the end of the last valid record lying in the file
// range [lo, hi): the fast path checks the trailer at hi, otherwise it
// scans backwards for the sync word, validating header and trailer of each
// candidate.
func lastRecordEnd(ra io.ReaderAt, sync uint32, lo, hi int64) (int64, recHeader, bool, error) {
	if hi-lo < recOverhead {
		return lo, recHeader{}, false, nil
	}
	var tb [recTrailerSize]byte
	if ok, err := readAtFull(ra, tb[:], hi-recTrailerSize); err != nil {
		return 0, recHeader{}, false, err
	} else if ok {
		if n, ok := parseRecTrailer(tb[:], sync); ok {
			start := hi - recOverhead - int64(n)
			if start >= lo {
				h, ok, err := validRecordAt(ra, sync, start, hi)
				if err != nil {
					return 0, recHeader{}, false, err
				}
				if ok {
					return hi, h, true, nil
				}
			}
		}
	}
	var sb [4]byte
	binary.LittleEndian.PutUint32(sb[:], sync)
	buf := make([]byte, min(scanChunk, hi-lo))
	end := hi
	for end-lo >= recOverhead {
		start := max(lo, end-int64(len(buf)))
		b := buf[:end-start]
		if ok, err := readAtFull(ra, b, start); !ok {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return 0, recHeader{}, false, err
		}
		k := len(b)
		for {
			i := bytes.LastIndex(b[:k], sb[:])
			if i < 0 {
				break
			}
			k = i + 3
			// b[i:i+4] is the sync word closing a trailer ending at e.
			e := start + int64(i) + 4
			if i < 4 || e > hi {
				continue
			}
			n := binary.LittleEndian.Uint32(b[i-4:])
			if n > MaxRecordData {
				continue
			}
			rs := e - recOverhead - int64(n)
			if rs < lo {
				continue
			}
			h, ok, err := validRecordAt(ra, sync, rs, e)
			if err != nil {
				return 0, recHeader{}, false, err
			}
			if ok {
				return e, h, true, nil
			}
		}
		if start == lo {
			break
		}
		end = start + 7
	}
	return lo, recHeader{}, false, nil
}

// nextRecordStart finds the first valid record starting in the file range
// [from, hi) and ending by hi, scanning forwards for the sync word.
func nextRecordStart(ra io.ReaderAt, sync uint32, from, hi int64) (int64, bool, error) {
	var sb [4]byte
	binary.LittleEndian.PutUint32(sb[:], sync)
	buf := make([]byte, max(0, min(scanChunk, hi-from)))
	start := from
	for hi-start >= recOverhead {
		b := buf[:min(int64(len(buf)), hi-start)]
		if ok, err := readAtFull(ra, b, start); !ok {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return 0, false, err
		}
		k := 0
		for {
			i := bytes.Index(b[k:], sb[:])
			if i < 0 {
				break
			}
			p := start + int64(k+i)
			k += i + 1
			if _, ok, err := validRecordAt(ra, sync, p, hi); err != nil {
				return 0, false, err
			} else if ok {
				return p, true, nil
			}
		}
		if start+int64(len(b)) >= hi {
			break
		}
		start += int64(len(b)) - 3
	}
	return 0, false, nil
}
