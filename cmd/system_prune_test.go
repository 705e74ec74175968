package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSystemPrune(t *testing.T) {
	b := buildBerth(t)
	stopped := strings.TrimSpace(b.ok("create", "-v", "/anon", "--network", "none", "bb", "true"))
	running := strings.TrimSpace(b.ok("run", "-d", "--network", "none", "bb", "sleep", "300"))
	t.Cleanup(func() { b.run("", "rm", "-f", running) })
	b.ok("network", "create", "unused")
	b.ok("volume", "create", "named")
	var docs []map[string]any
	anon := ""
	if err := json.Unmarshal([]byte(b.ok("inspect", stopped)), &docs); err == nil && len(docs) == 1 {
		anon = docs[0]["Mounts"].([]any)[0].(map[string]any)["Name"].(string)
	}
	if anon == "" {
		t.Fatal("no anonymous volume on the created container")
	}

	if code, out, _ := b.run("n\n", "system", "prune"); code != 0 || !strings.Contains(out, "Are you sure") {
		t.Fatalf("system prune answered no = %d %q", code, out)
	}
	if !strings.Contains(b.ok("ps", "-aq", "--no-trunc"), stopped) {
		t.Fatal("system prune removed a container though the answer was no")
	}

	out := b.ok("system", "prune", "-f", "--volumes")
	for _, want := range []string{"Deleted Containers:\n" + stopped, "Deleted Networks:\nunused", "Deleted Volumes:\n" + anon, "Total reclaimed space:"} {
		if !strings.Contains(out, want) {
			t.Errorf("system prune output lacks %q:\n%s", want, out)
		}
	}
	if ids := b.ok("ps", "-aq", "--no-trunc"); strings.Contains(ids, stopped) || !strings.Contains(ids, running) {
		t.Errorf("after system prune, ps -a = %q: want the running container only", ids)
	}
	if vols := b.ok("volume", "ls", "-q"); !strings.Contains(vols, "named") || strings.Contains(vols, anon) {
		t.Errorf("after system prune --volumes, volume ls = %q: want the named volume kept", vols)
	}
	if b.ok("images", "-q") == "" {
		t.Error("system prune without -a removed an image that is not dangling")
	}
	b.ok("rm", "-f", running)
	b.ok("system", "prune", "-af")
	if imgs := b.ok("images", "-q"); imgs != "" {
		t.Errorf("system prune -a left images: %q", imgs)
	}
}

func TestPruneFilters(t *testing.T) {
	b := buildBerth(t)
	kept := strings.TrimSpace(b.ok("create", "--network", "none", "--label", "keep=yes", "bb"))
	old := strings.TrimSpace(b.ok("create", "--network", "none", "bb"))
	time.Sleep(1100 * time.Millisecond)
	cut := time.Now().Format(time.RFC3339Nano)
	young := strings.TrimSpace(b.ok("create", "--network", "none", "bb"))
	t.Cleanup(func() { b.run("", "rm", kept, old, young) })

	out := b.ok("container", "prune", "-f", "--filter", "until="+cut, "--filter", "label!=keep")
	ids := b.ok("ps", "-aq", "--no-trunc")
	if !strings.Contains(out, old) || strings.Contains(ids, old) || !strings.Contains(ids, kept) || !strings.Contains(ids, young) {
		t.Errorf("container prune until= label!= removed\n%s\nand left\n%s\nwant only %s removed", out, ids, old)
	}
	b.ok("container", "prune", "-f", "--filter", "label=keep=yes")
	if ids := b.ok("ps", "-aq", "--no-trunc"); strings.Contains(ids, kept) || !strings.Contains(ids, young) {
		t.Errorf("container prune label=keep=yes left %q, want only %s", ids, young)
	}

	rootfs := t.TempDir()
	if err := os.MkdirAll(filepath.Join(rootfs, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	b.ok("import", "-c", "LABEL purpose=tmp", rootfs, "tmp:1")
	b.ok("import", rootfs, "other:1")
	b.ok("image", "prune", "-a", "-f", "--filter", "label=purpose=tmp", "--filter", "until=1h")
	if imgs := b.ok("images", "--format", "{{.Repository}}"); !strings.Contains(imgs, "tmp") {
		t.Errorf("image prune until=1h removed an image made just now: %q", imgs)
	}
	b.ok("image", "prune", "-a", "-f", "--filter", "label=purpose=tmp")
	imgs := b.ok("images", "--format", "{{.Repository}}")
	if strings.Contains(imgs, "tmp") || !strings.Contains(imgs, "other") || !strings.Contains(imgs, "bb") {
		t.Errorf("image prune -a label=purpose=tmp left %q, want other and bb", imgs)
	}

	for _, bad := range []string{"bogus=1", "until=notatime", "label="} {
		for _, cmd := range [][]string{{"container", "prune", "-f"}, {"image", "prune", "-f"}} {
			code, _, errs := b.run("", append(cmd, "--filter", bad)...)
			if code == 0 || !strings.Contains(errs, "invalid filter '"+bad+"'") || strings.Count(errs, "\n") != 1 {
				t.Errorf("%v --filter %s: exit %d, %q; want one line naming the filter", cmd, bad, code, errs)
			}
		}
	}
}
