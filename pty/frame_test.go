package pty

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestFrameRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		t    FrameType
		p    []byte
	}{
		{"empty", FrameCloseStdin, nil},
		{"stdout", FrameStdout, []byte("hello\r\n")},
		{"resize", FrameResize, resizePayload(Size{Rows: 24, Cols: 80})},
		{"max size", FrameStdin, bytes.Repeat([]byte{'x'}, MaxFrameSize)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteFrame(&b, tt.t, tt.p); err != nil {
				t.Fatalf("WriteFrame() error = %v", err)
			}
			if b.Len() != frameHeaderSize+len(tt.p) {
				t.Errorf("frame is %d bytes, want %d", b.Len(), frameHeaderSize+len(tt.p))
			}
			typ, p, err := ReadFrame(&b, make([]byte, 16))
			if err != nil {
				t.Fatalf("ReadFrame() error = %v", err)
			}
			if typ != tt.t || !bytes.Equal(p, tt.p) {
				t.Errorf("ReadFrame() = %v, %d bytes; want %v, %d bytes", typ, len(p), tt.t, len(tt.p))
			}
			if _, _, err := ReadFrame(&b, nil); err != io.EOF {
				t.Errorf("ReadFrame() at end = %v, want io.EOF", err)
			}
		})
	}
}

func TestFrameWireFormat(t *testing.T) {
	var b bytes.Buffer
	if err := WriteFrame(&b, FrameExit, exitPayload(-2)); err != nil {
		t.Fatal(err)
	}
	want := []byte{byte(FrameExit), 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xfe}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("exit frame = % x, want % x", b.Bytes(), want)
	}
}

func TestFrameErrors(t *testing.T) {
	t.Run("write too large", func(t *testing.T) {
		err := WriteFrame(io.Discard, FrameStdin, make([]byte, MaxFrameSize+1))
		if !errors.Is(err, ErrFrameTooLarge) {
			t.Errorf("WriteFrame() error = %v, want ErrFrameTooLarge", err)
		}
	})
	t.Run("read too large", func(t *testing.T) {
		hdr := []byte{byte(FrameStdout), 0x7f, 0xff, 0xff, 0xff}
		_, _, err := ReadFrame(bytes.NewReader(hdr), nil)
		if !errors.Is(err, ErrFrameTooLarge) {
			t.Errorf("ReadFrame() error = %v, want ErrFrameTooLarge", err)
		}
	})
	t.Run("truncated payload", func(t *testing.T) {
		fr := encodeFrame(FrameStdout, []byte("abcdef"))
		_, _, err := ReadFrame(bytes.NewReader(fr[:8]), nil)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("ReadFrame() error = %v, want io.ErrUnexpectedEOF", err)
		}
	})
	t.Run("truncated header", func(t *testing.T) {
		_, _, err := ReadFrame(bytes.NewReader([]byte{1, 0}), nil)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("ReadFrame() error = %v, want io.ErrUnexpectedEOF", err)
		}
	})
}

func TestHello(t *testing.T) {
	tests := []Hello{
		{},
		{Stdin: true, Stdout: true, Stderr: true},
		{Stdout: true, Replay: true},
		{Stdin: true, Stdout: true, TTY: true, Replay: true},
	}
	for _, h := range tests {
		b, err := h.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var got Hello
		if err := got.UnmarshalBinary(b); err != nil || got != h {
			t.Errorf("round trip of %+v = %+v, %v", h, got, err)
		}
	}
	for _, bad := range [][]byte{nil, {1}, {9, 0}} {
		var h Hello
		if err := h.UnmarshalBinary(bad); !errors.Is(err, ErrProtocol) {
			t.Errorf("UnmarshalBinary(% x) error = %v, want ErrProtocol", bad, err)
		}
	}
}

func TestResizeAndExitPayloads(t *testing.T) {
	s := Size{Rows: 65535, Cols: 1}
	if got, err := parseResize(resizePayload(s)); err != nil || got != s {
		t.Errorf("parseResize(resizePayload(%+v)) = %+v, %v", s, got, err)
	}
	for _, code := range []int{0, 1, 137, -1} {
		if got, err := parseExit(exitPayload(code)); err != nil || got != code {
			t.Errorf("parseExit(exitPayload(%d)) = %d, %v", code, got, err)
		}
	}
	if _, err := parseResize([]byte{1}); !errors.Is(err, ErrProtocol) {
		t.Errorf("parseResize(short) error = %v, want ErrProtocol", err)
	}
	if _, err := parseExit(nil); !errors.Is(err, ErrProtocol) {
		t.Errorf("parseExit(nil) error = %v, want ErrProtocol", err)
	}
}
