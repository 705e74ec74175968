package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/berth-dev/berth/store"
	"github.com/berth-dev/berth/test/imgtest"
)

// newImageTestEngine returns an engine on a fresh store in a temp dir.
func newImageTestEngine(t testing.TB, opts ...Option) *Engine {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	return New(st, nil, opts...)
}

// recordProgress collects pull progress reports.
type recordProgress struct {
	mu     sync.Mutex
	states map[string][]string
}

func (r *recordProgress) fn(p PullProgress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.states == nil {
		r.states = map[string][]string{}
	}
	s := r.states[p.Layer]
	if len(s) == 0 || s[len(s)-1] != p.State {
		r.states[p.Layer] = append(s, p.State)
	}
}

func (r *recordProgress) final() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]string{}
	for k, v := range r.states {
		out[k] = v[len(v)-1]
	}
	return out
}

// assertStoreEmpty checks that a failed pull left no image, no name, no
// layer and no staging behind.
func assertNoImage(t *testing.T, e *Engine) {
	t.Helper()
	imgs, err := e.st.Images()
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 0 {
		t.Errorf("images after failed pull = %d, want 0", len(imgs))
	}
	refs, err := e.st.ImageRefs()
	if err != nil {
		t.Fatal(err)
	}
	if len(refs.Tags)+len(refs.Digests) != 0 {
		t.Errorf("refs after failed pull = %v, want none", refs)
	}
	ents, err := os.ReadDir(filepath.Join(e.st.Root(), "layers"))
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range ents {
		if strings.HasPrefix(en.Name(), ".tmp-") {
			t.Errorf("staged layer %s left behind", en.Name())
		}
	}
	tmp, _ := os.ReadDir(filepath.Join(e.st.Root(), "tmp"))
	if len(tmp) != 0 {
		t.Errorf("tmp entries left behind: %d", len(tmp))
	}
}

func TestPullByTagAndDigest(t *testing.T) {
	host := imgtest.Registry(t)
	img := imgtest.BusyboxImage(t)
	dgst := imgtest.Push(t, host, "test/busybox:1.0", img)
	e := newImageTestEngine(t)
	ctx := t.Context()

	var rec recordProgress
	s, err := e.Pull(ctx, host+"/test/busybox:1.0", PullOptions{Progress: rec.fn})
	if err != nil {
		t.Fatalf("Pull: %v", err)
	}
	cfgDigest, _ := img.ConfigName()
	if s.ID != cfgDigest.String() {
		t.Errorf("ID = %s, want %s", s.ID, cfgDigest)
	}
	if want := []string{host + "/test/busybox:1.0"}; !equalStrings(s.RepoTags, want) {
		t.Errorf("RepoTags = %v, want %v", s.RepoTags, want)
	}
	if want := []string{host + "/test/busybox@" + dgst.String()}; !equalStrings(s.RepoDigests, want) {
		t.Errorf("RepoDigests = %v, want %v", s.RepoDigests, want)
	}
	for l, st := range rec.final() {
		if st != PullComplete {
			t.Errorf("layer %s final state = %q, want %q", l, st, PullComplete)
		}
	}
	rec2 := recordProgress{}
	if _, err := e.Pull(ctx, host+"/test/busybox:1.0", PullOptions{Progress: rec2.fn}); err != nil {
		t.Fatalf("second Pull: %v", err)
	}
	for l, st := range rec2.final() {
		if st != PullAlreadyExists {
			t.Errorf("re-pull layer %s state = %q, want %q", l, st, PullAlreadyExists)
		}
	}
	// By digest into a fresh store.
	e2 := newImageTestEngine(t)
	s2, err := e2.Pull(ctx, host+"/test/busybox@"+dgst.String(), PullOptions{})
	if err != nil {
		t.Fatalf("Pull by digest: %v", err)
	}
	if s2.ID != s.ID || len(s2.RepoTags) != 0 || !s2.Dangling {
		t.Errorf("pull by digest = %+v, want ID %s without tags", s2, s.ID)
	}
	if _, _, err := e2.LookupImage(ctx, host+"/test/busybox@"+dgst.String()); err != nil {
		t.Errorf("LookupImage by digest: %v", err)
	}
	// The layer is there and runnable.
	imgRec, _, err := e.LookupImage(ctx, host+"/test/busybox:1.0")
	if err != nil {
		t.Fatal(err)
	}
	dir := e.st.LayerDir(imgRec.ChainIDs()[0])
	if fi, err := os.Stat(filepath.Join(dir, "bin", "busybox")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("stat bin/busybox in layer = %v, %v; want mode 0755", fi, err)
	}
	if l, err := os.Readlink(filepath.Join(dir, "bin", "sh")); err != nil || l != "busybox" {
		t.Errorf("readlink bin/sh = %q, %v; want busybox", l, err)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPullMalformedReference(t *testing.T) {
	e := newImageTestEngine(t)
	for _, ref := range []string{"Foo//bar", "UPPER", "a:b:c:d", "x@sha256:123", ":tag", ""} {
		t.Run(ref, func(t *testing.T) {
			_, err := e.Pull(context.Background(), ref, PullOptions{})
			var ire *InvalidReferenceError
			if !errors.As(err, &ire) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Pull(%q) = %v, want InvalidReferenceError", ref, err)
			}
			if want := `invalid reference format: "` + ref + `"`; err.Error() != want {
				t.Errorf("error = %q, want %q", err, want)
			}
			assertNoImage(t, e)
		})
	}
}
