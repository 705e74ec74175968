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
// it. The lock file lives in the container's runtime directory, which it
// makes; a container that does not exist, or is removed while the lock is
// awaited, gives ErrNotFound.
func (s *Store) LockContainer(id string) (unlock func(), err error) {
	if err := validID(id); err != nil {
		return nil, err
	}
	p := s.Container(id)
	gone := func() bool {
		_, err := os.Lstat(p.Dir)
		return errors.Is(err, os.ErrNotExist)
	}
	if gone() {
		return nil, fmt.Errorf("lock container %s: %w", id, ErrNotFound)
	}
	if err := s.ensureContainerRun(p); err != nil {
		return nil, fmt.Errorf("lock container %s: %w", id, err)
	}
	unlock, err = flockFile(p.Lock, unix.LOCK_EX)
	if errors.Is(err, os.ErrNotExist) && gone() {
		return nil, fmt.Errorf("lock container %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("lock container %s: %w", id, err)
	}
	if gone() {
		// Its remover deleted the runtime directory, or is about to.
		os.RemoveAll(p.Run)
		unlock()
		return nil, fmt.Errorf("lock container %s: %w", id, ErrNotFound)
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

// stagingName returns prefix plus random characters.
func stagingName(prefix string) (string, error) {
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", err
	}
	return prefix + hex.EncodeToString(rnd[:]), nil
}

// lockEntry flocks f exclusively, retrying on EINTR.
func lockEntry(f *os.File) error {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if err != unix.EINTR {
			return err
		}
	}
}

// stagingBusy reports whether the staging entry at path is still owned by
// a live process, which holds a flock on the entry itself while it writes.
func stagingBusy(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return !errors.Is(err, os.ErrNotExist)
	}
	defer f.Close()
	return unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil
}

// stage creates a staging entry (a directory if mkdir, else an empty file)
// under dir, named prefix plus random characters and flocked by this
// process, and returns its path and the function that releases the lock.
// The lock is on the entry itself, which costs no lock file of its own
// (creating and deleting files is much of what a short container's start
// costs).
func (s *Store) stage(dir, prefix string, mkdir bool) (string, func(), error) {
	name, err := stagingName(prefix)
	if err != nil {
		return "", nil, err
	}
	path := filepath.Join(dir, name)
	// Repair removes the entries no process holds, under the repair lock
	// taken exclusively: taken shared here, it keeps the repair away from
	// the moment between the entry's creation and its lock.
	unlockRepair, err := s.flock("repair", unix.LOCK_SH)
	if err != nil {
		return "", nil, err
	}
	defer unlockRepair()
	var f *os.File
	if mkdir {
		if err = os.Mkdir(path, 0o700); err == nil {
			f, err = os.Open(path)
			if err != nil {
				os.Remove(path)
			}
		}
	} else {
		f, err = os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	}
	if err != nil {
		return "", nil, err
	}
	if err := lockEntry(f); err != nil {
		f.Close()
		os.Remove(path)
		return "", nil, err
	}
	return path, func() { f.Close() }, nil
}
