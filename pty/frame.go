package pty

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// FrameType identifies the payload of an attach-protocol frame.
type FrameType uint8

// Frame types of the attach protocol. Client to server: Hello (first frame,
// exactly once), Stdin, Resize and CloseStdin. Server to client: Stdout,
// Stderr, and Exit or Lagged as the last frame. A peer ignores frame types it does not know,
// so the protocol can grow.
const (
	// FrameHello carries the client's Hello options.
	FrameHello FrameType = 1 + iota
	// FrameStdin carries bytes for the container's stdin.
	FrameStdin
	// FrameStdout carries bytes the container wrote to stdout (or to its
	// terminal).
	FrameStdout
	// FrameStderr carries bytes the container wrote to stderr.
	FrameStderr
	// FrameResize carries a new terminal size: rows then columns, each a
	// big-endian uint16.
	FrameResize
	// FrameCloseStdin reports end of input on the client's stdin; the
	// container's stdin is closed. Its payload is empty.
	FrameCloseStdin
	// FrameExit carries the container's exit code as a big-endian int32.
	FrameExit
	// FrameLagged tells a client that the hub disconnected it for falling
	// too far behind the container's output; nothing follows it. Its payload
	// is empty.
	FrameLagged
)

// String returns the frame type's name, e.g. "stdout".
func (t FrameType) String() string {
	switch t {
	case FrameHello:
		return "hello"
	case FrameStdin:
		return "stdin"
	case FrameStdout:
		return "stdout"
	case FrameStderr:
		return "stderr"
	case FrameResize:
		return "resize"
	case FrameCloseStdin:
		return "close-stdin"
	case FrameExit:
		return "exit"
	case FrameLagged:
		return "lagged"
	}
	return fmt.Sprintf("frame-%d", uint8(t))
}

const (
	// MaxFrameSize is the largest payload a frame may carry.
	MaxFrameSize = 1 << 20

	// frameHeaderSize is the type byte plus the big-endian uint32 length.
	frameHeaderSize = 5

	// helloVersion is the protocol version a Hello announces.
	helloVersion = 1
)

// encodeFrame returns the wire form of one frame.
func encodeFrame(t FrameType, p []byte) []byte {
	b := make([]byte, frameHeaderSize+len(p))
	b[0] = byte(t)
	binary.BigEndian.PutUint32(b[1:], uint32(len(p)))
	copy(b[frameHeaderSize:], p)
	return b
}

// WriteFrame writes one frame (1 type byte, 4 bytes big-endian payload
// length, payload) to w in a single Write call. It returns an error wrapping
// ErrFrameTooLarge if p exceeds MaxFrameSize. Concurrent writers must
// serialize their calls.
func WriteFrame(w io.Writer, t FrameType, p []byte) error {
	if len(p) > MaxFrameSize {
		return fmt.Errorf("write %v frame of %d bytes: %w", t, len(p), ErrFrameTooLarge)
	}
	if _, err := w.Write(encodeFrame(t, p)); err != nil {
		return fmt.Errorf("write %v frame: %w", t, err)
	}
	return nil
}

// ReadFrame reads one frame from r. The payload is read into buf when it
// fits, else into a new slice, and is valid until buf is reused. A payload
// longer than MaxFrameSize is not read and yields an error wrapping
// ErrFrameTooLarge. ReadFrame returns io.EOF only if r ends cleanly before a
// frame, and io.ErrUnexpectedEOF if it ends inside one.
func ReadFrame(r io.Reader, buf []byte) (FrameType, []byte, error) {
	var hdr [frameHeaderSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	t := FrameType(hdr[0])
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > MaxFrameSize {
		return t, nil, fmt.Errorf("read %v frame of %d bytes: %w", t, n, ErrFrameTooLarge)
	}
	p := buf
	if cap(p) < int(n) {
		p = make([]byte, n)
	}
	p = p[:n]
	if _, err := io.ReadFull(r, p); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return t, nil, fmt.Errorf("read %v frame: %w", t, err)
	}
	return t, p, nil
}

// Hello is the first frame a client sends: which streams it wants and how.
type Hello struct {
	Stdin  bool // the client forwards input to the container's stdin
	Stdout bool // the client wants the container's stdout
	Stderr bool // the client wants the container's stderr
	Replay bool // send the recent output kept by the hub before live output
	TTY    bool // the client's stdin is a terminal; the hub then never closes the container's stdin for it
}

const (
	helloStdin = 1 << iota
	helloStdout
	helloStderr
	helloReplay
	helloTTY
)

// MarshalBinary encodes h as a Hello payload: a version byte and a flag byte.
func (h Hello) MarshalBinary() ([]byte, error) {
	var f byte
	for _, b := range []struct {
		set  bool
		flag byte
	}{{h.Stdin, helloStdin}, {h.Stdout, helloStdout}, {h.Stderr, helloStderr}, {h.Replay, helloReplay}, {h.TTY, helloTTY}} {
		if b.set {
			f |= b.flag
		}
	}
	return []byte{helloVersion, f}, nil
}

// UnmarshalBinary decodes a Hello payload. It returns an error wrapping
// ErrProtocol for a short payload or an unknown version; unknown flags and
// trailing bytes are ignored.
func (h *Hello) UnmarshalBinary(b []byte) error {
	if len(b) < 2 {
		return fmt.Errorf("decode hello of %d bytes: %w", len(b), ErrProtocol)
	}
	if b[0] != helloVersion {
		return fmt.Errorf("decode hello: version %d: %w", b[0], ErrProtocol)
	}
	f := b[1]
	*h = Hello{
		Stdin:  f&helloStdin != 0,
		Stdout: f&helloStdout != 0,
		Stderr: f&helloStderr != 0,
		Replay: f&helloReplay != 0,
		TTY:    f&helloTTY != 0,
	}
	return nil
}

// resizePayload encodes a Size for a FrameResize.
func resizePayload(s Size) []byte {
	b := make([]byte, 4)
	binary.BigEndian.PutUint16(b, s.Rows)
	binary.BigEndian.PutUint16(b[2:], s.Cols)
	return b
}

// parseResize decodes a FrameResize payload.
func parseResize(p []byte) (Size, error) {
	if len(p) != 4 {
		return Size{}, fmt.Errorf("decode resize of %d bytes: %w", len(p), ErrProtocol)
	}
	return Size{Rows: binary.BigEndian.Uint16(p), Cols: binary.BigEndian.Uint16(p[2:])}, nil
}

// exitPayload encodes an exit code for a FrameExit.
func exitPayload(code int) []byte {
	b := make([]byte, 4)
	binary.BigEndian.PutUint32(b, uint32(int32(code)))
	return b
}

// parseExit decodes a FrameExit payload.
func parseExit(p []byte) (int, error) {
	if len(p) != 4 {
		return 0, fmt.Errorf("decode exit of %d bytes: %w", len(p), ErrProtocol)
	}
	return int(int32(binary.BigEndian.Uint32(p))), nil
}
