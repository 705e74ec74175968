package engine

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// netnsResult is a network namespace made by startNetns.
type netnsResult struct {
	f   *os.File
	err error
}

// startNetns starts making a new, empty network namespace for a container
// and returns where it arrives, open. Creating one costs about half a
// millisecond (the kernel sets up every per-namespace subsystem); made on
// a thread of its own, it overlaps with the rest of the start. The thread
// ends once the namespace is open, and the thread that starts the
// container's process joins the namespace by its descriptor.
func startNetns() <-chan netnsResult {
	ch := make(chan netnsResult, 1)
	go func() {
		ch <- onThrowawayThread(func() netnsResult {
			if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
				return netnsResult{err: fmt.Errorf("create network namespace: %w", err)}
			}
			f, err := os.Open("/proc/thread-self/ns/net")
			if err != nil {
				return netnsResult{err: fmt.Errorf("open network namespace: %w", err)}
			}
			return netnsResult{f: f}
		})
	}()
	return ch
}
