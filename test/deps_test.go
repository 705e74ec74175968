package test

import (
	"os/exec"
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
