package engine

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/store"
	"github.com/berth-dev/berth/test/imgtest"
)

// mountImage mounts the layers of image ref read-only with overlayfs and
// returns the mount point.
func mountImage(t *testing.T, e *Engine, ref string) string {
	t.Helper()
	img, _, err := e.LookupImage(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	chains := img.ChainIDs()
	var lowers []string
	for i := len(chains) - 1; i >= 0; i-- {
		lowers = append(lowers, e.st.LayerDir(chains[i]))
	}
	if len(lowers) == 1 {
		// overlayfs needs two lowers without an upper.
		lowers = append(lowers, t.TempDir())
	}
	dir := t.TempDir()
	if err := unix.Mount("overlay", dir, "overlay", unix.MS_RDONLY, "lowerdir="+strings.Join(lowers, ":")); err != nil {
		t.Skipf("mount overlay (needs root and overlayfs): %v", err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	return dir
}

// checkExpect checks a stacked filesystem against imgtest's expectations.
func checkExpect(t *testing.T, root string, want []imgtest.Expect) {
	t.Helper()
	for _, w := range want {
		p := filepath.Join(root, w.Path)
		fi, err := os.Lstat(p)
		switch {
		case w.Absent:
			if err == nil {
				t.Errorf("%s exists, want it deleted", w.Path)
			}
		case err != nil:
			t.Errorf("lstat %s: %v", w.Path, err)
		case w.Link != "":
			got, err := os.Readlink(p)
			if err != nil || got != w.Link {
				t.Errorf("readlink %s = %q, %v; want %q", w.Path, got, err, w.Link)
			}
		case w.Dir:
			if !fi.IsDir() {
				t.Errorf("%s is %v, want a directory", w.Path, fi.Mode())
			}
		default:
			b, err := os.ReadFile(p)
			if err != nil || !bytes.HasPrefix(b, []byte(w.Content)) || (w.Content != "\x7fELF" && string(b) != w.Content) {
				t.Errorf("read %s = %.20q, %v; want %q", w.Path, b, err, w.Content)
			}
		}
	}
}

func TestPullLayeredStacksLikeDocker(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []imgtest.Option
	}{
		{name: "docker media types"},
		{name: "oci zstd base", opts: []imgtest.Option{imgtest.WithZstd()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host := imgtest.Registry(t)
			img, want := imgtest.LayeredImage(t, tc.opts...)
			imgtest.Push(t, host, "test/layered:1", img)
			e := newImageTestEngine(t, WithParallelPulls(4))
			if _, err := e.Pull(t.Context(), host+"/test/layered:1", PullOptions{}); err != nil {
				t.Fatalf("Pull: %v", err)
			}
			root := mountImage(t, e, host+"/test/layered:1")
			checkExpect(t, root, want)
			fi, err := os.Stat(filepath.Join(root, "bin", "suid"))
			if err != nil || fi.Mode()&os.ModeSetuid == 0 {
				t.Errorf("bin/suid mode = %v, %v; want setuid", fi, err)
			}
			var a, b unix.Stat_t
			unix.Stat(filepath.Join(root, "hl", "orig"), &a)
			unix.Stat(filepath.Join(root, "hl", "link2"), &b)
			if a.Ino != b.Ino {
				t.Errorf("hl/link2 is not a hardlink of hl/orig (inodes %d, %d)", b.Ino, a.Ino)
			}
		})
	}
}

func TestPullIndexPicksPlatform(t *testing.T) {
	host := imgtest.Registry(t)
	native, foreign, other := imgtest.PushTwoPlatforms(t, host, "test/multi:1")
	tests := []struct {
		platform string
		want     v1.Image
	}{
		{"", native},
		{"linux/" + other, foreign},
	}
	for _, tt := range tests {
		t.Run("platform="+tt.platform, func(t *testing.T) {
			e := newImageTestEngine(t)
			s, err := e.Pull(t.Context(), host+"/test/multi:1", PullOptions{Platform: tt.platform})
			if err != nil {
				t.Fatalf("Pull: %v", err)
			}
			cd, _ := tt.want.ConfigName()
			if s.ID != cd.String() {
				t.Errorf("pulled %s, want %s", s.ID, cd)
			}
		})
	}
	e := newImageTestEngine(t)
	_, err := e.Pull(t.Context(), host+"/test/multi:1", PullOptions{Platform: "linux/s390x"})
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("Pull for a platform the index lacks = %v, want ErrNotFound", err)
	}
	assertNoImage(t, e)
}

// pullBusybox pulls a busybox image into a fresh engine.
func pullBusybox(t *testing.T, refs ...string) (*Engine, string) {
	t.Helper()
	host := imgtest.Registry(t)
	img := imgtest.BusyboxImage(t)
	e := newImageTestEngine(t)
	for _, r := range refs {
		imgtest.Push(t, host, r, img)
		if _, err := e.Pull(t.Context(), host+"/"+r, PullOptions{}); err != nil {
			t.Fatalf("Pull %s: %v", r, err)
		}
	}
	return e, host
}

func TestLookupImage(t *testing.T) {
	e, host := pullBusybox(t, "library/busybox:latest")
	s, err := e.Images(t.Context(), ListImagesOptions{})
	if err != nil || len(s) != 1 {
		t.Fatalf("Images = %v, %v", s, err)
	}
	id := s[0].ID
	for _, ref := range []string{host + "/library/busybox", host + "/library/busybox:latest", id, strings.TrimPrefix(id, "sha256:"), id[7:19], id[7:11]} {
		t.Run(ref, func(t *testing.T) {
			img, cfg, err := e.LookupImage(t.Context(), ref)
			if err != nil {
				t.Fatalf("LookupImage(%q): %v", ref, err)
			}
			if string(img.ID) != id || cfg.Config.Cmd[0] != "sh" {
				t.Errorf("LookupImage(%q) = %s %v, want %s [sh]", ref, img.ID, cfg.Config.Cmd, id)
			}
		})
	}
	_, _, err = e.LookupImage(t.Context(), "nosuch")
	var nf *ImageNotFoundError
	if !errors.As(err, &nf) || !errors.Is(err, ErrNotFound) || err.Error() != "no such image: nosuch:latest" {
		t.Errorf("LookupImage(nosuch) = %v, want \"no such image: nosuch:latest\"", err)
	}
}

func TestTagRemovePrune(t *testing.T) {
	e, host := pullBusybox(t, "library/busybox:latest")
	ctx := t.Context()
	ref := host + "/library/busybox:latest"
	if err := e.Tag(ctx, ref, "mine:1"); err != nil {
		t.Fatalf("Tag: %v", err)
	}
	if err := e.Tag(ctx, ref, "other/repo:2"); err != nil {
		t.Fatalf("Tag: %v", err)
	}
	if err := e.Tag(ctx, ref, "bad//name"); !errors.Is(err, ErrInvalid) {
		t.Errorf("Tag to a malformed name = %v, want ErrInvalid", err)
	}
	imgs, _ := e.Images(ctx, ListImagesOptions{})
	if len(imgs) != 1 || len(imgs[0].RepoTags) != 3 {
		t.Fatalf("Images after tag = %+v, want one image with 3 tags", imgs)
	}
	id := imgs[0].ID
	if got, _ := e.Images(ctx, ListImagesOptions{Filters: []string{"reference=mine*"}}); len(got) != 1 || !equalStrings(got[0].RepoTags, []string{"mine:1"}) {
		t.Errorf("Images reference=mine* = %+v, want one row with mine:1", got)
	}
	// By ID with tags in several repositories needs force.
	if _, err := e.RemoveImage(ctx, id, false); !errors.Is(err, ErrConflict) {
		t.Errorf("RemoveImage(id) with 3 repositories = %v, want ErrConflict", err)
	}
	// By name only untags while other names remain.
	rm, err := e.RemoveImage(ctx, "mine:1", false)
	if err != nil || len(rm) != 1 || rm[0].Untagged != "mine:1" {
		t.Errorf("RemoveImage(mine:1) = %+v, %v; want one Untagged", rm, err)
	}
	// A container using the image blocks deletion.
	cid := strings.Repeat("ab", 32)
	if _, err := e.st.CreateContainer(cid, map[string]any{"imageID": id}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.RemoveImage(ctx, id, false); !errors.Is(err, ErrConflict) {
		t.Errorf("RemoveImage of an image in use = %v, want ErrConflict", err)
	}
	rm, err = e.RemoveImage(ctx, id, true)
	if err != nil {
		t.Fatalf("RemoveImage(force) of image in use: %v", err)
	}
	for _, r := range rm {
		if r.Deleted != "" {
			t.Errorf("forced removal of an image in use deleted %s", r.Deleted)
		}
	}
	imgs, _ = e.Images(ctx, ListImagesOptions{Filters: []string{"dangling=true"}})
	if len(imgs) != 1 || imgs[0].Containers != 1 {
		t.Fatalf("dangling images = %+v, want the untagged image used by one container", imgs)
	}
	rep, err := e.PruneImages(ctx, false, PruneFilter{})
	if err != nil || len(rep.Deleted) != 0 {
		t.Errorf("PruneImages with the image in use = %+v, %v; want nothing deleted", rep, err)
	}
	if err := e.st.DeleteContainer(cid); err != nil {
		t.Fatal(err)
	}
	rep, err = e.PruneImages(ctx, false, PruneFilter{})
	if err != nil {
		t.Fatalf("PruneImages: %v", err)
	}
	if len(rep.Deleted) < 2 || rep.Deleted[0] != id || rep.SpaceReclaimed < 1<<20 {
		t.Errorf("PruneImages = %+v, want the image and its layer, over 1MB", rep)
	}
	if imgs, _ := e.Images(ctx, ListImagesOptions{}); len(imgs) != 0 {
		t.Errorf("images after prune = %d, want 0", len(imgs))
	}
	if blobs, _ := e.st.Blobs(); len(blobs) != 0 {
		t.Errorf("blobs after prune = %d, want 0", len(blobs))
	}
	if layers, _ := e.st.Layers(); len(layers) != 0 {
		t.Errorf("layers after prune = %d, want 0", len(layers))
	}
}

func TestRemoveLastTagDeletes(t *testing.T) {
	e, host := pullBusybox(t, "library/busybox:latest")
	rm, err := e.RemoveImage(t.Context(), host+"/library/busybox", false)
	if err != nil {
		t.Fatalf("RemoveImage: %v", err)
	}
	var untagged, deleted int
	for _, r := range rm {
		if r.Untagged != "" {
			untagged++
		}
		if r.Deleted != "" {
			deleted++
		}
	}
	if untagged != 2 || deleted != 2 {
		t.Errorf("RemoveImage = %+v, want tag and digest untagged, image and layer deleted", rm)
	}
	if _, err := e.RemoveImage(t.Context(), "nosuch:1", false); !errors.Is(err, ErrNotFound) {
		t.Errorf("RemoveImage(nosuch:1) = %v, want ErrNotFound", err)
	}
	assertNoImage(t, e)
}

func TestSaveLoadRoundTrip(t *testing.T) {
	host := imgtest.Registry(t)
	img, want := imgtest.LayeredImage(t)
	imgtest.Push(t, host, "test/layered:1", img)
	e := newImageTestEngine(t)
	ctx := t.Context()
	orig, err := e.Pull(ctx, host+"/test/layered:1", PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Tag(ctx, orig.ID, "saved:v1"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := e.Save(ctx, &buf, []string{"saved:v1"}); err != nil {
		t.Fatalf("Save: %v", err)
	}
	e2 := newImageTestEngine(t)
	loaded, err := e2.Load(ctx, bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !equalStrings(loaded, []string{"saved:v1"}) {
		t.Errorf("Load = %v, want [saved:v1]", loaded)
	}
	got, err := e2.InspectImage(ctx, "saved:v1")
	if err != nil {
		t.Fatal(err)
	}
	src, _ := e.InspectImage(ctx, "saved:v1")
	if got.ID != orig.ID || got.Manifest != src.Manifest {
		t.Errorf("loaded image %s manifest %s, want %s manifest %s", got.ID, got.Manifest, orig.ID, src.Manifest)
	}
	checkExpect(t, mountImage(t, e2, "saved:v1"), want)

	// The archive is also an OCI layout: drop manifest.json and load again.
	oci := stripEntry(t, buf.Bytes(), "manifest.json")
	e3 := newImageTestEngine(t)
	loaded, err = e3.Load(ctx, bytes.NewReader(oci))
	if err != nil {
		t.Fatalf("Load OCI layout: %v", err)
	}
	if !equalStrings(loaded, []string{"saved:v1"}) {
		t.Errorf("Load OCI layout = %v, want [saved:v1]", loaded)
	}
	// Loading rubbish fails cleanly.
	e4 := newImageTestEngine(t)
	if _, err := e4.Load(ctx, strings.NewReader("not a tar")); err == nil {
		t.Error("Load of garbage succeeded")
	}
	assertNoImage(t, e4)
	if blobs, _ := e4.st.Blobs(); len(blobs) != 0 {
		t.Errorf("blobs after failed load = %d, want 0", len(blobs))
	}
}

func TestImportDirAndHistory(t *testing.T) {
	e := newImageTestEngine(t)
	ctx := t.Context()
	rootfs := imgtest.BusyboxRootfs(t)
	s, err := e.ImportDir(ctx, rootfs, "imported:1", ImportOptions{Changes: []string{`CMD ["sh"]`, "ENV A=b", "LABEL x=y", "WORKDIR /tmp"}})
	if err != nil {
		t.Fatalf("ImportDir: %v", err)
	}
	if !equalStrings(s.RepoTags, []string{"imported:1"}) || s.Size < 1<<20 {
		t.Errorf("ImportDir = %+v, want imported:1 over 1MB", s)
	}
	in, err := e.InspectImage(ctx, "imported:1")
	if err != nil {
		t.Fatal(err)
	}
	if in.Config.Cmd[0] != "sh" || in.Config.Env[0] != "A=b" || in.Config.Labels["x"] != "y" || in.Config.WorkingDir != "/tmp" {
		t.Errorf("config = %+v, want the changes applied", in.Config)
	}
	if len(in.RootFS.Layers) != 1 || in.Os != "linux" || in.Architecture != runtime.GOARCH {
		t.Errorf("inspect = %+v, want one layer for this platform", in)
	}
	h, err := e.History(ctx, "imported:1")
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 1 || h[0].ID != s.ID || h[0].Comment != "Imported from "+rootfs || h[0].Size != s.Size || h[0].Layer != in.RootFS.Layers[0] {
		t.Errorf("History = %+v, want one entry for the import", h)
	}
	root := mountImage(t, e, "imported:1")
	if l, err := os.Readlink(filepath.Join(root, "bin", "sh")); err != nil || l != "busybox" {
		t.Errorf("bin/sh in imported image = %q, %v", l, err)
	}
	// Committing on top keeps the parent's layers.
	parent, parentCfg, err := e.LookupImage(ctx, "imported:1")
	if err != nil {
		t.Fatal(err)
	}
	layer := imgtest.Tar(t, imgtest.Dir("etc"), imgtest.File("etc/motd", "hello\n"))
	c, err := e.CommitLayer(ctx, parent, bytes.NewReader(layer), parentCfg, v1.History{CreatedBy: "touch /etc/motd"}, "committed:1")
	if err != nil {
		t.Fatalf("CommitLayer: %v", err)
	}
	layers, err := e.ImageLayers(ctx, "committed:1")
	if err != nil || len(layers) != 2 || layers[1].CreatedBy != "touch /etc/motd" || layers[1].DiffID != string(store.FromBytes(layer)) {
		t.Errorf("ImageLayers = %+v, %v; want two, the top one the commit", layers, err)
	}
	files, err := e.LayerFiles(ctx, c.ID, 1)
	if err != nil || len(files) != 2 || files[1].Path != "/etc/motd" {
		t.Errorf("LayerFiles = %+v, %v; want /etc and /etc/motd", files, err)
	}
	if string(must(os.ReadFile(filepath.Join(mountImage(t, e, "committed:1"), "etc", "motd")))) != "hello\n" {
		t.Error("committed file missing from the stacked image")
	}
	if _, err := e.Import(ctx, strings.NewReader("garbage that is not a tar"), "bad:1", ImportOptions{}); err == nil {
		t.Error("Import of garbage succeeded")
	}
	if _, _, err := e.LookupImage(ctx, "bad:1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("failed import left an image: %v", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprint(err))
	}
	return v
}

func TestHistoryOfPulledImage(t *testing.T) {
	host := imgtest.Registry(t)
	img, _ := imgtest.LayeredImage(t)
	imgtest.Push(t, host, "test/layered:1", img)
	e := newImageTestEngine(t)
	s, err := e.Pull(t.Context(), host+"/test/layered:1", PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h, err := e.History(t.Context(), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantBy := []string{`CMD ["sh"]`, "RUN mkdir /deldir", "RUN rm -rf /data/b.txt /del/gone.txt /deldir", "COPY data /", "ADD busybox-static rootfs / # buildkit"}
	if len(h) != len(wantBy) {
		t.Fatalf("History has %d entries, want %d", len(h), len(wantBy))
	}
	for i, w := range wantBy {
		if h[i].CreatedBy != w {
			t.Errorf("History[%d].CreatedBy = %q, want %q", i, h[i].CreatedBy, w)
		}
	}
	if h[0].ID != s.ID || h[1].ID != "<missing>" || !h[0].EmptyLayer || h[0].Size != 0 || h[4].Size < 1<<20 || h[4].Layer == "" {
		t.Errorf("History = %+v: want the image ID on top, <missing> below, sizes on layer steps", h)
	}
	in, err := e.InspectImage(t.Context(), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.RootFS.Layers) != 4 || in.RootFS.Type != "layers" || len(in.RepoDigests) != 1 || in.Size != s.Size {
		t.Errorf("InspectImage = %+v", in)
	}
}

// stripEntry returns the tar b without the entry name.
func stripEntry(t *testing.T, b []byte, name string) []byte {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(b))
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == name {
			continue
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(tw, tr); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
