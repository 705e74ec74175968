package logfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// pollInterval is how often Wait looks at the log where inotify is not
// available.
const pollInterval = 250 * time.Millisecond

// Watcher tells when a log may have grown or rotated. It watches the log's
// directory with inotify, so waiting costs nothing while the container is
// quiet. It is not safe for concurrent use.
type Watcher struct {
	f      *os.File // the inotify descriptor; nil: poll
	name   string
	buf    []byte
	closed bool
}

// Watch starts watching the log at path (its directory must exist). Where
// inotify is unavailable, the Watcher polls instead.
func Watch(path string) (*Watcher, error) {
	w := &Watcher{name: filepath.Base(path)}
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return w, nil
	}
	mask := uint32(unix.IN_MODIFY | unix.IN_CREATE | unix.IN_MOVED_TO | unix.IN_CLOSE_WRITE | unix.IN_ONLYDIR)
	if _, err := unix.InotifyAddWatch(fd, filepath.Dir(path), mask); err != nil {
		unix.Close(fd)
		if errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.ENOMEM) {
			return w, nil // out of watches: poll
		}
		return nil, fmt.Errorf("watch log %s: %w", path, err)
	}
	w.f = os.NewFile(uintptr(fd), "inotify")
	w.buf = make([]byte, 4096)
	return w, nil
}

// Wait blocks until the log may have changed (then returns nil) or ctx is
// done (then returns ctx.Err()). Changes made before Watch returned are
// not reported; changes since the last Wait are.
func (w *Watcher) Wait(ctx context.Context) error {
	if w.closed {
		return fmt.Errorf("watch log: %w", ErrClosed)
	}
	if w.f == nil {
		t := time.NewTimer(pollInterval)
		defer t.Stop()
		select {
		case <-t.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err := w.f.SetReadDeadline(time.Time{}); err != nil {
		return fmt.Errorf("watch log: %w", err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case <-ctx.Done():
			w.f.SetReadDeadline(time.Unix(1, 0))
		case <-stop:
		}
	})
	defer func() {
		close(stop)
		wg.Wait()
	}()
	for {
		n, err := w.f.Read(w.buf)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("watch log: %w", err)
		}
		if w.relevant(w.buf[:n]) {
			return nil
		}
	}
}

// relevant reports whether a batch of inotify events concerns the log.
func (w *Watcher) relevant(b []byte) bool {
	for len(b) >= unix.SizeofInotifyEvent {
		ev := (*unix.InotifyEvent)(unsafe.Pointer(&b[0]))
		end := unix.SizeofInotifyEvent + int(ev.Len)
		if end > len(b) {
			return true
		}
		if ev.Mask&unix.IN_Q_OVERFLOW != 0 {
			return true
		}
		name := b[unix.SizeofInotifyEvent:end]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		if isLogName(w.name, string(name)) {
			return true
		}
		b = b[end:]
	}
	return false
}

// Close stops watching. It is idempotent.
func (w *Watcher) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}
