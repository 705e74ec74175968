package pty

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
)

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// container stands in for the monitor's side of a container: what reached
// its stdin, the resizes and whether stdin was closed.
type container struct {
	stdin      syncBuffer
	mu         sync.Mutex
	sizes      []Size
	stdinClose int
}

func (c *container) resize(s Size) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sizes = append(c.sizes, s)
}

func (c *container) closeStdin() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stdinClose++
}

// serve connects a new client to h over net.Pipe and serves it in a
// goroutine; the returned channel yields Serve's result.
func serve(ctx context.Context, h *Hub, c *container) (net.Conn, <-chan error) {
	client, server := net.Pipe()
	errc := make(chan error, 1)
	go func() { errc <- h.Serve(ctx, server, &c.stdin, c.resize, c.closeStdin) }()
	return client, errc
}

type attachResult struct {
	code int
	err  error
}

// attach runs Attach against h in a goroutine.
func attach(ctx context.Context, h *Hub, c *container, opts AttachOptions) (<-chan attachResult, <-chan error) {
	conn, serveErr := serve(ctx, h, c)
	res := make(chan attachResult, 1)
	go func() {
		code, err := Attach(ctx, conn, opts)
		res <- attachResult{code, err}
	}()
	return res, serveErr
}

func TestHubFanOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		h := NewHub(DefaultReplay)
		var c container
		var outs, errs [3]syncBuffer
		var results [3]<-chan attachResult
		var served [3]<-chan error
		for i := range results {
			results[i], served[i] = attach(ctx, h, &c, AttachOptions{Stdout: &outs[i], Stderr: &errs[i]})
		}
		synctest.Wait()
		if n := h.Clients(); n != 3 {
			t.Fatalf("Clients() = %d, want 3", n)
		}
		h.Write(FrameStdout, []byte("hello "))
		h.Write(FrameStderr, []byte("oops"))
		h.Write(FrameStdout, []byte("world"))
		h.Close(3)
		for i := range results {
			r := <-results[i]
			if r.code != 3 || r.err != nil {
				t.Errorf("client %d: Attach() = %d, %v; want 3, nil", i, r.code, r.err)
			}
			if got := outs[i].String(); got != "hello world" {
				t.Errorf("client %d: stdout = %q, want %q", i, got, "hello world")
			}
			if got := errs[i].String(); got != "oops" {
				t.Errorf("client %d: stderr = %q, want %q", i, got, "oops")
			}
			if err := <-served[i]; err != nil {
				t.Errorf("client %d: Serve() = %v, want nil", i, err)
			}
		}
	})
}

func TestHubReplay(t *testing.T) {
	tests := []struct {
		name       string
		replaySize int
		replay     bool
		noStdout   bool
		wantOut    string
		wantErr    string
	}{
		{"replay bounded to the newest bytes", 16, true, false, "hijklmnopqrstuvLIVE", "E"},
		{"no replay asked", 16, false, false, "LIVE", ""},
		{"hub without replay", 0, true, false, "LIVE", ""},
		{"stderr only", 16, true, true, "", "E"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := NewHub(tt.replaySize)
				// 23 bytes of output before anyone attached; with a
				// 16-byte replay, "hijklmnopqrstuv" and "E" remain.
				h.Write(FrameStdout, []byte("abcdefghijklmn"))
				h.Write(FrameStdout, []byte("opqrstuv"))
				h.Write(FrameStderr, []byte("E"))
				var c container
				var out, errOut syncBuffer
				opts := AttachOptions{Stdout: &out, Stderr: &errOut, Replay: tt.replay}
				if tt.noStdout {
					opts.Stdout = nil
				}
				res, _ := attach(t.Context(), h, &c, opts)
				synctest.Wait()
				h.Write(FrameStdout, []byte("LIVE"))
				h.Close(0)
				if r := <-res; r.err != nil || r.code != 0 {
					t.Fatalf("Attach() = %d, %v; want 0, nil", r.code, r.err)
				}
				if got := out.String(); got != tt.wantOut {
					t.Errorf("stdout = %q, want %q", got, tt.wantOut)
				}
				if got := errOut.String(); got != tt.wantErr {
					t.Errorf("stderr = %q, want %q", got, tt.wantErr)
				}
			})
		})
	}
}

