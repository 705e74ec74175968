// Package bench holds berth's end-to-end benchmarks of interactive
// sessions: exec start-up, keystroke-to-echo latency through a container's
// monitor, and attaching to a container that has written a lot. They run
// the real binary against a real store and need root:
//
//	go test -run '^$' -bench . -benchtime 200x ./bench/
//
// bench/exec.sh prints the same numbers as a table, with hyperfine for the
// exec median.
package bench

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/berth-dev/berth/engine"
	bpty "github.com/berth-dev/berth/pty"
	"github.com/berth-dev/berth/store"
	"github.com/berth-dev/berth/test/imgtest"
)

// benchStore is a store with busybox imported and the berth binary built.
type benchStore struct {
	bin, root string
}

func newBenchStore(b *testing.B) *benchStore {
	b.Helper()
	if os.Geteuid() != 0 {
		b.Skip("running containers needs root")
	}
	dir := b.TempDir()
	s := &benchStore{bin: filepath.Join(dir, "berth"), root: filepath.Join(dir, "root")}
	build := exec.Command("go", "build", "-o", s.bin, "github.com/berth-dev/berth")
	build.Env = append(os.Environ(), "CGO_ENABLED=0") // as make build builds it
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build berth: %v\n%s", err, out)
	}
	s.berth(b, "import", imgtest.BusyboxRootfs(b), "busybox:latest")
	b.Cleanup(func() {
		ids, _ := exec.Command(s.bin, "--root", s.root, "ps", "-aq").Output()
		if f := strings.Fields(string(ids)); len(f) > 0 {
			exec.Command(s.bin, append([]string{"--root", s.root, "rm", "-f"}, f...)...).Run()
		}
	})
	return s
}

func (s *benchStore) berth(b *testing.B, args ...string) string {
	b.Helper()
	out, err := exec.Command(s.bin, append([]string{"--root", s.root}, args...)...).CombinedOutput()
	if err != nil {
		b.Fatalf("berth %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// BenchmarkExecTrue measures `berth exec C true`, the whole command: berth
// starting, entering the container, the process running and its exit.
func BenchmarkExecTrue(b *testing.B) {
	s := newBenchStore(b)
	s.berth(b, "run", "-d", "--network", "none", "--name", "target", "busybox", "sleep", "100000")
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if out, err := exec.Command(s.bin, "--root", s.root, "exec", "target", "true").CombinedOutput(); err != nil {
			b.Fatalf("berth exec: %v\n%s", err, out)
		}
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	reportPercentiles(b, times)
}

// BenchmarkAttachEcho measures keystroke-to-echo latency through
// `berth run -it`: a key written to the client's terminal goes through the
// client, attach.sock and the monitor into the container's PTY, whose
// echo comes back the same way.
func BenchmarkAttachEcho(b *testing.B) {
	s := newBenchStore(b)
	cmd := exec.Command(s.bin, "--root", s.root, "run", "-it", "--network", "none", "--name", "echo", "busybox",
		"sh", "-c", "stty -icanon; echo ready; exec cat >/dev/null")
	ptm, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
		ptm.Close()
	}()
	buf := make([]byte, 4096)
	var seen []byte
	deadline := time.Now().Add(10 * time.Second)
	for !bytes.Contains(seen, []byte("ready\r\n")) {
		ptm.SetReadDeadline(deadline)
		n, err := ptm.Read(buf)
		if err != nil {
			b.Fatalf("waiting for the container: %v; got %q", err, seen)
		}
		seen = append(seen, buf[:n]...)
	}
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		key := []byte{'a' + byte(i%26)}
		start := time.Now()
		if _, err := ptm.Write(key); err != nil {
			b.Fatal(err)
		}
		ptm.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			n, err := ptm.Read(buf)
			if err != nil {
				b.Fatalf("read echo: %v", err)
			}
			if bytes.IndexByte(buf[:n], key[0]) >= 0 {
				break
			}
		}
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	reportPercentiles(b, times)
}

// BenchmarkAttachAfter1GB measures how long attaching to a container
// that has written 1 GiB of output takes to show the first output: the
// monitor replays only its bounded buffer (pty.DefaultReplay).
func BenchmarkAttachAfter1GB(b *testing.B) {
	s := newBenchStore(b)
	s.berth(b, "run", "-d", "--network", "none", "--name", "big", "busybox", "sh", "-c", "yes | head -c 1073741824; echo written-1g; sleep 100000")
	st, err := store.Open(s.root)
	if err != nil {
		b.Fatal(err)
	}
	e := engine.New(st, nil, engine.WithBinary(s.bin))
	ctx := context.Background()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var logs bytes.Buffer
		if err := e.Logs(ctx, "big", engine.LogsOptions{Tail: 1}, &logs, io.Discard); err != nil {
			b.Fatalf("logs: %v", err)
		}
		if strings.Contains(logs.String(), "written-1g") {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("the container did not write 1 GiB in time")
		}
		time.Sleep(100 * time.Millisecond)
	}
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		conn, err := e.DialAttach(ctx, "big")
		if err != nil {
			b.Fatal(err)
		}
		first := &firstWrite{at: make(chan time.Time, 1)}
		actx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			bpty.Attach(actx, conn, bpty.AttachOptions{Stdout: first, Replay: true})
			close(done)
		}()
		select {
		case at := <-first.at:
			times = append(times, at.Sub(start))
		case <-time.After(10 * time.Second):
			b.Fatal("no output within 10 s of attaching")
		}
		cancel()
		<-done
	}
	b.StopTimer()
	reportPercentiles(b, times)
}

// firstWrite records when the first byte arrives.
type firstWrite struct {
	at chan time.Time
	n  int
}

func (f *firstWrite) Write(p []byte) (int, error) {
	if f.n == 0 {
		f.at <- time.Now()
	}
	f.n += len(p)
	return len(p), nil
}

// reportPercentiles reports the median and 99th percentile of times in
// milliseconds.
func reportPercentiles(b *testing.B, times []time.Duration) {
	if len(times) == 0 {
		return
	}
	slices.Sort(times)
	pct := func(p float64) float64 {
		i := int(float64(len(times))*p+0.5) - 1
		i = max(0, min(i, len(times)-1))
		return float64(times[i]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
