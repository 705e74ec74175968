package engine

import (
	"fmt"
	"os"
	"testing"
)

func TestStartNetns(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("creating a network namespace needs root")
	}
	host, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	r := <-startNetns()
	if r.err != nil {
		t.Fatal(r.err)
	}
	defer r.f.Close()
	made, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", r.f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	if made == host || len(made) < 5 || made[:4] != "net:" {
		t.Errorf("made namespace = %q, want a network namespace other than the host's %s", made, host)
	}
	if now, _ := os.Readlink("/proc/self/ns/net"); now != host {
		t.Errorf("process's network namespace after startNetns = %s, want the host's %s", now, host)
	}
}