func TestReplayBuffer(t *testing.T) {
	tests := []struct {
		name   string
		max    int
		writes []string
		want   string
	}{
		{"under limit", 10, []string{"abc", "def"}, "abcdef"},
		{"trims oldest", 5, []string{"abc", "def"}, "bcdef"},
		{"single write over limit", 4, []string{"0123456789"}, "6789"},
		{"many small writes", 8, strings.Split("the quick brown fox", ""), "rown fox"},
		{"disabled", 0, []string{"abc"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := replayBuffer{max: tt.max}
			for _, w := range tt.writes {
				r.add(FrameStdout, []byte(w))
			}
			var got strings.Builder
			for _, c := range r.chunks {
				got.Write(c.b)
			}
			if got.String() != tt.want || r.size != len(tt.want) {
				t.Errorf("replay = %q (size %d), want %q", got.String(), r.size, tt.want)
			}
		})
	}
}

// TestReplayBufferLarge checks that a container that wrote a lot leaves only
// the bounded tail, in few chunks, so attaching stays instant.
func TestReplayBufferLarge(t *testing.T) {
	r := replayBuffer{max: DefaultReplay}
	var all bytes.Buffer
	for i := range 200_000 {
		line := fmt.Appendf(nil, "line %d\n", i)
		all.Write(line)
		stream := FrameStdout
		if i%1000 == 0 {
			stream = FrameStderr
		}
		r.add(stream, line)
	}
	var got bytes.Buffer
	for _, c := range r.chunks {
		got.Write(c.b)
	}
	want := all.Bytes()[all.Len()-DefaultReplay:]
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("replay holds %d bytes not equal to the last %d written", got.Len(), DefaultReplay)
	}
	if n := len(r.chunks); n > 2*DefaultReplay/replayChunk+10 {
		t.Errorf("replay holds %d chunks, want about %d", n, DefaultReplay/replayChunk)
	}
}

func TestHubSlowClient(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		h := NewHub(0, WithQueueLimit(1024))
		var c container

		// The slow client says hello and then never reads.
		slow, slowServed := serve(ctx, h, &c)
		hello, _ := Hello{Stdout: true}.MarshalBinary()
		if err := WriteFrame(slow, FrameHello, hello); err != nil {
			t.Fatal(err)
		}
		var out syncBuffer
		res, fastServed := attach(ctx, h, &c, AttachOptions{Stdout: &out})
		synctest.Wait()

		chunk := bytes.Repeat([]byte("x"), 100)
		for range 100 {
			h.Write(FrameStdout, chunk) // must never block
			synctest.Wait()             // let the fast client keep up
		}
		if err := <-slowServed; !errors.Is(err, ErrSlowClient) {
			t.Errorf("slow client Serve() = %v, want ErrSlowClient", err)
		}
		if n := h.Clients(); n != 1 {
			t.Errorf("Clients() = %d after dropping the slow one, want 1", n)
		}
		h.Close(0)
		if r := <-res; r.err != nil || r.code != 0 {
			t.Errorf("fast client Attach() = %d, %v; want 0, nil", r.code, r.err)
		}
		if got := len(out.String()); got != 100*len(chunk) {
			t.Errorf("fast client got %d bytes, want %d", got, 100*len(chunk))
		}
		if err := <-fastServed; err != nil {
			t.Errorf("fast client Serve() = %v, want nil", err)
		}
		slow.Close()
	})
}

// gateWriter blocks every Write until open is closed.
type gateWriter struct {
	open chan struct{}
	syncBuffer
}

func (g *gateWriter) Write(p []byte) (int, error) {
	<-g.open
	return g.syncBuffer.Write(p)
}

func TestAttachLagged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHub(0, WithQueueLimit(1024))
		var c container
		out := &gateWriter{open: make(chan struct{})}
		res, served := attach(t.Context(), h, &c, AttachOptions{Stdout: out})
		synctest.Wait()
		chunk := bytes.Repeat([]byte("y"), 100)
		for range 100 {
			h.Write(FrameStdout, chunk)
			synctest.Wait()
		}
		if n := h.Clients(); n != 0 {
			t.Errorf("Clients() = %d, want the stalled client dropped", n)
		}
		close(out.open) // the terminal catches up
		if r := <-res; !errors.Is(r.err, ErrSlowClient) || r.code != -1 {
			t.Errorf("Attach() = %d, %v; want -1, ErrSlowClient", r.code, r.err)
		}
		if err := <-served; !errors.Is(err, ErrSlowClient) {
			t.Errorf("Serve() = %v, want ErrSlowClient", err)
		}
		// What the client got is a prefix of the output, without holes.
		if got := out.String(); strings.Trim(got, "y") != "" || len(got) >= 100*len(chunk) {
			t.Errorf("client got %d bytes %q..., want a strict prefix of the output", len(got), got[:min(len(got), 10)])
		}
	})
}

