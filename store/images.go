package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Image is the record of a stored image. Its ID is the digest of its config
// blob, as docker's image IDs are.
type Image struct {
	ID       Digest `json:"id"`
	Manifest Digest `json:"manifest,omitempty"`
	// ManifestMediaType is the media type of the manifest blob.
	ManifestMediaType string       `json:"manifestMediaType,omitempty"`
	Layers            []ImageLayer `json:"layers"`
	// Size is the unpacked size of all layers, as docker reports it.
	Size    int64     `json:"size"`
	Created time.Time `json:"created"`
	// Added is when the image was stored.
	Added time.Time `json:"added"`
	// BuildKey is the build cache key of the build step that made the
	// image, if a build did.
	BuildKey string `json:"buildKey,omitempty"`
	// Intermediate marks an image a build step made on the way to the
	// build's result: part of the build cache, not listed by default.
	Intermediate bool `json:"intermediate,omitempty"`
}

// ImageLayer is one layer of an image: its compressed blob and what it
// unpacks to.
type ImageLayer struct {
	Digest    Digest `json:"digest"`
	MediaType string `json:"mediaType"`
	Size      int64  `json:"size"`
	DiffID    Digest `json:"diffID"`
}

// DiffIDs returns the diff IDs of the image's layers, bottom first.
func (img Image) DiffIDs() []Digest {
	out := make([]Digest, len(img.Layers))
	for i, l := range img.Layers {
		out[i] = l.DiffID
	}
	return out
}

// ChainIDs returns the chain IDs of the image's layers, bottom first.
func (img Image) ChainIDs() []Digest { return ChainIDs(img.DiffIDs()) }

func (s *Store) imagePath(id Digest) string {
	return filepath.Join(s.root, "images", id.Hex()+".json")
}

// PutImage stores the image record atomically, replacing any record with
// the same ID. The caller stores its blobs and layers first.
func (s *Store) PutImage(img Image) error {
	if err := img.ID.Validate(); err != nil {
		return err
	}
	if err := s.writeJSON(s.imagePath(img.ID), img); err != nil {
		return fmt.Errorf("put image %s: %w", img.ID, err)
	}
	return nil
}

// Image returns the record of image id, or ErrNotFound.
func (s *Store) Image(id Digest) (Image, error) {
	var img Image
	if err := id.Validate(); err != nil {
		return img, err
	}
	err := readJSON(s.imagePath(id), &img)
	if errors.Is(err, os.ErrNotExist) {
		return img, fmt.Errorf("image %s: %w", id, ErrNotFound)
	}
	return img, err
}

// Images lists all image records, newest first.
func (s *Store) Images() ([]Image, error) {
	ents, err := os.ReadDir(filepath.Join(s.root, "images"))
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	out := make([]Image, 0, len(ents))
	for _, e := range ents {
		hex, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !isHex64(hex) {
			continue
		}
		img, err := s.Image(Digest("sha256:" + hex))
		if err != nil {
			s.log.Warn("skip unreadable image record", "image", hex, "err", err)
			continue
		}
		out = append(out, img)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

// DeleteImage removes the record of image id. Removing a missing record
// succeeds. Its blobs and layers stay until GC finds them unused.
func (s *Store) DeleteImage(id Digest) error {
	if err := id.Validate(); err != nil {
		return err
	}
	if err := os.Remove(s.imagePath(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("delete image %s: %w", id, err)
	}
	return nil
}

// Refs maps image names to image IDs.
type Refs struct {
	// Tags maps a normalized "registry/repo:tag" to an image ID.
	Tags map[string]Digest `json:"tags"`
	// Digests maps a normalized "registry/repo@sha256:..." (the manifest
	// digest the image was pulled by) to an image ID.
	Digests map[string]Digest `json:"digests"`
}

// ImageRefs returns the current name-to-image table.
func (s *Store) ImageRefs() (Refs, error) {
	r := Refs{Tags: map[string]Digest{}, Digests: map[string]Digest{}}
	err := readJSON(filepath.Join(s.root, "refs.json"), &r)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return r, fmt.Errorf("read refs: %w", err)
	}
	if r.Tags == nil {
		r.Tags = map[string]Digest{}
	}
	if r.Digests == nil {
		r.Digests = map[string]Digest{}
	}
	return r, nil
}

// UpdateImageRefs changes the name table under the store's refs lock: fn
// gets the current table and edits it; the result is written atomically
// unless fn returns an error.
func (s *Store) UpdateImageRefs(fn func(*Refs) error) error {
	unlock, err := s.Lock("refs")
	if err != nil {
		return err
	}
	defer unlock()
	r, err := s.ImageRefs()
	if err != nil {
		return err
	}
	if err := fn(&r); err != nil {
		return err
	}
	if err := s.writeJSON(filepath.Join(s.root, "refs.json"), r); err != nil {
		return fmt.Errorf("write refs: %w", err)
	}
	return nil
}
