package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Volume is the record of a named volume.
type Volume struct {
	Name    string            `json:"name"`
	Driver  string            `json:"driver"`
	Labels  map[string]string `json:"labels,omitempty"`
	Created time.Time         `json:"created"`
}

func (s *Store) volumeDir(name string) string {
	return filepath.Join(s.root, "volumes", name)
}

// VolumePath returns the directory holding the data of volume name.
func (s *Store) VolumePath(name string) string {
	return filepath.Join(s.volumeDir(name), "_data")
}

// CreateVolume creates a volume. It returns ErrExists, wrapped, if a volume
// of that name exists, and ErrInvalidName for a bad name.
func (s *Store) CreateVolume(v Volume) error {
	if err := checkName(v.Name); err != nil {
		return err
	}
	if v.Driver == "" {
		v.Driver = "local"
	}
	if v.Created.IsZero() {
		v.Created = time.Now().UTC()
	}
	stage, release, err := s.stage(filepath.Join(s.root, "tmp"), ".tmp-vol-", true)
	if err != nil {
		return fmt.Errorf("create volume %s: %w", v.Name, err)
	}
	defer release()
	fail := func(err error) error {
		os.RemoveAll(stage)
		return fmt.Errorf("create volume %s: %w", v.Name, err)
	}
	if err := os.Mkdir(filepath.Join(stage, "_data"), 0o755); err != nil {
		return fail(err)
	}
	if err := writeJSONPlain(filepath.Join(stage, "volume.json"), v); err != nil {
		return fail(err)
	}
	// rename(2) onto an existing non-empty directory fails, which makes
	// creation atomic against a concurrent creator of the same name.
	if err := os.Rename(stage, s.volumeDir(v.Name)); err != nil {
		if _, serr := os.Stat(s.volumeDir(v.Name)); serr == nil {
			return fail(ErrExists)
		}
		return fail(err)
	}
	return syncDir(filepath.Join(s.root, "volumes"))
}

// Volume returns the record of volume name, or ErrNotFound.
func (s *Store) Volume(name string) (Volume, error) {
	var v Volume
	if err := checkName(name); err != nil {
		return v, fmt.Errorf("volume %q: %w", name, ErrNotFound)
	}
	err := readJSON(filepath.Join(s.volumeDir(name), "volume.json"), &v)
	if errors.Is(err, os.ErrNotExist) {
		return v, fmt.Errorf("volume %s: %w", name, ErrNotFound)
	}
	return v, err
}

// Volumes lists all volumes by name.
func (s *Store) Volumes() ([]Volume, error) {
	ents, err := os.ReadDir(filepath.Join(s.root, "volumes"))
	if err != nil {
		return nil, fmt.Errorf("list volumes: %w", err)
	}
	var out []Volume
	for _, e := range ents {
		if v, err := s.Volume(e.Name()); err == nil {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// DeleteVolume removes volume name and its data. The caller checks that no
// container uses it. Removing a missing volume returns ErrNotFound.
func (s *Store) DeleteVolume(name string) error {
	if _, err := s.Volume(name); err != nil {
		return err
	}
	if err := s.removeAll(s.volumeDir(name)); err != nil {
		return fmt.Errorf("delete volume %s: %w", name, err)
	}
	return nil
}
