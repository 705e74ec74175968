package engine

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/store"
	"github.com/berth-dev/berth/test/imgtest"
)

// isLayerBlob reports whether r fetches a blob of at least minBlob bytes
// (the busybox layer, not the config).
const minBlob = 100 << 10

func blobRequest(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/sha256:")
}

// corruptBlobs flips one byte in the middle of every large blob.
func corruptBlobs(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !blobRequest(r) {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if len(body) >= minBlob {
			body[len(body)/2] ^= 0xff
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
}

// truncateBlobs announces the full length of large blobs but sends half.
func truncateBlobs(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !blobRequest(r) {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		if len(body) >= minBlob {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(rec.Code)
			w.Write(body[:len(body)/2])
			return
		}
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
}

// refuseAll answers every request with 401, as a registry that wants
// credentials does.
func refuseAll(http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
	})
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestPullBadInput(t *testing.T) {
	img := imgtest.BusyboxImage(t)
	push := func(t *testing.T, wrap func(http.Handler) http.Handler) string {
		host := imgtest.RegistryWith(t, nil)
		if wrap == nil {
			imgtest.Push(t, host, "test/busybox:1.0", img)
			return host
		}
		// Push through a clean registry, then serve its content through
		// the wrapper: the wrapper sits in front of a second handler that
		// proxies to the first.
		imgtest.Push(t, host, "test/busybox:1.0", img)
		proxy := func(http.Handler) http.Handler {
			return wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				resp, err := http.DefaultTransport.RoundTrip(cloneTo(r, host))
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadGateway)
					return
				}
				defer resp.Body.Close()
				for k, v := range resp.Header {
					w.Header()[k] = v
				}
				w.WriteHeader(resp.StatusCode)
				bufio.NewReader(resp.Body).WriteTo(w)
			}))
		}
		return imgtest.RegistryWith(t, proxy)
	}
	tests := []struct {
		name string
		wrap func(http.Handler) http.Handler
		ref  func(host string) string
		is   error
		msg  string
	}{
		{name: "corrupt blob", wrap: corruptBlobs, is: store.ErrDigestMismatch, msg: "digest mismatch"},
		{name: "truncated download", wrap: truncateBlobs, msg: "unexpected EOF"},
		{name: "unauthorized", wrap: refuseAll, msg: "pull access denied for"},
		{name: "unknown tag", ref: func(h string) string { return h + "/test/busybox:nosuch" }, is: ErrNotFound, msg: "manifest unknown"},
		{name: "unknown repository", ref: func(h string) string { return h + "/test/nosuch" }, is: ErrNotFound, msg: "not found"},
		{name: "unreachable registry", ref: func(string) string { return closedPort(t) + "/test/busybox:1.0" }, msg: "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := push(t, tt.wrap)
			ref := host + "/test/busybox:1.0"
			if tt.ref != nil {
				ref = tt.ref(host)
			}
			e := newImageTestEngine(t)
			_, err := e.Pull(t.Context(), ref, PullOptions{})
			if err == nil {
				t.Fatalf("Pull(%s) succeeded, want an error", ref)
			}
			t.Logf("Pull(%s): %v", ref, err)
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("Pull error = %v, want errors.Is %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Pull error = %q, want it to mention %q", err, tt.msg)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("Pull error has several lines: %q", err)
			}
			assertNoImage(t, e)
			layers, _ := e.st.Layers()
			if len(layers) != 0 {
				t.Errorf("layers after failed pull = %d, want 0", len(layers))
			}
		})
	}
}

func cloneTo(r *http.Request, host string) *http.Request {
	out := r.Clone(r.Context())
	out.URL.Scheme = "http"
	out.URL.Host = host
	out.Host = host
	out.RequestURI = ""
	return out
}

