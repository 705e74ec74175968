package cmd

import (
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/berth-dev/berth/test/imgtest"
)

func TestPush(t *testing.T) {
	b := buildBerth(t)
	host := imgtest.Registry(t)

	// An image made here (import) pushes with the manifest berth wrote for it.
	ref := host + "/made/bb:1"
	b.ok("tag", "bb", ref)
	out := b.ok("push", ref)
	if !strings.HasPrefix(out, "The push refers to repository ["+host+"/made/bb]\n") || !strings.Contains(out, ": Pushed\n") {
		t.Fatalf("push output:\n%s", out)
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(r)
	if err != nil {
		t.Fatalf("the registry does not serve the pushed image: %v", err)
	}
	cfg, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	if id := strings.TrimSpace(b.ok("image", "inspect", "-f", "{{.Id}}", "bb")); cfg.String() != id {
		t.Errorf("the registry's config is %s, the store's image is %s", cfg, id)
	}
	digest, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "1: digest: "+digest.String()+" size: ") {
		t.Errorf("push did not report the registry's digest %s:\n%s", digest, out)
	}
	// Pushed again: nothing to upload.
	if again := b.ok("push", ref); !strings.Contains(again, ": Layer already exists\n") || strings.Contains(again, "Pushed") {
		t.Errorf("second push:\n%s", again)
	}
	// What was pushed pulls back and runs.
	b.ok("rmi", ref)
	b.ok("pull", ref)
	if got := b.ok("run", "--rm", ref, "echo", "pushed"); got != "pushed\n" {
		t.Errorf("the pulled-back image ran %q", got)
	}

	// A pulled image is pushed byte for byte: same manifest digest.
	orig := imgtest.Push(t, host, "orig/bb:1", imgtest.BusyboxImage(t))
	b.ok("pull", host+"/orig/bb:1")
	b.ok("tag", host+"/orig/bb:1", host+"/copy/bb:2")
	if out := b.ok("push", "-q", host+"/copy/bb:2"); out != host+"/copy/bb:2\n" {
		t.Errorf("push -q printed %q", out)
	}
	r, err = name.ParseReference(host + "/copy/bb:2")
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Head(r)
	if err != nil {
		t.Fatal(err)
	}
	if desc.Digest != orig {
		t.Errorf("the copy's digest is %s, the original's %s", desc.Digest, orig)
	}

	// Bad input.
	b.ok("tag", "bb", "127.0.0.1:1/x/y:1")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"push", host + "/none/such:1"}, "no such image"},
		{[]string{"push", host + "/orig/bb@" + orig.String()}, "push a tag"},
		{[]string{"push", "Bad//Ref"}, "invalid reference format"},
		{[]string{"push", "127.0.0.1:1/x/y:1"}, "127.0.0.1:1"},
	} {
		code, out, errs := b.run("", tc.args...)
		if code != 1 || !strings.Contains(errs, tc.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v = %d %q, want 1 and one line naming %q", tc.args, code, errs, tc.want)
		}
		// Only a push that began says which repository it went to.
		if began := strings.HasPrefix(tc.args[1], "127.0.0.1:1/"); began != (out != "") {
			t.Errorf("%v printed %q", tc.args, out)
		}
	}
}
