package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func open(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	return s
}

func TestBlobs(t *testing.T) {
	s := open(t)
	data := []byte("hello layer")
	want := FromBytes(data)

	tests := []struct {
		name    string
		content []byte
		digest  Digest
		size    int64
		wantErr error
	}{
		{"known digest and size", data, want, int64(len(data)), nil},
		{"unknown digest", data, "", -1, nil},
		{"idempotent put", data, want, int64(len(data)), nil},
		{"wrong digest", data, FromBytes([]byte("other")), -1, ErrDigestMismatch},
		{"wrong size", []byte("xx"), "", 3, ErrSizeMismatch},
		{"malformed digest", data, "sha256:zz", -1, ErrInvalidDigest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.PutBlob(bytes.NewReader(tt.content), tt.digest, tt.size)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("PutBlob = %v, want %v", err, tt.wantErr)
			}
			if err == nil && got != FromBytes(tt.content) {
				t.Errorf("PutBlob digest = %s, want %s", got, FromBytes(tt.content))
			}
		})
	}
	blobs, err := s.Blobs()
	if err != nil || len(blobs) != 1 || blobs[0] != want {
		t.Errorf("Blobs() = %v, %v, want [%s]", blobs, err, want)
	}
	if b, err := s.ReadBlob(want); err != nil || !bytes.Equal(b, data) {
		t.Errorf("ReadBlob = %q, %v, want %q", b, err, data)
	}
	if ents, _ := os.ReadDir(filepath.Join(s.Root(), "tmp")); len(ents) != 0 {
		t.Errorf("tmp/ holds %d leftovers after failed puts, want 0", len(ents))
	}
	if err := s.DeleteBlob(want); err != nil {
		t.Fatalf("DeleteBlob = %v", err)
	}
	if err := s.DeleteBlob(want); err != nil {
		t.Errorf("DeleteBlob twice = %v, want nil", err)
	}
	if _, _, err := s.OpenBlob(want); !errors.Is(err, ErrNotFound) {
		t.Errorf("OpenBlob(deleted) = %v, want ErrNotFound", err)
	}
}

