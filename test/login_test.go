package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/test/imgtest"
)

// TestLoginPrompts logs in at a terminal, as a user does: berth asks for
// the username, then for the password without echoing it.
func TestLoginPrompts(t *testing.T) {
	dir := t.TempDir()
	bin := buildBerth(t, dir)
	cfg := filepath.Join(dir, "docker")
	t.Setenv("DOCKER_CONFIG", cfg)
	host := imgtest.RegistryWith(t, imgtest.BasicAuth("berth", "pa55-word"))

	term := startTerminal(t, bin, filepath.Join(dir, "root"), 24, 80, "login", host)
	term.expect(`Username: `)
	term.send("berth\r")
	term.expect(`Password: `)
	term.send("pa55-word\r")
	term.expect(`Login Succeeded`)
	if code := term.wait(); code != 0 {
		t.Fatalf("login exited %d", code)
	}
	if strings.Contains(term.output(), "pa55-word") {
		t.Errorf("the password was echoed:\n%q", term.output())
	}
	b, err := os.ReadFile(filepath.Join(cfg, "config.json"))
	if err != nil || !strings.Contains(string(b), host) {
		t.Errorf("config.json after the login: %q %v", b, err)
	}

	// A wrong password is refused.
	term = startTerminal(t, bin, filepath.Join(dir, "root"), 24, 80, "login", "-u", "berth", host)
	term.expect(`Password: `)
	term.send("nope\r")
	term.expect(`incorrect username or password`)
	if code := term.wait(); code != 1 {
		t.Fatalf("login with a wrong password exited %d, want 1", code)
	}
}

// output returns everything the program wrote so far.
func (s *terminal) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}
