package engine

import (
	"fmt"
	"os"
	"testing"
)

// hostNetNS skips t unless it can create namespaces, and returns the
// process's network namespace.
func hostNetNS(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("creating namespaces needs root")
	}
	ns, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

func TestLaunchThreadLeavesTheProcessAlone(t *testing.T) {
	hostNet := hostNetNS(t)
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

// The launch thread makes the network namespace itself when the
// namespace's own thread has not begun to, and is in it.
func TestLaunchThreadMakesTheNetworkNamespaceItNeeds(t *testing.T) {
	hostNet := hostNetNS(t)
	th := &launchThread{netMade: make(chan struct{})}
	type result struct {
		made, own string
		err       error
	}
	r := onThrowawayThread(func() result {
		ns, err := th.launchNetNS()
		if err != nil {
			return result{err: err}
		}
		made, _ := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", ns.Fd()))
		own, _ := os.Readlink("/proc/thread-self/ns/net")
		return result{made: made, own: own}
	})
	if r.err != nil {
		t.Fatal(r.err)
	}
	defer th.net.Close()
	if r.made == hostNet || r.made != r.own {
		t.Errorf("namespace made %q, the launch thread's %q, the host's %q: want the launch thread in a new one", r.made, r.own, hostNet)
	}
	if ns, err := th.netNS(); err != nil || ns != th.net {
		t.Errorf("netNS after the launch thread made it = %v, %v", ns, err)
	}
}
