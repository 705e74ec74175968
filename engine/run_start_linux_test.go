package engine

import (
	"fmt"
	"os"
	"testing"
)

func TestLaunchThreadLeavesTheProcessAlone(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("creating namespaces needs root")
	}
	hostNet, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	hostMnt, _ := os.Readlink("/proc/self/ns/mnt")
	th := newLaunchThread(true)
	defer th.end()
	ns, err := th.netNS()
	if err != nil {
		t.Fatal(err)
	}
	made, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", ns.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	if made == hostNet || len(made) < 5 || made[:4] != "net:" {
		t.Errorf("the thread's network namespace = %q, want one other than the host's %s", made, hostNet)
	}
	if now, _ := os.Readlink("/proc/self/ns/net"); now != hostNet {
		t.Errorf("process's network namespace = %s, want the host's %s", now, hostNet)
	}
	if now, _ := os.Readlink("/proc/self/ns/mnt"); now != hostMnt {
		t.Errorf("process's mount namespace = %s, want the host's %s", now, hostMnt)
	}
}

func TestLaunchThreadWithoutNetworkNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("creating namespaces needs root")
	}
	th := newLaunchThread(false)
	defer th.end()
	if ns, err := th.netNS(); err == nil {
		t.Errorf("netNS of a thread made for the host's network = %v, want an error", ns)
	}
}
