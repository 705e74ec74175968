package store

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// RunRoot holds what berth keeps only while the host runs: the sealed
// copies monitors run from, markers of repairs since boot, and the
// stores' runtime directories (RunStores).
const RunRoot = "/run/berth"

// RunStores holds each store's runtime directory, and in it each
// container's (ContainerPaths.Run): its lock, its attach socket and the
// hosts, hostname and resolv.conf files remade for each of its starts.
// Files come and go there with every container start and must not
// outlive a boot, so it is a tmpfs: where /run is not one, berth mounts
// one there (EnsureRunStores).
const RunStores = RunRoot + "/stores"

// EnsureRunStores makes RunStores a tmpfs, once per process: it mounts
// one unless RunStores already is one. Failing that (without the
// privilege to mount, say), RunStores stays the directory it is, which
// works as well but for the files it keeps across a reboot. Open calls
// it; a process that makes mount namespaces before it opens a store (a
// monitor) calls it first, lest they miss the mount.
var EnsureRunStores = sync.OnceValue(mountRunStores)

func mountRunStores() error {
	if isTmpfs(RunStores) {
		return nil
	}
	if err := os.MkdirAll(RunStores, 0o700); err != nil {
		return err
	}
	// Two processes that both found no tmpfs must not stack two.
	unlock, err := flockFile(RunStores+".lock", unix.LOCK_EX)
	if err != nil {
		return err
	}
	defer unlock()
	if isTmpfs(RunStores) {
		return nil
	}
	return unix.Mount("berth", RunStores, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=0700")
}

func isTmpfs(path string) bool {
	var st unix.Statfs_t
	return unix.Statfs(path, &st) == nil && st.Type == unix.TMPFS_MAGIC
}

// runDirName names the runtime directory of the store at root, a path
// without symbolic links: every path to one store (through a link, say)
// must find the same locks.
func runDirName(root string) string {
	h := sha256.Sum256([]byte(root))
	return hex.EncodeToString(h[:8])
}

// RunName names the store's runtime directory; it also names what else
// berth keeps for the store while the host runs.
func (s *Store) RunName() string { return filepath.Base(s.run) }

// runRootFile, in a store's runtime directory, holds the store's root
// (without symbolic links), by which CollectRunDirs tells a store that is
// gone.
const runRootFile = "root"

// ensureContainerRun makes the runtime directory of container p, and the
// store's with it.
func (s *Store) ensureContainerRun(p ContainerPaths) error {
	err := os.Mkdir(p.Run, 0o700)
	if errors.Is(err, os.ErrNotExist) {
		if err = os.MkdirAll(s.run, 0o700); err == nil {
			err = os.WriteFile(filepath.Join(s.run, runRootFile), []byte(s.canon+"\n"), 0o600)
		}
		if err == nil {
			err = os.Mkdir(p.Run, 0o700)
		}
	}
	if err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create runtime directory of container %s: %w", filepath.Base(p.Run), err)
	}
	return nil
}

// CollectRunDirs removes the runtime directories of containers that are
// gone from the store (a container's goes with it, unless the process
// removing it dies first), and those of stores whose root is gone.
func (s *Store) CollectRunDirs() error {
	var errs []error
	if ents, err := os.ReadDir(s.run); err == nil {
		for _, e := range ents {
			id := e.Name()
			if !isHex64(id) {
				continue
			}
			if _, err := os.Lstat(s.Container(id).Dir); errors.Is(err, os.ErrNotExist) {
				errs = append(errs, os.RemoveAll(filepath.Join(s.run, id)))
			}
		}
	}
	ents, err := os.ReadDir(RunStores)
	if err != nil {
		return errors.Join(errs...)
	}
	for _, e := range ents {
		dir := filepath.Join(RunStores, e.Name())
		b, err := os.ReadFile(filepath.Join(dir, runRootFile))
		if err != nil {
			continue
		}
		if _, err := os.Stat(strings.TrimSuffix(string(b), "\n")); errors.Is(err, os.ErrNotExist) {
			errs = append(errs, os.RemoveAll(dir))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("collect runtime directories: %w", err)
	}
	return nil
}
