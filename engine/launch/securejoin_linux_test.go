package launch

import (
	"errors"
	"os"
	"path"
	"syscall"
	"testing"
)

func TestSecureJoin(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	for _, d := range []string{"etc", "usr/lib", "var"} {
		if err := os.MkdirAll(path.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"abs-escape": outside,                // absolute: taken inside root
		"rel-escape": "../../../../../../..", // climbs past root
		"lib":        "usr/lib",
		"etc/up":     "../var",
		"loop-a":     "loop-b",
		"loop-b":     "loop-a",
		"var/run":    "/run",
		"dangling":   "/nowhere/deeper",
	}
	for name, target := range links {
		if err := os.Symlink(target, path.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		unsafe  string
		want    string // relative to root
		wantErr error
	}{
		{"plain", "/etc/hosts", "/etc/hosts", nil},
		{"relative", "etc/hosts", "/etc/hosts", nil},
		{"dotdot above root", "/../../../etc/passwd", "/etc/passwd", nil},
		{"absolute symlink stays in root", "/abs-escape/file", outside + "/file", nil},
		{"relative symlink cannot climb out", "/rel-escape/etc/shadow", "/etc/shadow", nil},
		{"symlink to directory", "/lib/x.so", "/usr/lib/x.so", nil},
		{"symlink with dotdot", "/etc/up/log", "/var/log", nil},
		{"absolute symlink under a directory", "/var/run/secret", "/run/secret", nil},
		{"dangling symlink", "/dangling/x", "/nowhere/deeper/x", nil},
		{"missing components kept", "/new/dir/", "/new/dir", nil},
		{"root itself", "/", "", nil},
		{"symlink loop", "/loop-a/x", "", syscall.ELOOP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := secureJoin(root, tt.unsafe)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("secureJoin(%q) error = %v, want %v", tt.unsafe, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("secureJoin(%q): %v", tt.unsafe, err)
			}
			if want := root + tt.want; got != want {
				t.Errorf("secureJoin(%q) = %q, want %q", tt.unsafe, got, want)
			}
		})
	}
}
