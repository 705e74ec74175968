package cmd

import (
	"encoding/json"
	"strings"
	"testing"
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
