package engine

import "golang.org/x/sys/unix"

// netnsThread is an OS thread of the monitor that has entered a new,
// empty network namespace, from which the container's init is started:
// the init inherits the namespace without CLONE_NEWNET. Creating a
// network namespace costs about half a millisecond (the kernel sets up
// every per-namespace subsystem); made on this thread, it overlaps with
// the monitor's creation of the container's cgroup instead of lengthening
// the init's clone.
//
// The thread lives until close: a process started from it gets its
// parent-death signal when this thread, not the monitor, ends.
type netnsThread struct {
	ready chan error
	jobs  chan func() error
	done  chan error
}

// newNetnsThread starts the thread and has it enter a new network
// namespace.
func newNetnsThread() *netnsThread {
	t := &netnsThread{ready: make(chan error, 1), jobs: make(chan func() error), done: make(chan error)}
	// The thread, in a namespace of its own, ends when the function does
	// instead of going back to the scheduler, and is never the main
	// thread, which the runtime cannot end.
	go onThrowawayThread(func() error {
		err := unix.Unshare(unix.CLONE_NEWNET)
		t.ready <- err
		if err != nil {
			return err
		}
		for f := range t.jobs {
			t.done <- f()
		}
		return nil
	})
	return t
}

// run runs f on the thread once it is in its new namespace, and returns
// f's error or the namespace's creation error.
func (t *netnsThread) run(f func() error) error {
	if err := <-t.ready; err != nil {
		t.ready <- err
		return err
	}
	t.ready <- nil
	t.jobs <- f
	return <-t.done
}

// close ends the thread once processes started from it have exited.
func (t *netnsThread) close() {
	close(t.jobs)
}
