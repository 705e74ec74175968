package imgtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func TestBusyboxRootfs(t *testing.T) {
	dir := BusyboxRootfs(t)
	out, err := exec.Command(filepath.Join(dir, "bin", "sh"), "-c", "echo hello").Output()
	if err != nil {
		t.Fatalf("run sh: %v", err)
	}
	if string(out) != "hello\n" {
		t.Errorf("sh -c 'echo hello' = %q, want %q", out, "hello\n")
	}
	fi, err := os.Stat(filepath.Join(dir, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSticky == 0 || fi.Mode().Perm() != 0o777 {
		t.Errorf("tmp mode = %v, want drwxrwxrwt", fi.Mode())
	}
	for _, p := range []string{"etc/passwd", "etc/group", "bin/ls", "bin/cat", "bin/sleep"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("stat %s: %v", p, err)
		}
	}
}

func TestPushAndFetch(t *testing.T) {
	host := Registry(t)
	img, _ := LayeredImage(t)
	want := Push(t, host, "test/layered:v1", img)
	ref, err := name.ParseReference(host+"/test/layered:v1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(ref)
	if err != nil {
		t.Fatalf("get %s: %v", ref, err)
	}
	if desc.Digest != want {
		t.Errorf("pushed digest = %s, want %s", desc.Digest, want)
	}
	got, err := desc.Image()
	if err != nil {
		t.Fatal(err)
	}
	ls, err := got.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 4 {
		t.Errorf("layers = %d, want 4", len(ls))
	}
	cf, err := got.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if len(cf.Config.Cmd) != 1 || cf.Config.Cmd[0] != "sh" {
		t.Errorf("Cmd = %q, want [sh]", cf.Config.Cmd)
	}
	if len(cf.History) != 5 {
		t.Errorf("history entries = %d, want 5", len(cf.History))
	}
}

func TestIndexAndZstd(t *testing.T) {
	host := Registry(t)
	idx := Index(t, BusyboxImage(t, WithZstd()), BusyboxImage(t, WithPlatform("linux", "arm64", "v8"), WithOCI()))
	PushIndex(t, host, "test/multi:latest", idx)
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 2 {
		t.Errorf("index manifests = %d, want 2", len(im.Manifests))
	}
}
