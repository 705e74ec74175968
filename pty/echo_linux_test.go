package pty

import (
	"context"
	"io"
	"net"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// echoSession wires a real PTY to a Hub and an attached client over a unix
// socket pair, the way a monitor and `berth attach` are wired: the slave is in
// echo mode (like a shell reading a line), the hub copies the master's output
// to clients and writes client input to the master.
type echoSession struct {
	master, slave *os.File
	hub           *Hub
	keys          *io.PipeWriter // the user's keyboard
	echoed        chan byte      // bytes the client wrote to its stdout
	sizes         chan Size      // the client's terminal sizes
	resized       chan Size      // sizes the monitor side applied to the master
	result        chan attachResult
	wg            sync.WaitGroup
}

func newEchoSession(tb testing.TB) *echoSession {
	tb.Helper()
	master, slavePath, err := OpenPTY("/dev/ptmx")
	if err != nil {
		tb.Fatalf("OpenPTY() error = %v", err)
	}
	slave, err := os.OpenFile(slavePath, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		tb.Fatalf("open slave: %v", err)
	}
	// Echo each key at once, as a shell's line editor does.
	tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if err != nil {
		tb.Fatal(err)
	}
	tio.Lflag |= unix.ECHO
	tio.Lflag &^= unix.ICANON
	tio.Cc[unix.VMIN], tio.Cc[unix.VTIME] = 1, 0
	if err := unix.IoctlSetTermios(int(slave.Fd()), unix.TCSETS, tio); err != nil {
		tb.Fatal(err)
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		tb.Fatal(err)
	}
	conns := make([]net.Conn, 2)
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "attach.sock")
		conns[i], err = net.FileConn(f)
		f.Close()
		if err != nil {
			tb.Fatal(err)
		}
	}

	kr, kw := io.Pipe()
	s := &echoSession{
		master:  master,
		slave:   slave,
		hub:     NewHub(DefaultReplay),
		keys:    kw,
		echoed:  make(chan byte, 1024),
		sizes:   make(chan Size),
		resized: make(chan Size, 16),
		result:  make(chan attachResult, 1),
	}
	ctx := context.Background()
	// The container's process: reads what it is sent.
	s.wg.Go(func() { io.Copy(io.Discard, slave) })
	// The monitor's output copier.
	s.wg.Go(func() { io.Copy(s.hub.Writer(FrameStdout), master) })
	s.wg.Go(func() {
		resize := func(sz Size) {
			if SetFileSize(master, sz) == nil {
				s.resized <- sz
			}
		}
		s.hub.Serve(ctx, conns[1], master, resize, nil)
	})
	s.wg.Go(func() {
		code, err := Attach(ctx, conns[0], AttachOptions{
			Stdin:      kr,
			Stdout:     echoWriter(s.echoed),
			TTY:        true,
			DetachKeys: []byte{ctrlP, ctrlQ},
			Resize:     s.sizes,
		})
		s.result <- attachResult{code, err}
	})
	return s
}

// echoWriter passes each byte written to it to a channel.
type echoWriter chan byte

func (w echoWriter) Write(p []byte) (int, error) {
	for _, b := range p {
		w <- b
	}
	return len(p), nil
}

// roundTrip types one key and returns how long its echo took to come back.
func (s *echoSession) roundTrip(tb testing.TB, key byte) time.Duration {
	start := time.Now()
	if _, err := s.keys.Write([]byte{key}); err != nil {
		tb.Fatalf("type key: %v", err)
	}
	select {
	case got := <-s.echoed:
		if got != key {
			tb.Fatalf("echo = %q, want %q", got, key)
		}
	case <-time.After(10 * time.Second):
		tb.Fatalf("no echo of %q", key)
	}
	return time.Since(start)
}

// close ends the session like a container exit and waits for every goroutine.
func (s *echoSession) close(tb testing.TB) attachResult {
	s.hub.Close(0)
	r := <-s.result
	s.keys.Close()
	s.slave.Close()
	s.master.Close()
	s.wg.Wait()
	return r
}

func TestEchoThroughPTY(t *testing.T) {
	s := newEchoSession(t)
	for _, key := range []byte("echo hello") {
		s.roundTrip(t, key)
	}
	want := Size{Rows: 33, Cols: 99}
	s.sizes <- want
	if got := <-s.resized; got != want {
		t.Fatalf("monitor applied size %+v, want %+v", got, want)
	}
	got, err := GetSize(int(s.slave.Fd()))
	if err != nil || got != want {
		t.Errorf("slave size = %+v, %v; want %+v", got, err, want)
	}
	if r := s.close(t); r.code != 0 || r.err != nil {
		t.Errorf("Attach() = %d, %v; want 0, nil", r.code, r.err)
	}
}

// BenchmarkEchoLatency measures keystroke-to-echo round trips through a real
// PTY, the Hub and Attach over a unix socket: the time from writing one key to
// the client's input until the client writes its echo to its output.
func BenchmarkEchoLatency(b *testing.B) {
	s := newEchoSession(b)
	for range 100 { // warm up
		s.roundTrip(b, 'w')
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		lat = append(lat, s.roundTrip(b, 'a'+byte(i%26)))
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds())
	}
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds()), "max-µs")
	if r := s.close(b); r.err != nil {
		b.Errorf("Attach() = %d, %v", r.code, r.err)
	}
}
