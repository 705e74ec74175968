package launch

import (
	"errors"
	"os"
	"path"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

func TestLookCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, mode os.FileMode) {
		if err := os.WriteFile(path.Join(dir, name), []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("tool", 0o755)
	write("data", 0o644)
	if err := os.Mkdir(path.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=/nonexistent:" + dir}
	tests := []struct {
		name     string
		cmd      string
		env      []string
		want     string
		wantCode int
	}{
		{"found in PATH", "tool", env, path.Join(dir, "tool"), 0},
		{"not in PATH", "missing", env, "", 127},
		{"not executable", "data", env, "", 126},
		{"directory", "sub", env, "", 126},
		{"path used as is", path.Join(dir, "tool"), nil, path.Join(dir, "tool"), 0},
		{"missing path", path.Join(dir, "nope"), nil, "", 127},
		{"empty name", "", env, "", 127},
		{"empty PATH searches nothing", "tool", []string{"PATH="}, "", 127},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LookCommand(tt.cmd, tt.env)
			if tt.wantCode != 0 {
				var ee *ExitError
				if !errors.As(err, &ee) || ee.Code != tt.wantCode {
					t.Fatalf("LookCommand(%q) = %q, %v; want exit code %d", tt.cmd, got, err, tt.wantCode)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("LookCommand(%q) = %q, %v; want %q", tt.cmd, got, err, tt.want)
			}
		})
	}
}

func TestWithDefaultEnv(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want []string
	}{
		{"adds both", []string{"A=1"}, []string{"A=1", DefaultPath, "HOME=/home/u"}},
		{"keeps the image's", []string{"PATH=/x", "HOME=/h"}, []string{"PATH=/x", "HOME=/h"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := WithDefaultEnv(tt.env, "/home/u"); !slices.Equal(got, tt.want) {
				t.Errorf("WithDefaultEnv(%q) = %q, want %q", tt.env, got, tt.want)
			}
		})
	}
}

func TestTmpfsOptions(t *testing.T) {
	data, flags := tmpfsOptions("size=64m,ro,noexec,mode=1777,exec,nosuid")
	if data != "size=64m,mode=1777" {
		t.Errorf("data = %q, want size=64m,mode=1777", data)
	}
	if want := uintptr(unix.MS_RDONLY | unix.MS_NOEXEC | unix.MS_NOSUID); flags != want {
		t.Errorf("flags = %#x, want %#x", flags, want)
	}
}

func TestAddGroups(t *testing.T) {
	u := User{UID: 1000, GID: 100, Groups: []int{20}}
	if err := AddGroups(&u, []string{"12345", "100", "20", "root"}); err != nil {
		t.Fatalf("AddGroups: %v", err)
	}
	if want := []int{0, 20, 12345}; !slices.Equal(u.Groups, want) {
		t.Errorf("groups = %v, want %v: the primary group and duplicates left out", u.Groups, want)
	}
	if err := AddGroups(&u, []string{"no-such-group-here"}); err == nil {
		t.Error("an unknown group name was taken")
	}
}