func TestAttachDetach(t *testing.T) {
	tests := []struct {
		name      string
		input     []string
		wantStdin string
	}{
		{"keys typed separately", []string{"ls\r", "\x10", "\x11"}, "ls\r"},
		{"keys in one read", []string{"x\x10\x11rm -rf\r"}, "x"},
		{"double prefix", []string{"\x10", "\x10", "\x11"}, "\x10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := t.Context()
				h := NewHub(DefaultReplay)
				var c container
				in := newChanReader()
				defer in.close()
				var out syncBuffer
				res, served := attach(ctx, h, &c, AttachOptions{
					Stdin: in, Stdout: &out, TTY: true,
					DetachKeys: []byte{ctrlP, ctrlQ},
				})
				for _, s := range tt.input {
					in.c <- []byte(s)
					synctest.Wait()
				}
				if r := <-res; !errors.Is(r.err, ErrDetached) {
					t.Fatalf("Attach() = %d, %v; want ErrDetached", r.code, r.err)
				}
				if err := <-served; err != nil {
					t.Errorf("Serve() after detach = %v, want nil", err)
				}
				if got := c.stdin.String(); got != tt.wantStdin {
					t.Errorf("container stdin = %q, want %q", got, tt.wantStdin)
				}
				// The session goes on: output continues and a new
				// client can attach and see the exit.
				h.Write(FrameStdout, []byte("still running"))
				var out2 syncBuffer
				res2, _ := attach(ctx, h, &c, AttachOptions{Stdout: &out2, Replay: true})
				synctest.Wait()
				h.Close(7)
				if r := <-res2; r.code != 7 || r.err != nil {
					t.Errorf("second Attach() = %d, %v; want 7, nil", r.code, r.err)
				}
				if got := out2.String(); got != "still running" {
					t.Errorf("second client stdout = %q, want %q", got, "still running")
				}
			})
		})
	}
}

func TestAttachExitCodes(t *testing.T) {
	for _, code := range []int{0, 1, 127, 137, 255, -1} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := NewHub(0)
				var c container
				res, _ := attach(t.Context(), h, &c, AttachOptions{Stdout: &syncBuffer{}})
				synctest.Wait()
				h.Close(code)
				if r := <-res; r.code != code || r.err != nil {
					t.Errorf("Attach() = %d, %v; want %d, nil", r.code, r.err, code)
				}
			})
		})
	}
}

func TestAttachResize(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHub(0)
		var c container
		sizes := make(chan Size)
		res, _ := attach(t.Context(), h, &c, AttachOptions{Stdout: &syncBuffer{}, TTY: true, Resize: sizes})
		want := []Size{{24, 80}, {50, 132}, {1, 1}}
		for _, s := range want {
			sizes <- s
		}
		synctest.Wait()
		h.Close(0)
		if r := <-res; r.err != nil {
			t.Fatalf("Attach() = %d, %v", r.code, r.err)
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if fmt.Sprint(c.sizes) != fmt.Sprint(want) {
			t.Errorf("container got sizes %v, want %v", c.sizes, want)
		}
	})
}

func TestAttachStdinEOF(t *testing.T) {
	tests := []struct {
		name      string
		tty       bool
		wantClose int
	}{
		{"pipes close stdin", false, 1},
		{"tty keeps stdin", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := NewHub(0)
				var c container
				res, _ := attach(t.Context(), h, &c, AttachOptions{
					Stdin: strings.NewReader("data\n"), Stdout: &syncBuffer{}, TTY: tt.tty,
					DetachKeys: []byte{ctrlP, ctrlQ},
				})
				synctest.Wait()
				c.mu.Lock()
				closed := c.stdinClose
				c.mu.Unlock()
				if closed != tt.wantClose {
					t.Errorf("closeStdin called %d times, want %d", closed, tt.wantClose)
				}
				if got := c.stdin.String(); got != "data\n" {
					t.Errorf("container stdin = %q, want %q", got, "data\n")
				}
				// Output still flows after the end of input.
				h.Write(FrameStdout, []byte("after"))
				h.Close(0)
				if r := <-res; r.err != nil || r.code != 0 {
					t.Errorf("Attach() = %d, %v; want 0, nil", r.code, r.err)
				}
			})
		})
	}
}

