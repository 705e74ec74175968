package store

import "errors"

// Sentinel errors returned (wrapped) by the store.
var (
	// ErrNotFound means the blob, image, reference, layer, container or
	// volume does not exist.
	ErrNotFound = errors.New("not found")
	// ErrExists means the name is already taken.
	ErrExists = errors.New("already exists")
	// ErrDigestMismatch means content did not hash to the expected digest.
	ErrDigestMismatch = errors.New("digest mismatch")
	// ErrSizeMismatch means content was not of the expected size.
	ErrSizeMismatch = errors.New("size mismatch")
	// ErrInvalidDigest means a string is not a valid sha256 digest.
	ErrInvalidDigest = errors.New("invalid digest")
	// ErrInvalidName means a container or volume name is not acceptable.
	ErrInvalidName = errors.New("invalid name")
)
