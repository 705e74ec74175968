package cmd

import (
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
