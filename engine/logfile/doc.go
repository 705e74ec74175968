// Package logfile implements the container log (ctr.log): the binary file
// a container's monitor captures stdout and stderr into, and the readers
// `berth logs` and the TUI's logs pane use to read it back, forwards,
// backwards or from any point, without ever holding more than a window of
// it in memory.
//
// # Writing
//
// The monitor opens the log with Create and copies each of the container's
// streams into it with io.Copy(w.StreamWriter(Stdout), pipe). The Writer
// keeps one buffer (128 KiB by default) and writes it out when it fills or
// when a read from the pipe comes back short, so a quiet container's output
// is in the file at once and a busy one's is written a buffer at a time.
// Each read becomes one record (split if it exceeds the buffer or a line
// would grow past MaxLine), stamped with the time it arrived. Times never
// decrease along the log. Create repairs a torn last record left by a
// monitor killed mid-write by truncating the file back to the last complete
// record.
//
// # Reading
//
// Reader walks records with Next and Prev, and SeekOffset, SeekTime and
// SeekEnd move it. Copy implements `logs` (tail, since, until, timestamps,
// follow). Lines is the TUI's pager: lines before or after a position,
// and search. Watcher waits for the log to change.
//
// A record holds the bytes of one read, which may be several lines, or the
// start or rest of one. All lines written in one read share the record's
// timestamp: `logs -t` shows each line with the time its first byte was
// read, which for output written line by line is each line's own time.
//
// # Files and rotation
//
// The log is the file ctr.log and, with MaxSize, the rotated files
// ctr.log.1 (newest) to ctr.log.N (oldest). On rotation ctr.log.I becomes
// ctr.log.I+1, ctr.log becomes ctr.log.1 and a new ctr.log, prepared under
// the name ctr.log.tmp with its header, is renamed into place, so ctr.log
// always exists and always starts with a header. Readers see the files as
// one sequence of records, ordered by the base offset in their headers.
//
// Offsets are logical: a record's offset is the number of record bytes
// written to the log before it, since the log was first created. It does
// not change when its file is rotated.
//
// # File format
//
// All integers are little-endian. A file starts with a 32-byte header:
//
//	offset size  field
//	0      8     magic "BERTHLOG"
//	8      2     version, 1
//	10     2     header size, 32
//	12     4     sync word: random, non-zero, chosen when the file is created
//	16     8     base: logical offset of the file's first record
//	24     8     creation time, unix nanoseconds
//
// Records follow back to back, from file offset 32. A record with n data
// bytes takes n+28 bytes:
//
//	offset size  field
//	0      4     sync word (as in the file header)
//	4      4     n, the data length; at most MaxRecordData (1 MiB)
//	8      8     time the data was read, unix nanoseconds
//	16     1     stream: 1 stdout, 2 stderr
//	17     1     flags: bit 0 "continues": the first data byte continues
//	             the unterminated line of the previous record of the same
//	             stream; other bits are zero
//	18     2     zero
//	20     n     data, the bytes exactly as the container wrote them
//	20+n   4     n again
//	24+n   4     sync word
//
// The record at logical offset L lies in the file whose base B is the
// largest not above L, at file offset L-B+32.
//
// The trailer makes the log walkable backwards: the 8 bytes before a record
// boundary give the length, hence the start, of the record ending there.
// A record is valid only if header and trailer both carry the file's sync
// word and the same length, and the header's fields are in range. A reader
// dropped at an arbitrary offset resynchronises by scanning for the sync
// word and validating each candidate. The container cannot forge records
// with its output, as it cannot know the sync word, which is random per
// file.
//
// A torn last record (the monitor was killed mid-write, or a write is in
// progress while a reader looks) fails validation and readers treat the log
// as ending before it. Data is not checksummed: the format detects torn
// writes, not media corruption; damaged bytes in the middle of a file are
// skipped by resynchronising.
//
// # Lines
//
// A line is cut at newlines. The Writer tracks, per stream, whether the
// last record ended inside a line and marks the stream's next record as
// continuing it, so partial lines are joined back: `logs` writes each
// stream's bytes exactly as they came, and Lines shows a line split over
// consecutive records of one stream as one line. A line is never longer
// than MaxLine (16 KiB, like docker's split of long lines): past that, the
// Writer starts the next record without the continuation flag, and readers
// show the rest as a new line.
package logfile
