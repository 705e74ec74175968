package test

import (
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// TestDependencyDirection checks that the engine, store and pty packages
// never depend on the interface packages or the terminal UI libraries:
// imports go ui -> engine -> {store, pty} and ui -> themes only.
func TestDependencyDirection(t *testing.T) {
	forbidden := []string{
		"github.com/berth-dev/berth/ui",
		"github.com/berth-dev/berth/themes",
		"github.com/berth-dev/berth/cmd",
		"charm.land/bubbletea",
		"charm.land/lipgloss",
		"charm.land/bubbles",
	}
	for _, pkg := range []string{
		"github.com/berth-dev/berth/engine/...",
		"github.com/berth-dev/berth/store/...",
		"github.com/berth-dev/berth/pty/...",
		"github.com/berth-dev/berth/themes/...",
	} {
		t.Run(pkg, func(t *testing.T) {
			out, err := exec.CommandContext(t.Context(), "go", "list", "-deps", "-f", "{{.ImportPath}}", pkg).CombinedOutput()
			if err != nil {
				t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
			}
			for _, dep := range strings.Fields(string(out)) {
				for _, f := range forbidden {
					if dep == f || strings.HasPrefix(dep, f+"/") {
						if strings.HasPrefix(pkg, "github.com/berth-dev/berth/themes") && f == "github.com/berth-dev/berth/themes" {
							continue
						}
						t.Errorf("%s depends on %s", pkg, dep)
					}
				}
			}
		})
	}
}

// TestPreforkInitializedFirst checks that berth's Go start-up initialises
// package prefork, which forks a run's monitor, before the packages it
// does not need: before syscall and os, and before packages such as
// ansi/parser that are ready early and sort first.
func TestPreforkInitializedFirst(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("prefork makes its own system calls only on amd64")
	}
	bin := buildBerth(t, t.TempDir())
	cmd := exec.CommandContext(t.Context(), bin, "version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("berth version: %v\n%s", err, out)
	}
	var order []string
	for line := range strings.Lines(string(out)) {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "init" {
			order = append(order, f[1])
		}
	}
	at := slices.Index(order, "github.com/berth-dev/berth/engine/spawn/prefork")
	if at < 0 {
		t.Fatalf("prefork is not initialised:\n%s", out)
	}
	for _, later := range []string{"syscall", "os", "github.com/charmbracelet/x/ansi/parser"} {
		if i := slices.Index(order, later); i >= 0 && i < at {
			t.Errorf("%s is initialised before prefork: %q", later, order[:at+1])
		}
	}
}
