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

func TestSystemPruneFilters(t *testing.T) {
	b := buildBerth(t)
	gone := strings.TrimSpace(b.ok("create", "--network", "none", "--label", "keep=no", "bb"))
	kept := strings.TrimSpace(b.ok("create", "--network", "none", "bb"))
	b.ok("network", "create", "--label", "keep=no", "gonenet")
	b.ok("network", "create", "keptnet")
	goneVol := strings.TrimSpace(b.ok("volume", "create", "--label", "keep=no"))
	keptVol := strings.TrimSpace(b.ok("volume", "create"))
	rootfs := t.TempDir()
	if err := os.MkdirAll(filepath.Join(rootfs, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	b.ok("import", "-c", "LABEL keep=no", rootfs, "goneimg:1")
	b.ok("import", rootfs, "keptimg:1")
	// The first step's image is build cache; the second's is built:1.
	if err := os.WriteFile(filepath.Join(rootfs, "Dockerfile"), []byte("FROM bb\nENV A=1\nENV B=2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b.ok("build", "-q", "-t", "built:1", rootfs)
	cached := func() int {
		return strings.Count(b.ok("images", "-aq"), "\n") - strings.Count(b.ok("images", "-q"), "\n")
	}
	if n := cached(); n != 1 {
		t.Fatalf("build left %d build cache images, want 1", n)
	}
	// left reports which of the objects made above are still there.
	left := func() string {
		var out []string
		ids := b.ok("ps", "-aq", "--no-trunc")
		nets := b.ok("network", "ls")
		vols := b.ok("volume", "ls", "-q")
		imgs := b.ok("images", "--format", "{{.Repository}}")
		for _, o := range []struct {
			name, list string
		}{{gone, ids}, {kept, ids}, {"gonenet", nets}, {"keptnet", nets}, {goneVol, vols}, {keptVol, vols}, {"goneimg", imgs}, {"keptimg", imgs}} {
			if strings.Contains(o.list, o.name) {
				out = append(out, o.name)
			}
		}
		return strings.Join(out, " ")
	}
	all := strings.Join([]string{gone, kept, "gonenet", "keptnet", goneVol, keptVol, "goneimg", "keptimg"}, " ")

	for _, args := range [][]string{
		{"system", "prune", "-af", "--volumes", "--filter", "until="},
		{"system", "prune", "-af", "--volumes", "--filter", "foo=bar"},
		{"system", "prune", "-af", "--volumes", "--filter", "label"},
		{"system", "prune", "-af", "--volumes", "--filter", "label=keep=no", "--filter", "until=1h"},
		{"network", "prune", "-f", "--filter", "until="},
		{"network", "prune", "-f", "--filter", "foo=bar"},
		{"network", "prune", "-f", "--filter", "label"},
		{"volume", "prune", "-f", "--filter", "until=1h"},
		{"volume", "prune", "-f", "--filter", "label"},
	} {
		bad := args[len(args)-1]
		code, out, errs := b.run("", args...)
		if code != 1 || out != "" || !strings.HasPrefix(errs, "Error: invalid filter '"+bad+"'") || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and one line naming the filter", args, code, out, errs)
		}
	}
	if got := left(); got != all {
		t.Fatalf("prunes with bad filters removed something: left %s, want %s", got, all)
	}

	if code, out, _ := b.run("n\n", "system", "prune", "--filter", "label=keep=no"); code != 0 || !strings.Contains(out, "filtered with:\n  - label=keep=no\n") {
		t.Errorf("system prune --filter answered no = %d %q; want the prompt to list the filter", code, out)
	}
	b.ok("system", "prune", "-af", "--filter", "until=1h")
	b.ok("network", "prune", "-f", "--filter", "until=1h")
	if got := left(); got != all || cached() != 1 {
		t.Errorf("prunes with until=1h removed things made just now: left %s and %d build cache images, want %s and 1", got, cached(), all)
	}

	b.ok("network", "prune", "-f", "--filter", "label!=keep")
	if nets := b.ok("network", "ls"); !strings.Contains(nets, "gonenet") || strings.Contains(nets, "keptnet") {
		t.Errorf("network prune label!=keep left\n%s\nwant gonenet and not keptnet", nets)
	}
	b.ok("network", "create", "keptnet")
	out := b.ok("system", "prune", "-af", "--volumes", "--filter", "label=keep=no")
	for _, want := range []string{"Deleted Containers:\n" + gone, "Deleted Networks:\ngonenet", "Deleted Volumes:\n" + goneVol, "Deleted Images:\ndeleted: sha256:"} {
		if !strings.Contains(out, want) {
			t.Errorf("system prune --filter label=keep=no output lacks %q:\n%s", want, out)
		}
	}
	if got, want := left(), strings.Join([]string{kept, "keptnet", keptVol, "keptimg"}, " "); got != want {
		t.Errorf("system prune --filter label=keep=no left %s, want %s", got, want)
	}
	labelled := strings.TrimSpace(b.ok("volume", "create", "--label", "v=1"))
	b.ok("volume", "prune", "-f", "--filter", "label=v=1")
	if vols := b.ok("volume", "ls", "-q"); strings.Contains(vols, labelled) || !strings.Contains(vols, keptVol) {
		t.Errorf("volume prune --filter label=v=1 left\n%s\nwant %s and not %s", vols, keptVol, labelled)
	}
	// Docker's build cache prune ignores label filters: the cache goes,
	// the image built on it stays.
	if n := cached(); n != 0 || !strings.Contains(b.ok("images"), "built") {
		t.Errorf("system prune --filter label=keep=no left %d build cache images and images\n%s\nwant none and built:1", n, b.ok("images"))
	}
}