func TestPullDiskFull(t *testing.T) {
	root := t.TempDir()
	if err := unix.Mount("tmpfs", root, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("mount tmpfs (needs root): %v", err)
	}
	t.Cleanup(func() { unix.Unmount(root, unix.MNT_DETACH) })
	host := imgtest.Registry(t)
	imgtest.Push(t, host, "test/busybox:1.0", imgtest.BusyboxImage(t))
	st, err := store.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	e := New(st, nil)
	_, err = e.Pull(t.Context(), host+"/test/busybox:1.0", PullOptions{})
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Pull on a full disk = %v, want ENOSPC", err)
	}
	assertNoImage(t, e)
	if layers, _ := e.st.Layers(); len(layers) != 0 {
		t.Errorf("layers after failed pull = %d, want 0", len(layers))
	}
	if blobs, _ := e.st.Blobs(); len(blobs) != 0 {
		t.Errorf("blobs after failed pull = %d, want 0", len(blobs))
	}
}

// TestPullKilled kills a pulling process with SIGKILL halfway through a
// layer, then checks that reopening the store clears what it left and
// that pulling again succeeds.
func TestPullKilled(t *testing.T) {
	if os.Getenv("BERTH_TEST_PULL_CHILD") != "" {
		return
	}
	release := make(chan struct{})
	stall := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !blobRequest(r) {
				h.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			body := rec.Body.Bytes()
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			if len(body) < minBlob {
				w.Write(body)
				return
			}
			w.Write(body[:len(body)/2])
			w.(http.Flusher).Flush()
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
			w.Write(body[len(body)/2:])
		})
	}
	host := imgtest.RegistryWith(t, stall)
	img, _ := imgtest.LayeredImage(t)
	imgtest.Push(t, host, "test/layered:1", img)
	root := t.TempDir()

	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestPullChild$", "-test.v")
	cmd.Env = append(os.Environ(), "BERTH_TEST_PULL_CHILD="+root+"|"+host+"/test/layered:1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	started := false
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "DOWNLOADING") {
			started = true
			break
		}
	}
	if !started {
		cmd.Wait()
		t.Fatalf("child never reported a download")
	}
	// The download has begun; the kill comes once its files are staged,
	// while the registry holds back the second half of the layer.
	staged := func() int {
		layers, _ := filepath.Glob(filepath.Join(root, "layers", ".tmp-*"))
		tmp, _ := filepath.Glob(filepath.Join(root, "tmp", ".tmp-*"))
		return len(layers) + len(tmp)
	}
	for deadline := time.Now().Add(10 * time.Second); staged() == 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()

	if staged() == 0 {
		t.Errorf("nothing staged after the kill: the pull staged nothing in 10 s of downloading")
	}
	st, err := store.Open(root)
	if err != nil {
		t.Fatalf("reopen store: %v", err)
	}
	e := New(st, nil)
	assertNoImage(t, e)
	if staged, _ := filepath.Glob(filepath.Join(root, "layers", ".tmp-*")); len(staged) != 0 {
		t.Errorf("staged layers left after reopening: %v", staged)
	}
	close(release)
	s, err := e.Pull(t.Context(), host+"/test/layered:1", PullOptions{})
	if err != nil {
		t.Fatalf("Pull after kill: %v", err)
	}
	cd, _ := img.ConfigName()
	if s.ID != cd.String() {
		t.Errorf("ID = %s, want %s", s.ID, cd)
	}
	rec, _, err := e.LookupImage(t.Context(), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rec.ChainIDs() {
		if !e.st.HasLayer(c) {
			t.Errorf("layer %s missing after re-pull", c)
		}
	}
}

// TestPullChild is the process TestPullKilled kills.
func TestPullChild(t *testing.T) {
	arg := os.Getenv("BERTH_TEST_PULL_CHILD")
	if arg == "" {
		t.Skip("helper process for TestPullKilled")
	}
	root, ref, _ := strings.Cut(arg, "|")
	st, err := store.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	e := New(st, nil)
	once := false
	e.Pull(t.Context(), ref, PullOptions{Progress: func(p PullProgress) {
		if p.State == PullDownloading && p.Current > 0 && !once {
			once = true
			fmt.Println("DOWNLOADING", p.Layer)
		}
	}})
}
