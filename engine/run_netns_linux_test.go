package engine

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestNetnsThread(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("creating a network namespace needs root")
	}
	host, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	th := newNetnsThread()
	defer th.close()
	var thread string
	var out []byte
	err = th.run(func() error {
		var err error
		if thread, err = os.Readlink("/proc/thread-self/ns/net"); err != nil {
			return err
		}
		// A process started from the thread is in its namespace.
		out, err = exec.Command("readlink", "/proc/self/ns/net").Output()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if thread == host {
		t.Errorf("thread's network namespace = %s, the host's; want a new one", thread)
	}
	if child := strings.TrimSpace(string(out)); child != thread {
		t.Errorf("child's network namespace = %s, want the thread's %s", child, thread)
	}
	if now, _ := os.Readlink("/proc/self/ns/net"); now != host {
		t.Errorf("process's network namespace after run = %s, want the host's %s", now, host)
	}
}
