package store

import (
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
)

func (s *Store) blobPath(d Digest) string {
	return filepath.Join(s.root, "blobs", "sha256", d.Hex())
}

// BlobWriter stages a blob while it is written, hashing it on the way, and
// commits it under its digest. Close discards an uncommitted blob. A
// BlobWriter is not safe for concurrent use.
type BlobWriter struct {
	s       *Store
	f       *os.File
	path    string
	release func()
	h       hash.Hash
	n       int64
	done    bool
}

// NewBlobWriter starts a new blob. The caller must Close it.
func (s *Store) NewBlobWriter() (*BlobWriter, error) {
	path, release, err := s.stage(filepath.Join(s.root, "tmp"), ".tmp-blob-", false)
	if err != nil {
		return nil, fmt.Errorf("stage blob: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		os.Remove(path)
		release()
		return nil, fmt.Errorf("stage blob: %w", err)
	}
	return &BlobWriter{s: s, f: f, path: path, release: release, h: NewDigester()}, nil
}

// Write appends p to the blob.
func (w *BlobWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.h.Write(p[:n])
	w.n += int64(n)
	return n, err
}

// Size returns the number of bytes written so far.
func (w *BlobWriter) Size() int64 { return w.n }

// Digest returns the digest of the bytes written so far.
func (w *BlobWriter) Digest() Digest { return FromHash(w.h) }

// Commit verifies the written bytes against want (if not empty) and size
// (if not negative), syncs them and moves them to their content address.
// Committing a blob that is already stored succeeds and keeps the stored
// copy. It returns ErrDigestMismatch or ErrSizeMismatch, wrapped, when the
// content is not what was expected; the staged bytes are then discarded.
func (w *BlobWriter) Commit(want Digest, size int64) (Digest, error) {
	if w.done {
		return "", errors.New("commit blob: already closed")
	}
	got := w.Digest()
	defer w.Close()
	if size >= 0 && w.n != size {
		return "", fmt.Errorf("commit blob %s: %w: got %d bytes, want %d", want, ErrSizeMismatch, w.n, size)
	}
	if want != "" && got != want {
		return "", fmt.Errorf("commit blob %s: %w: got %s", want, ErrDigestMismatch, got)
	}
	if err := w.f.Sync(); err != nil {
		return "", fmt.Errorf("commit blob %s: %w", got, err)
	}
	if err := w.f.Close(); err != nil {
		return "", fmt.Errorf("commit blob %s: %w", got, err)
	}
	dst := w.s.blobPath(got)
	if _, err := os.Stat(dst); err == nil {
		return got, nil
	}
	if err := os.Rename(w.path, dst); err != nil {
		return "", fmt.Errorf("commit blob %s: %w", got, err)
	}
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return "", fmt.Errorf("commit blob %s: %w", got, err)
	}
	return got, nil
}

// Close discards the blob unless it was committed. It is idempotent.
func (w *BlobWriter) Close() error {
	if w.done {
		return nil
	}
	w.done = true
	w.f.Close()
	os.Remove(w.path)
	w.release()
	return nil
}

// PutBlob stores the content of r, checking it against want and size when
// they are given (empty digest, negative size: unknown). It is idempotent.
func (s *Store) PutBlob(r io.Reader, want Digest, size int64) (Digest, error) {
	if want != "" {
		if err := want.Validate(); err != nil {
			return "", err
		}
		if _, ok := s.HasBlob(want); ok {
			return want, nil
		}
	}
	w, err := s.NewBlobWriter()
	if err != nil {
		return "", err
	}
	defer w.Close()
	if _, err := io.Copy(w, r); err != nil {
		return "", fmt.Errorf("write blob %s: %w", want, err)
	}
	return w.Commit(want, size)
}

// PutBlobBytes stores b and returns its digest. It is idempotent.
func (s *Store) PutBlobBytes(b []byte) (Digest, error) {
	d := FromBytes(b)
	if _, ok := s.HasBlob(d); ok {
		return d, nil
	}
	w, err := s.NewBlobWriter()
	if err != nil {
		return "", err
	}
	defer w.Close()
	if _, err := w.Write(b); err != nil {
		return "", fmt.Errorf("write blob %s: %w", d, err)
	}
	return w.Commit(d, int64(len(b)))
}

// HasBlob reports whether the blob d is stored, and its size.
func (s *Store) HasBlob(d Digest) (int64, bool) {
	if d.Validate() != nil {
		return 0, false
	}
	fi, err := os.Stat(s.blobPath(d))
	if err != nil {
		return 0, false
	}
	return fi.Size(), true
}

// OpenBlob opens the blob d for reading. The reader verifies the content
// as it is read and returns an error wrapping ErrDigestMismatch instead of
// io.EOF if the stored bytes no longer match d. The caller closes it.
func (s *Store) OpenBlob(d Digest) (io.ReadCloser, int64, error) {
	if err := d.Validate(); err != nil {
		return nil, 0, err
	}
	f, err := os.Open(s.blobPath(d))
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, fmt.Errorf("open blob %s: %w", d, ErrNotFound)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("open blob %s: %w", d, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("open blob %s: %w", d, err)
	}
	return &verifiedReader{f: f, h: NewDigester(), want: d}, fi.Size(), nil
}

// ReadBlob returns the verified content of the blob d.
func (s *Store) ReadBlob(d Digest) ([]byte, error) {
	rc, _, err := s.OpenBlob(d)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// DeleteBlob removes the blob d. Removing a missing blob succeeds.
func (s *Store) DeleteBlob(d Digest) error {
	if err := d.Validate(); err != nil {
		return err
	}
	if err := os.Remove(s.blobPath(d)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("delete blob %s: %w", d, err)
	}
	return nil
}

// Blobs lists the digests of all stored blobs.
func (s *Store) Blobs() ([]Digest, error) {
	ents, err := os.ReadDir(filepath.Join(s.root, "blobs", "sha256"))
	if err != nil {
		return nil, fmt.Errorf("list blobs: %w", err)
	}
	out := make([]Digest, 0, len(ents))
	for _, e := range ents {
		if isHex64(e.Name()) {
			out = append(out, Digest("sha256:"+e.Name()))
		}
	}
	return out, nil
}

type verifiedReader struct {
	f    *os.File
	h    hash.Hash
	want Digest
}

func (r *verifiedReader) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	r.h.Write(p[:n])
	if err == io.EOF {
		if got := FromHash(r.h); got != r.want {
			return n, fmt.Errorf("read blob %s: %w: got %s", r.want, ErrDigestMismatch, got)
		}
	}
	return n, err
}

func (r *verifiedReader) Close() error { return r.f.Close() }
