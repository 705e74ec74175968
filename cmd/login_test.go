package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/test/imgtest"
)

func TestLoginPushPullLogout(t *testing.T) {
	b := buildBerth(t)
	cfgDir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", cfgDir)
	host := imgtest.RegistryWith(t, imgtest.BasicAuth("berth", "s3cret"))
	ref := host + "/private/bb:1"
	b.ok("tag", "bb", ref)

	if code, _, errs := b.run("", "push", ref); code != 1 || !strings.Contains(errs, "push access denied") || strings.Count(errs, "\n") != 1 {
		t.Errorf("push before login = %d %q, want one line saying access is denied", code, errs)
	}
	if code, out, errs := b.run("wrong\n", "login", "-u", "berth", "--password-stdin", host); code != 1 || out != "" || !strings.Contains(errs, "incorrect username or password") {
		t.Errorf("login with a wrong password = %d %q %q", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(cfgDir, "config.json")); err == nil {
		t.Error("a refused login wrote config.json")
	}
	if code, _, errs := b.run("", "login", "-u", "berth", host); code != 1 || !strings.Contains(errs, "non TTY") {
		t.Errorf("login without a password or a terminal = %d %q", code, errs)
	}
	if code, _, errs := b.run("", "login", "-u", "berth", "--password-stdin", host); code != 1 || !strings.Contains(errs, "no password on standard input") {
		t.Errorf("login --password-stdin with nothing on it = %d %q", code, errs)
	}
	if code, _, errs := b.run("x\n", "login", "--password-stdin", host); code != 1 || !strings.Contains(errs, "--username") {
		t.Errorf("login --password-stdin without a username = %d %q", code, errs)
	}

	if code, out, errs := b.run("s3cret\n", "login", "-u", "berth", "--password-stdin", host); code != 0 || out != "Login Succeeded\n" {
		t.Fatalf("login = %d %q %q", code, out, errs)
	}
	cfg, err := os.ReadFile(filepath.Join(cfgDir, "config.json"))
	if err != nil || !strings.Contains(string(cfg), `"`+host+`"`) {
		t.Fatalf("config.json after login: %q %v", cfg, err)
	}
	b.ok("push", ref)
	b.ok("rmi", ref)
	b.ok("pull", ref)
	if got := b.ok("run", "--rm", ref, "echo", "private"); got != "private\n" {
		t.Errorf("the image pulled with credentials ran %q", got)
	}

	if out := b.ok("logout", host); out != "Removing login credentials for "+host+"\n" {
		t.Errorf("logout printed %q", out)
	}
	if out := b.ok("logout", host); out != "Not logged in to "+host+"\n" {
		t.Errorf("a second logout printed %q", out)
	}
	b.ok("rmi", ref)
	if code, _, errs := b.run("", "pull", ref); code != 1 || !strings.Contains(errs, "pull access denied") {
		t.Errorf("pull after logout = %d %q", code, errs)
	}
	if code, _, errs := b.run("", "login", "-u", "x", "-p", "y", "Bad Host/x"); code != 1 || !strings.Contains(errs, "invalid registry server") {
		t.Errorf("login to a malformed server = %d %q", code, errs)
	}
}