func TestOpenBlobDetectsCorruption(t *testing.T) {
	s := open(t)
	d, err := s.PutBlobBytes([]byte("pristine content"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.blobPath(d), []byte("tampered content"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = s.ReadBlob(d)
	if !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("ReadBlob(corrupt) = %v, want ErrDigestMismatch", err)
	}
}

func TestLayers(t *testing.T) {
	s := open(t)
	diff := FromBytes([]byte("layer"))
	stage, err := s.NewLayer()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stage.Dir(), "file"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if s.HasLayer(diff) {
		t.Fatal("HasLayer before commit = true")
	}
	if err := stage.Commit(Layer{ChainID: diff, DiffID: diff, Size: 1}); err != nil {
		t.Fatalf("Commit = %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(s.LayerDir(diff), "file")); err != nil || string(b) != "x" {
		t.Errorf("layer file = %q, %v", b, err)
	}
	// A second unpack of the same chain ID is dropped and succeeds.
	again, err := s.NewLayer()
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Commit(Layer{ChainID: diff, DiffID: diff}); err != nil {
		t.Errorf("Commit of existing layer = %v, want nil", err)
	}
	ls, err := s.Layers()
	if err != nil || len(ls) != 1 {
		t.Errorf("Layers() = %v, %v, want one", ls, err)
	}
	if err := s.DeleteLayer(diff); err != nil || s.HasLayer(diff) {
		t.Errorf("DeleteLayer = %v, HasLayer after = %v", err, s.HasLayer(diff))
	}
}

func TestImagesAndRefs(t *testing.T) {
	s := open(t)
	id := FromBytes([]byte("config"))
	img := Image{ID: id, Layers: []ImageLayer{{DiffID: FromBytes([]byte("a"))}}, Created: time.Unix(10, 0).UTC()}
	if err := s.PutImage(img); err != nil {
		t.Fatal(err)
	}
	got, err := s.Image(id)
	if err != nil || got.ID != id || len(got.Layers) != 1 {
		t.Errorf("Image = %+v, %v", got, err)
	}
	err = s.UpdateImageRefs(func(r *Refs) error {
		r.Tags["docker.io/library/busybox:latest"] = id
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	failing := errors.New("abort")
	if err := s.UpdateImageRefs(func(r *Refs) error {
		delete(r.Tags, "docker.io/library/busybox:latest")
		return failing
	}); !errors.Is(err, failing) {
		t.Errorf("UpdateImageRefs error = %v, want %v", err, failing)
	}
	refs, err := s.ImageRefs()
	if err != nil || refs.Tags["docker.io/library/busybox:latest"] != id {
		t.Errorf("refs after aborted update = %v, %v, want the tag kept", refs.Tags, err)
	}
	if err := s.DeleteImage(id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Image(id); !errors.Is(err, ErrNotFound) {
		t.Errorf("Image(deleted) = %v, want ErrNotFound", err)
	}
}

func TestConcurrentRefUpdates(t *testing.T) {
	s := open(t)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			err := s.UpdateImageRefs(func(r *Refs) error {
				r.Tags[fmt.Sprintf("repo:%d", i)] = FromBytes([]byte{byte(i)})
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	refs, _ := s.ImageRefs()
	if len(refs.Tags) != 20 {
		t.Errorf("tags after 20 concurrent updates = %d, want 20", len(refs.Tags))
	}
}

func TestContainersAndNames(t *testing.T) {
	s := open(t)
	id := strings.Repeat("ab", 32)
	other := strings.Repeat("cd", 32)
	type cfg struct{ Name string }
	if _, err := s.CreateContainer(id, cfg{"web"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateContainer(id, cfg{"web"}); !errors.Is(err, ErrExists) {
		t.Errorf("CreateContainer twice = %v, want ErrExists", err)
	}
	if _, err := s.CreateContainer("../../etc", cfg{}); !errors.Is(err, ErrInvalidName) {
		t.Errorf("CreateContainer(bad id) = %v, want ErrInvalidName", err)
	}
	if err := s.ReserveName("web", id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateContainer(other, cfg{"web"}); err != nil {
		t.Fatal(err)
	}
	if err := s.ReserveName("web", other); !errors.Is(err, ErrExists) {
		t.Errorf("ReserveName(taken) = %v, want ErrExists", err)
	}
	for _, bad := range []string{"", "-x", "a/b", "a b", "../x"} {
		if err := s.ReserveName(bad, other); !errors.Is(err, ErrInvalidName) {
			t.Errorf("ReserveName(%q) = %v, want ErrInvalidName", bad, err)
		}
	}
	if got, err := s.LookupName("web"); err != nil || got != id {
		t.Errorf("LookupName = %q, %v, want %q", got, err, id)
	}
	if err := s.WriteContainerState(id, map[string]string{"status": "running"}); err != nil {
		t.Fatal(err)
	}
	var st map[string]string
	if err := s.ReadContainerState(id, &st); err != nil || st["status"] != "running" {
		t.Errorf("ReadContainerState = %v, %v", st, err)
	}
	if err := s.DeleteContainer(id); err != nil {
		t.Fatal(err)
	}
	// The name of a removed container is free again.
	if err := s.ReserveName("web", other); err != nil {
		t.Errorf("ReserveName after owner removed = %v, want nil", err)
	}
	ids, _ := s.ContainerIDs()
	if len(ids) != 1 || ids[0] != other {
		t.Errorf("ContainerIDs = %v, want [%s]", ids, other)
	}
}

func TestDetachContainer(t *testing.T) {
	s := open(t)
	id := strings.Repeat("ef", 32)
	if _, err := s.CreateContainer(id, map[string]string{"Name": "gone"}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Container(id).Upper, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	unlock, err := s.LockContainer(id)
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	remove, err := s.DetachContainer(id)
	if err != nil {
		t.Fatal(err)
	}
	// Gone from the store at once, files still to delete.
	if ids, _ := s.ContainerIDs(); len(ids) != 0 {
		t.Errorf("ContainerIDs after DetachContainer = %v, want none", ids)
	}
	var cfg map[string]string
	if err := s.ReadContainerConfig(id, &cfg); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadContainerConfig after DetachContainer = %v, want ErrNotFound", err)
	}
	tmp := filepath.Join(s.Root(), "tmp")
	if ents, _ := os.ReadDir(tmp); len(ents) != 1 {
		t.Fatalf("tmp/ after DetachContainer holds %d entries, want the detached container", len(ents))
	}
	// Another process opening the store leaves files still being removed.
	if _, err := Open(s.Root()); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 1 {
		t.Errorf("Open removed a detached container still owned: tmp/ holds %d entries, want 1", len(ents))
	}
	if err := remove(); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("tmp/ after remove holds %v, want nothing", ents)
	}
	if _, err := os.Stat(s.Container(id).Run); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("runtime directory after remove: %v, want it gone", err)
	}
	// A missing container detaches to a no-op.
	remove, err = s.DetachContainer(id)
	if err != nil || remove() != nil {
		t.Errorf("DetachContainer(missing) = %v, want success", err)
	}
}

func TestOpenWithoutRepair(t *testing.T) {
	root := open(t).Root()
	stray := filepath.Join(root, "tmp", ".tmp-f-0123456789abcdef")
	if err := os.WriteFile(stray, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(root, WithoutRepair()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stray); err != nil {
		t.Errorf("Open(WithoutRepair) removed a staged leftover: %v", err)
	}
	if _, err := Open(root); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stray); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open left a staged leftover: %v", err)
	}
}

// TestRepairKeepsLiveStaging checks that Open's repair leaves a staging
// entry alone while its writer holds it, and removes it once released.
func TestRepairKeepsLiveStaging(t *testing.T) {
	s := open(t)
	for _, mkdir := range []bool{false, true} {
		path, release, err := s.stage(filepath.Join(s.Root(), "tmp"), ".tmp-f-", mkdir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Open(s.Root()); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("Open removed a staging entry its writer holds (dir %v): %v", mkdir, err)
		}
		release()
		if _, err := Open(s.Root()); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Open left a released staging entry (dir %v): %v", mkdir, err)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(s.Root(), "locks")); len(ents) > 1 {
		t.Errorf("locks/ holds %d files after staging, want only the repair lock", len(ents))
	}
}

func TestVolumes(t *testing.T) {
	s := open(t)
	if err := s.CreateVolume(Volume{Name: "data"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateVolume(Volume{Name: "data"}); !errors.Is(err, ErrExists) {
		t.Errorf("CreateVolume twice = %v, want ErrExists", err)
	}
	if err := os.WriteFile(filepath.Join(s.VolumePath("data"), "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	vs, err := s.Volumes()
	if err != nil || len(vs) != 1 || vs[0].Driver != "local" {
		t.Errorf("Volumes() = %+v, %v", vs, err)
	}
	if err := s.DeleteVolume("data"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteVolume("data"); !errors.Is(err, ErrNotFound) {
		t.Errorf("DeleteVolume twice = %v, want ErrNotFound", err)
	}
}

func TestEvents(t *testing.T) {
	s := open(t)
	end, err := s.EventsEnd()
	if err != nil || end != 0 {
		t.Fatalf("EventsEnd on empty store = %d, %v", end, err)
	}
	done := make(chan error, 1)
	go func() { done <- s.WaitEvents(t.Context(), 0) }()
	if err := s.AppendEvent(Event{Type: "container", Action: "start", ID: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("WaitEvents = %v", err)
	}
	evs, next, err := s.ReadEvents(0)
	if err != nil || len(evs) != 1 || evs[0].Action != "start" || next == 0 {
		t.Errorf("ReadEvents = %+v, %d, %v", evs, next, err)
	}
	// A torn last line is left for the next read.
	f, _ := os.OpenFile(s.eventsPath(), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"type":"cont`)
	f.Close()
	evs, next2, _ := s.ReadEvents(next)
	if len(evs) != 0 || next2 != next {
		t.Errorf("ReadEvents(torn) = %d events, offset %d, want 0, %d", len(evs), next2, next)
	}
}

// TestKillDuringWrites kills a process at random points while it writes
// blobs, layers, image records and refs, then checks that Open repairs the
// store: every record is readable and nothing staged is left.
func TestKillDuringWrites(t *testing.T) {
	if os.Getenv("BERTH_STORE_WRITER") != "" {
		writeForever(os.Getenv("BERTH_STORE_WRITER"))
		return
	}
	root := t.TempDir()
	for round := range 5 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillDuringWrites$")
		cmd.Env = append(os.Environ(), "BERTH_STORE_WRITER="+root)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait until the writer has done some work, then kill it mid-flight.
		buf := make([]byte, 1)
		for range 3 + round*7 {
			if _, err := io.ReadFull(out, buf); err != nil {
				t.Fatalf("writer ended early: %v", err)
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		s, err := Open(root)
		if err != nil {
			t.Fatalf("round %d: Open after kill = %v", round, err)
		}
		for _, d := range []string{"tmp"} {
			if ents, _ := os.ReadDir(filepath.Join(root, d)); len(ents) != 0 {
				t.Errorf("round %d: %s/ holds %d leftovers after Open", round, d, len(ents))
			}
		}
		ents, _ := os.ReadDir(filepath.Join(root, "layers"))
		for _, e := range ents {
			if isStaging(e.Name()) {
				t.Errorf("round %d: staged layer %s left after Open", round, e.Name())
			}
		}
		blobs, err := s.Blobs()
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range blobs {
			if _, err := s.ReadBlob(d); err != nil {
				t.Errorf("round %d: blob %s unreadable after kill: %v", round, d, err)
			}
		}
		imgs, err := s.Images()
		if err != nil {
			t.Fatal(err)
		}
		for _, img := range imgs {
			for _, c := range img.ChainIDs() {
				if !s.HasLayer(c) {
					t.Errorf("round %d: image %s names missing layer %s", round, img.ID, c)
				}
			}
		}
		if _, err := s.ImageRefs(); err != nil {
			t.Errorf("round %d: refs unreadable after kill: %v", round, err)
		}
	}
}

// writeForever writes images the way a pull does (blob, layer, record,
// ref) and prints a byte after each step, until it is killed.
func writeForever(root string) {
	s, err := Open(root)
	if err != nil {
		panic(err)
	}
	payload := bytes.Repeat([]byte("0123456789abcdef"), 64<<10)
	for i := 0; ; i++ {
		content := append([]byte(fmt.Sprint(i)), payload...)
		d, err := s.PutBlob(bytes.NewReader(content), "", -1)
		if err != nil {
			panic(err)
		}
		os.Stdout.Write([]byte{'.'})
		stage, err := s.NewLayer()
		if err != nil {
			panic(err)
		}
		for j := range 20 {
			os.WriteFile(filepath.Join(stage.Dir(), fmt.Sprint(j)), content[:4096], 0o644)
		}
		if err := stage.Commit(Layer{ChainID: d, DiffID: d}); err != nil {
			panic(err)
		}
		os.Stdout.Write([]byte{'.'})
		cfg, _ := s.PutBlobBytes([]byte(fmt.Sprintf(`{"n":%d}`, i)))
		if err := s.PutImage(Image{ID: cfg, Layers: []ImageLayer{{Digest: d, DiffID: d}}}); err != nil {
			panic(err)
		}
		os.Stdout.Write([]byte{'.'})
		if err := s.UpdateImageRefs(func(r *Refs) error {
			r.Tags[fmt.Sprintf("repo:%d", i)] = cfg
			return nil
		}); err != nil {
			panic(err)
		}
		os.Stdout.Write([]byte{'.'})
	}
}

func TestChainID(t *testing.T) {
	a, b := FromBytes([]byte("a")), FromBytes([]byte("b"))
	if got := ChainID([]Digest{a}); got != a {
		t.Errorf("ChainID([a]) = %s, want %s", got, a)
	}
	want := FromBytes([]byte(string(a) + " " + string(b)))
	if got := ChainID([]Digest{a, b}); got != want {
		t.Errorf("ChainID([a b]) = %s, want %s", got, want)
	}
	if ids := ChainIDs([]Digest{a, b}); ids[1] != want {
		t.Errorf("ChainIDs()[1] = %s, want %s", ids[1], want)
	}
}

func TestNoSyncContainer(t *testing.T) {
	s := open(t)
	id := strings.Repeat("ef", 32)
	type cfg struct{ Name string }
	if _, err := s.CreateContainer(id, cfg{"tmp"}, NoSync()); err != nil {
		t.Fatal(err)
	}
	if err := s.ReserveName("tmp", id, NoSync()); err != nil {
		t.Fatal(err)
	}
	var got cfg
	if err := s.ReadContainerConfig(id, &got); err != nil || got.Name != "tmp" {
		t.Errorf("ReadContainerConfig after a NoSync create = %+v, %v, want tmp", got, err)
	}
	if owner, err := s.LookupName("tmp"); err != nil || owner != id {
		t.Errorf("LookupName after a NoSync reserve = %q, %v, want %s", owner, err, id)
	}
	if left, err := os.ReadDir(filepath.Join(s.Root(), "tmp")); err != nil || len(left) != 0 {
		t.Errorf("tmp/ after NoSync writes = %d entries, %v, want none", len(left), err)
	}

	// A power loss after a NoSync create can leave an empty config:
	// the repair removes such a container.
	if err := os.WriteFile(s.Container(id).Config, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveIncompleteContainers(); err != nil {
		t.Fatal(err)
	}
	if ids, _ := s.ContainerIDs(); len(ids) != 0 {
		t.Errorf("ContainerIDs after RemoveIncompleteContainers with an empty config = %v, want none", ids)
	}
}

func TestLockContainer(t *testing.T) {
	s := open(t)
	id := strings.Repeat("ef", 32)
	if _, err := s.LockContainer(id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LockContainer(missing) = %v, want ErrNotFound", err)
	}
	if _, err := s.CreateContainer(id, struct{}{}); err != nil {
		t.Fatal(err)
	}
	unlock, err := s.LockContainer(id)
	if err != nil {
		t.Fatal(err)
	}
	run := s.Container(id).Run
	if _, err := os.Stat(s.Container(id).Lock); err != nil {
		t.Fatalf("no lock file in the runtime directory: %v", err)
	}
	if !isTmpfs(RunStores) {
		t.Errorf("%s is not a tmpfs", RunStores)
	}
	got := make(chan error)
	go func() {
		second, err := s.LockContainer(id)
		if err == nil {
			second()
		}
		got <- err
	}()
	select {
	case <-got:
		t.Fatal("a second LockContainer succeeded while the first was held")
	case <-time.After(50 * time.Millisecond):
	}
	unlock()
	if err := <-got; err != nil {
		t.Fatal(err)
	}

	// A container removed while its lock is awaited is not found, and
	// leaves no runtime directory.
	unlock, err = s.LockContainer(id)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		_, err := s.LockContainer(id)
		got <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := s.DeleteContainer(id); err != nil {
		t.Fatal(err)
	}
	unlock()
	if err := <-got; !errors.Is(err, ErrNotFound) {
		t.Errorf("LockContainer of a container removed meanwhile = %v, want ErrNotFound", err)
	}
	if _, err := os.Stat(run); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("runtime directory of a removed container: %v, want it gone", err)
	}
}

// createLocked creates container id in s and locks it once, which makes
// its runtime directory.
func createLocked(t *testing.T, s *Store, id string) {
	t.Helper()
	if _, err := s.CreateContainer(id, struct{}{}); err != nil {
		t.Fatal(err)
	}
	unlock, err := s.LockContainer(id)
	if err != nil {
		t.Fatal(err)
	}
	unlock()
}

func TestCollectRunDirs(t *testing.T) {
	s := open(t)
	kept, gone := strings.Repeat("ab", 32), strings.Repeat("cd", 32)
	createLocked(t, s, kept)
	createLocked(t, s, gone)
	// A process that dies between the removal of a container's
	// directory and that of its runtime directory leaves the latter.
	if _, err := s.DetachContainer(gone); err != nil {
		t.Fatal(err)
	}
	// So does a store deleted with its containers.
	other := open(t)
	createLocked(t, other, gone)
	if err := os.RemoveAll(other.Root()); err != nil {
		t.Fatal(err)
	}
	if err := s.CollectRunDirs(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dir  string
		want bool
	}{{s.Container(kept).Run, true}, {s.Container(gone).Run, false}, {other.run, false}} {
		if _, err := os.Stat(c.dir); (err == nil) != c.want {
			t.Errorf("%s after CollectRunDirs: %v, want it kept: %v", c.dir, err, c.want)
		}
	}
}
