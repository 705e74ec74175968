package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// Layer is the record of an unpacked layer, shared by every image whose
// layer stack has the same chain ID.
type Layer struct {
	ChainID Digest    `json:"chainID"`
	DiffID  Digest    `json:"diffID"`
	Parent  Digest    `json:"parent,omitempty"`
	Size    int64     `json:"size"`
	Created time.Time `json:"created"`
}

func (s *Store) layerPath(chainID Digest) string {
	return filepath.Join(s.root, "layers", chainID.Hex())
}

// LayerDir returns the directory holding the unpacked content of the layer
// chainID, usable as an overlayfs lower directory.
func (s *Store) LayerDir(chainID Digest) string {
	return filepath.Join(s.layerPath(chainID), "diff")
}

// Layer returns the record of the layer chainID, or ErrNotFound.
func (s *Store) Layer(chainID Digest) (Layer, error) {
	var l Layer
	if err := chainID.Validate(); err != nil {
		return l, err
	}
	err := readJSON(filepath.Join(s.layerPath(chainID), "layer.json"), &l)
	if errors.Is(err, os.ErrNotExist) {
		return l, fmt.Errorf("layer %s: %w", chainID, ErrNotFound)
	}
	return l, err
}

// HasLayer reports whether the layer chainID is unpacked.
func (s *Store) HasLayer(chainID Digest) bool {
	_, err := s.Layer(chainID)
	return err == nil
}

// Layers lists every unpacked layer.
func (s *Store) Layers() ([]Layer, error) {
	ents, err := os.ReadDir(filepath.Join(s.root, "layers"))
	if err != nil {
		return nil, fmt.Errorf("list layers: %w", err)
	}
	var out []Layer
	for _, e := range ents {
		if !isHex64(e.Name()) {
			continue
		}
		l, err := s.Layer(Digest("sha256:" + e.Name()))
		if err != nil {
			continue
		}
		out = append(out, l)
	}
	return out, nil
}

// DeleteLayer removes the unpacked layer chainID. Removing a missing layer
// succeeds. The caller checks that no image or container still uses it.
func (s *Store) DeleteLayer(chainID Digest) error {
	if err := chainID.Validate(); err != nil {
		return err
	}
	if err := s.removeAll(s.layerPath(chainID)); err != nil {
		return fmt.Errorf("delete layer %s: %w", chainID, err)
	}
	return nil
}

// LayerStage is a layer being unpacked. Unpack into Dir, then Commit.
type LayerStage struct {
	s       *Store
	path    string
	release func()
	done    bool
}

// NewLayer starts a staged layer. The caller must Close it.
func (s *Store) NewLayer() (*LayerStage, error) {
	path, release, err := s.stage(filepath.Join(s.root, "layers"), ".tmp-", true)
	if err != nil {
		return nil, fmt.Errorf("stage layer: %w", err)
	}
	if err := os.Mkdir(filepath.Join(path, "diff"), 0o755); err != nil {
		os.RemoveAll(path)
		release()
		return nil, fmt.Errorf("stage layer: %w", err)
	}
	return &LayerStage{s: s, path: path, release: release}, nil
}

// Dir returns the directory to unpack the layer into.
func (l *LayerStage) Dir() string { return filepath.Join(l.path, "diff") }

// Commit syncs the unpacked content and moves it into place under
// meta.ChainID. If that layer already exists, the staged copy is dropped
// and Commit succeeds.
func (l *LayerStage) Commit(meta Layer) error {
	defer l.Close()
	if err := meta.ChainID.Validate(); err != nil {
		return err
	}
	if meta.Created.IsZero() {
		meta.Created = time.Now().UTC()
	}
	if err := writeJSONPlain(filepath.Join(l.path, "layer.json"), meta); err != nil {
		return fmt.Errorf("commit layer %s: %w", meta.ChainID, err)
	}
	if err := syncFS(l.path); err != nil {
		return fmt.Errorf("commit layer %s: %w", meta.ChainID, err)
	}
	dst := l.s.layerPath(meta.ChainID)
	if err := os.Rename(l.path, dst); err != nil {
		if l.s.HasLayer(meta.ChainID) {
			return nil
		}
		return fmt.Errorf("commit layer %s: %w", meta.ChainID, err)
	}
	l.done = true
	l.release()
	return syncDir(filepath.Dir(dst))
}

// Close discards the staged layer unless it was committed. It is idempotent.
func (l *LayerStage) Close() error {
	if l.done {
		return nil
	}
	l.done = true
	os.RemoveAll(l.path)
	l.release()
	return nil
}

func syncFS(path string) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return unix.Syncfs(fd)
}
