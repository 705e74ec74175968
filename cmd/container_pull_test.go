package cmd

import (
	"runtime"
	"strings"
	"testing"

	"github.com/berth-dev/berth/test/imgtest"
)

func TestRunPullsAMissingImage(t *testing.T) {
	b := buildBerth(t)
	host := imgtest.Registry(t)
	imgtest.Push(t, host, "pulled/bb:1", imgtest.BusyboxImage(t))
	ref := host + "/pulled/bb:1"

	if code, _, errs := b.run("", "run", "--rm", "--pull", "never", ref, "true"); code != 125 || !strings.Contains(errs, "no such image") {
		t.Fatalf("run --pull never of a missing image = %d %q", code, errs)
	}
	code, out, errs := b.run("", "run", "--rm", ref, "echo", "ran")
	if code != 0 || out != "ran\n" {
		t.Fatalf("run of a missing image = %d %q %q, want it pulled and run", code, out, errs)
	}
	if !strings.Contains(errs, "Unable to find image '"+ref+"' locally") || !strings.Contains(errs, "Downloaded newer image") {
		t.Errorf("run's pull messages on stderr = %q", errs)
	}
	if !strings.Contains(b.ok("images", "--format", "{{.Repository}}:{{.Tag}}"), ref) {
		t.Error("the pulled image is not in the store")
	}
	// Here now: no pull.
	if _, _, errs := b.run("", "run", "--rm", ref, "true"); errs != "" {
		t.Errorf("run of an image in the store printed %q", errs)
	}
	if code, _, errs := b.run("", "create", "--pull", "always", ref, "true"); code != 0 || !strings.Contains(errs, "Pulling from") {
		t.Errorf("create --pull always = %d %q, want a pull", code, errs)
	}
	if code, _, errs := b.run("", "run", "--rm", "--pull", "sometimes", ref, "true"); code != 125 || !strings.Contains(errs, "invalid pull option") {
		t.Errorf("run --pull sometimes = %d %q", code, errs)
	}
}

// TestRunPlatform checks run and create --platform against a
// multi-platform image: an image here for another platform counts as
// missing and the one asked for is pulled, or, with --pull never, the
// mismatch is the error.
func TestRunPlatform(t *testing.T) {
	b := buildBerth(t)
	host := imgtest.Registry(t)
	_, _, other := imgtest.PushTwoPlatforms(t, host, "multi/bb:1")
	ref := host + "/multi/bb:1"
	arch := func() string {
		return b.ok("image", "inspect", "--format", "{{.Config.Labels.arch}} {{.Architecture}}", ref)
	}

	b.ok("run", "--rm", "--platform", "linux/"+runtime.GOARCH, ref, "true")
	if got, want := arch(), runtime.GOARCH+" "+runtime.GOARCH+"\n"; got != want {
		t.Errorf("image after run --platform linux/%s = %q, want %q", runtime.GOARCH, got, want)
	}
	code, _, errs := b.run("", "create", "--platform", "linux/"+other, ref, "true")
	if code != 0 || !strings.Contains(errs, "Unable to find image") {
		t.Errorf("create --platform linux/%s = %d %q, want the other platform pulled", other, code, errs)
	}
	if got, want := arch(), other+" "+other+"\n"; got != want {
		t.Errorf("image after create --platform linux/%s = %q, want %q", other, got, want)
	}
	code, _, errs = b.run("", "run", "--rm", "--pull", "never", "--platform", "linux/"+runtime.GOARCH, ref, "true")
	want := "Error: image with reference " + ref + " was found but does not match the specified platform: wanted linux/" + runtime.GOARCH + ", actual: linux/" + other + "\n"
	if code != 125 || errs != want {
		t.Errorf("run --pull never --platform of the other platform = %d %q, want 125 %q", code, errs, want)
	}
	if code, _, errs := b.run("", "run", "--rm", "--platform", "linux", ref, "true"); code != 125 || !strings.Contains(errs, `invalid platform "linux"`) {
		t.Errorf("run --platform linux = %d %q", code, errs)
	}
}
