package store

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
)

// DefaultRoot is where the store lives when no root is given.
const DefaultRoot = "/var/lib/berth"

// Store is an open berth root directory. Its methods are safe for use by
// several goroutines and several processes at once.
type Store struct {
	root string
	// run is the store's runtime directory, under RunStores, named
	// after canon, the root without symbolic links.
	run, canon string
	log        *slog.Logger
}

// Option configures Open.
type Option func(*options)

type options struct {
	log      *slog.Logger
	noRepair bool
}

func makeOptions(opts []Option) options {
	o := options{log: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithLogger sets the logger the store reports repairs to.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.log = l }
}

// WithoutRepair makes Open skip its repair. It is for a process started by
// one that has just opened the store, such as a container's monitor, on
// whose start-up the repair would only cost time.
func WithoutRepair() Option {
	return func(o *options) { o.noRepair = true }
}

// WriteOption configures one write of the store.
type WriteOption func(*writeOptions)

type writeOptions struct {
	noSync bool
}

func makeWriteOptions(opts []WriteOption) writeOptions {
	var o writeOptions
	for _, f := range opts {
		f(&o)
	}
	return o
}

// NoSync makes a write skip its fsyncs. The write stays atomic for a
// killed process (it is staged and renamed into place, so a kill -9 at
// any point leaves the previous state or the new one), but a power loss
// may lose it, which Open then repairs. It is meant for the records of
// containers removed when they exit (run --rm), which a power loss ends
// anyway; each fsync costs a container start about half a millisecond.
func NoSync() WriteOption {
	return func(o *writeOptions) { o.noSync = true }
}

var layout = []string{
	"blobs/sha256", "images", "layers", "containers/.names", "volumes", "locks", "tmp",
}

// Open opens the store at root, creating it if needed, and repairs what an
// interrupted process left behind: staged temporary files and directories
// are removed, containers without a complete config are removed.
func Open(root string, opts ...Option) (*Store, error) {
	o := makeOptions(opts)
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", root, err)
	}
	for _, d := range layout {
		if err := os.MkdirAll(filepath.Join(abs, d), 0o700); err != nil {
			return nil, fmt.Errorf("open store %s: %w", abs, err)
		}
	}
	canon, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", abs, err)
	}
	if err := EnsureRunStores(); err != nil {
		o.log.Warn("mount tmpfs on "+RunStores, "err", err)
	}
	s := &Store{root: abs, run: filepath.Join(RunStores, runDirName(canon)), canon: canon, log: o.log}
	if o.noRepair {
		return s, nil
	}
	if err := s.repair(); err != nil {
		return nil, fmt.Errorf("open store %s: %w", abs, err)
	}
	return s, nil
}

// Root returns the absolute path of the store.
func (s *Store) Root() string { return s.root }

// repair removes staged files left by killed processes. Staging lives in
// tmp/ (blobs, records) and layers/.tmp-* (layers being unpacked). A
// process holding the staging lock is still writing; Open only clears
// entries whose owner is gone, which the per-entry flock tells.
func (s *Store) repair() error {
	unlock, err := s.lockExclusive("repair")
	if err != nil {
		return err
	}
	defer unlock()
	for _, dir := range []string{filepath.Join(s.root, "tmp"), filepath.Join(s.root, "layers")} {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range ents {
			name := e.Name()
			if dir == filepath.Join(s.root, "layers") && !isStaging(name) {
				continue
			}
			if stagingBusy(filepath.Join(dir, name)) {
				continue
			}
			s.log.Info("remove staged leftover", "path", filepath.Join(dir, name))
			if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
				return err
			}
		}
	}
	return nil
}

func isStaging(name string) bool { return len(name) > 5 && name[:5] == ".tmp-" }

// writeJSON writes v as indented JSON to path atomically; see writeFile.
func (s *Store) writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return s.writeFile(path, append(b, '\n'))
}

// writeFile writes b to path atomically: a locked staging file in tmp/,
// fsync, rename over path, fsync of path's directory. NoSync skips the
// fsyncs.
func (s *Store) writeFile(path string, b []byte, opts ...WriteOption) error {
	o := makeWriteOptions(opts)
	tmp, release, err := s.stage(filepath.Join(s.root, "tmp"), ".tmp-f-", false)
	if err != nil {
		return err
	}
	defer release()
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if _, err = f.Write(b); err == nil && !o.noSync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if o.noSync {
		return nil
	}
	return syncDir(filepath.Dir(path))
}

// writeJSONPlain writes v to path inside a directory that is itself still
// staged, where atomicity comes from renaming the directory.
func writeJSONPlain(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// removeAll removes path after first renaming it into tmp/, so that a
// crash halfway leaves no partly removed entry under its real name; Open
// clears what is left in tmp/.
func (s *Store) removeAll(path string) error {
	remove, err := s.detach(path)
	if err != nil {
		return err
	}
	return remove()
}

// detach renames path into tmp/ as a staging entry, locked as stage
// locks its entries, and returns the function that removes it there.
// Until that runs (or if the process dies first) the entry waits in tmp/,
// which Open clears once no process holds its lock. A missing path gives
// a remove that does nothing.
func (s *Store) detach(path string) (remove func() error, err error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return func() error { return nil }, nil
	}
	if err != nil {
		return nil, err
	}
	name, err := stagingName(".tmp-rm-")
	if err == nil {
		err = lockEntry(f)
	}
	gone := filepath.Join(s.root, "tmp", name)
	if err == nil {
		err = os.Rename(path, gone)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return func() error {
		defer f.Close()
		return os.RemoveAll(gone)
	}, nil
}
