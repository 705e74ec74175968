package engine

import "errors"

// Sentinel errors returned (wrapped) by the engine. Callers test them with
// errors.Is; the CLI maps them to its exit codes and messages.
var (
	// ErrNotFound means an image, container, volume or network is unknown.
	ErrNotFound = errors.New("not found")
	// ErrConflict means the operation clashes with current state: a name
	// in use, an image used by a container, a running container.
	ErrConflict = errors.New("conflict")
	// ErrInvalid means the caller's input is malformed.
	ErrInvalid = errors.New("invalid argument")
)
