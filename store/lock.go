package store

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Lock takes an exclusive, process-shared lock named name and returns the
// function that releases it. Locks are flock(2) locks on files under
// locks/, so they are released by the kernel if the holder dies. The name
// must not contain a slash.
func (s *Store) Lock(name string) (unlock func(), err error) {
	return s.lockExclusive(name)
}

// RLock takes a shared lock named name; see Lock.
func (s *Store) RLock(name string) (unlock func(), err error) {
	return s.flock(name, unix.LOCK_SH)
}

// TryLock takes the exclusive lock named name if it is free and reports
// whether it did.
func (s *Store) TryLock(name string) (unlock func(), ok bool, err error) {
	unlock, err = s.flock(name, unix.LOCK_EX|unix.LOCK_NB)
	if err == unix.EWOULDBLOCK {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return unlock, true, nil
}

func (s *Store) lockExclusive(name string) (func(), error) {
	return s.flock(name, unix.LOCK_EX)
}

func (s *Store) flock(name string, how int) (func(), error) {
	unlock, err := flockFile(filepath.Join(s.root, "locks", name+".lock"), how)
	if err != nil && err != unix.EWOULDBLOCK {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	return unlock, err
}

// LockContainer takes the exclusive lock that serializes changes to
// container id between processes and returns the function that releases
// it. The lock file lives in the container's directory, so it goes with
// the container; a container that does not exist gives ErrNotFound.
func (s *Store) LockContainer(id string) (unlock func(), err error) {
	if err := validID(id); err != nil {
		return nil, err
	}
	unlock, err = flockFile(filepath.Join(s.Container(id).Dir, "ctr.lock"), unix.LOCK_EX)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("lock container %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("lock container %s: %w", id, err)
	}
	return unlock, nil
}

// flockFile opens (creating) path and flocks it with how, retrying on
// EINTR. A lock that LOCK_NB finds taken returns unix.EWOULDBLOCK as is.
func flockFile(path string, how int) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}

// stagingBusy reports whether the staging entry name is still owned by a
// live process, which holds the lock "stage-<name>" while it writes.
func (s *Store) stagingBusy(name string) bool {
	unlock, ok, err := s.TryLock("stage-" + name)
	if err != nil || !ok {
		return true
	}
	unlock()
	os.Remove(filepath.Join(s.root, "locks", "stage-"+name+".lock"))
	return false
}

// stage creates a staging entry (a directory if mkdir, else an empty file)
// under dir, named prefix plus random characters and locked for this
// process, and returns its path and the function that releases the lock.
func (s *Store) stage(dir, prefix string, mkdir bool) (string, func(), error) {
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", nil, err
	}
	name := prefix + hex.EncodeToString(rnd[:])
	unlock, err := s.lockExclusive("stage-" + name)
	if err != nil {
		return "", nil, err
	}
	release := func() {
		os.Remove(filepath.Join(s.root, "locks", "stage-"+name+".lock"))
		unlock()
	}
	path := filepath.Join(dir, name)
	if mkdir {
		err = os.Mkdir(path, 0o700)
	} else {
		var f *os.File
		f, err = os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			err = f.Close()
		}
	}
	if err != nil {
		release()
		return "", nil, err
	}
	return path, release, nil
}