func TestAttachContextCanceled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHub(0)
		var c container
		in := newChanReader()
		defer in.close()
		ctx, cancel := context.WithCancel(t.Context())
		conn, served := serve(t.Context(), h, &c)
		res := make(chan attachResult, 1)
		go func() {
			code, err := Attach(ctx, conn, AttachOptions{Stdin: in, Stdout: &syncBuffer{}})
			res <- attachResult{code, err}
		}()
		synctest.Wait()
		cancel()
		if r := <-res; !errors.Is(r.err, context.Canceled) || r.code != -1 {
			t.Errorf("Attach() = %d, %v; want -1, context.Canceled", r.code, r.err)
		}
		if err := <-served; err != nil {
			t.Errorf("Serve() = %v, want nil", err)
		}
	})
}

func TestAttachDisconnected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server := net.Pipe()
		go func() {
			ReadFrame(server, nil) // the hello
			WriteFrame(server, FrameStdout, []byte("partial"))
			server.Close()
		}()
		var out syncBuffer
		code, err := Attach(t.Context(), client, AttachOptions{Stdout: &out})
		if !errors.Is(err, ErrDisconnected) || code != -1 {
			t.Errorf("Attach() = %d, %v; want -1, ErrDisconnected", code, err)
		}
		if out.String() != "partial" {
			t.Errorf("stdout = %q, want %q", out.String(), "partial")
		}
	})
}

func TestHubAttachAfterClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHub(DefaultReplay)
		h.Write(FrameStdout, []byte("bye\n"))
		h.Close(5)
		h.Close(9) // only the first exit code counts
		h.Write(FrameStdout, []byte("ignored"))
		var c container
		var out syncBuffer
		res, served := attach(t.Context(), h, &c, AttachOptions{Stdout: &out, Replay: true})
		if r := <-res; r.code != 5 || r.err != nil {
			t.Errorf("Attach() = %d, %v; want 5, nil", r.code, r.err)
		}
		if out.String() != "bye\n" {
			t.Errorf("stdout = %q, want %q", out.String(), "bye\n")
		}
		if err := <-served; err != nil {
			t.Errorf("Serve() = %v", err)
		}
	})
}

func TestHubServeProtocolErrors(t *testing.T) {
	hello, _ := Hello{Stdout: true}.MarshalBinary()
	tests := []struct {
		name   string
		frames [][]byte
	}{
		{"no hello first", [][]byte{encodeFrame(FrameStdin, []byte("x"))}},
		{"bad hello", [][]byte{encodeFrame(FrameHello, []byte{42, 0})}},
		{"second hello", [][]byte{encodeFrame(FrameHello, hello), encodeFrame(FrameHello, hello)}},
		{"bad resize", [][]byte{encodeFrame(FrameHello, hello), encodeFrame(FrameResize, []byte{1, 2})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := NewHub(0)
				var c container
				conn, served := serve(t.Context(), h, &c)
				defer conn.Close()
				go func() {
					for _, f := range tt.frames {
						if _, err := conn.Write(f); err != nil {
							return
						}
					}
				}()
				if err := <-served; !errors.Is(err, ErrProtocol) {
					t.Errorf("Serve() = %v, want ErrProtocol", err)
				}
			})
		})
	}
}

func TestHubServeContextDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHub(0)
		var c container
		ctx, cancel := context.WithCancel(t.Context())
		conn, served := serve(ctx, h, &c)
		defer conn.Close()
		hello, _ := Hello{Stdout: true}.MarshalBinary()
		if err := WriteFrame(conn, FrameHello, hello); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		cancel()
		if err := <-served; !errors.Is(err, context.Canceled) {
			t.Errorf("Serve() = %v, want context.Canceled", err)
		}
		if n := h.Clients(); n != 0 {
			t.Errorf("Clients() = %d, want 0", n)
		}
	})
}
