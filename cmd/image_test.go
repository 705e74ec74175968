package cmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/test/imgtest"
)

// runBerth runs the command line args on the store root and returns the
// exit code, stdout and stderr.
func runBerth(t *testing.T, root string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Execute(t.Context(), append([]string{"--root", root}, args...), IO{In: strings.NewReader(stdin), Out: &out, Err: &errb}, nil)
	return code, out.String(), errb.String()
}

func TestImageCommands(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("berth needs root")
	}
	host := imgtest.Registry(t)
	imgtest.Push(t, host, "library/busybox:latest", imgtest.BusyboxImage(t))
	root := t.TempDir()
	ref := host + "/library/busybox"

	code, out, errs := runBerth(t, root, "", "pull", ref)
	if code != 0 {
		t.Fatalf("pull exit %d: %s", code, errs)
	}
	for _, want := range []string{"latest: Pulling from " + ref, ": Pull complete", "Digest: sha256:", "Status: Downloaded newer image for " + ref + ":latest", "\n" + ref + ":latest\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("pull output lacks %q:\n%s", want, out)
		}
	}
	if _, out, _ = runBerth(t, root, "", "pull", ref); !strings.Contains(out, "Already exists") || !strings.Contains(out, "Image is up to date") {
		t.Errorf("second pull output:\n%s", out)
	}
	code, out, _ = runBerth(t, root, "", "images")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[0], "REPOSITORY") || !strings.HasPrefix(lines[1], ref+" ") ||
		!strings.Contains(lines[0], "IMAGE ID") || !strings.Contains(lines[1], "latest") || !strings.Contains(lines[1], "MB") {
		t.Errorf("images = %d:\n%s", code, out)
	}
	if _, out, _ = runBerth(t, root, "", "images", "--format", "{{.Repository}}:{{.Tag}}"); out != ref+":latest\n" {
		t.Errorf("images --format = %q", out)
	}
	if _, out, _ = runBerth(t, root, "", "tag", ref, "mine:1"); out != "" {
		t.Errorf("tag printed %q", out)
	}
	if _, out, _ = runBerth(t, root, "", "images", "-q"); len(strings.Fields(out)) != 1 || len(strings.TrimSpace(out)) != 12 {
		t.Errorf("images -q = %q, want one short ID", out)
	}
	if _, out, _ = runBerth(t, root, "", "history", "mine:1"); !strings.Contains(out, "CREATED BY") || !strings.Contains(out, `CMD ["sh"]`) {
		t.Errorf("history:\n%s", out)
	}
	if _, out, _ = runBerth(t, root, "", "image", "inspect", "--format", "{{.Os}}/{{index .Config.Cmd 0}}", "mine:1"); out != "linux/sh\n" {
		t.Errorf("image inspect --format = %q", out)
	}
	archive := filepath.Join(t.TempDir(), "x.tar")
	if code, _, errs = runBerth(t, root, "", "save", "-o", archive, "mine:1"); code != 0 {
		t.Fatalf("save: %s", errs)
	}
	code, out, errs = runBerth(t, root, "", "rmi", "nosuch:1")
	if code != 1 || errs != "Error: no such image: nosuch:1\n" {
		t.Errorf("rmi nosuch:1 = %d %q %q", code, out, errs)
	}
	code, _, errs = runBerth(t, root, "", "pull", "Foo//bar")
	if code != 1 || errs != "Error: invalid reference format: \"Foo//bar\"\n" {
		t.Errorf("pull Foo//bar = %d %q", code, errs)
	}
	if code, out, _ = runBerth(t, root, "", "rmi", "mine:1"); code != 0 || out != "Untagged: mine:1\n" {
		t.Errorf("rmi mine:1 = %d %q", code, out)
	}
	if code, out, _ = runBerth(t, root, "", "image", "prune", "-a", "-f"); code != 0 || !strings.Contains(out, "Total reclaimed space: ") || !strings.Contains(out, "deleted: sha256:") {
		t.Errorf("image prune -a -f = %d\n%s", code, out)
	}
	if code, out, _ = runBerth(t, root, "", "load", "-i", archive); code != 0 || out != "Loaded image: mine:1\n" {
		t.Errorf("load = %d %q", code, out)
	}
	if code, out, _ = runBerth(t, root, "", "system", "df"); code != 0 || !strings.HasPrefix(out, "TYPE") || !strings.Contains(out, "Images          1") {
		t.Errorf("system df = %d\n%s", code, out)
	}
}
