package engine

import (
	"errors"
	"fmt"
)

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

// kindError is an error whose message is complete as it stands and which
// matches one of the sentinel errors with errors.Is.
type kindError struct {
	msg  string
	kind error
}

func (e *kindError) Error() string { return e.msg }

func (e *kindError) Unwrap() error { return e.kind }

// invalidf returns an error with the formatted message that matches
// ErrInvalid.
func invalidf(format string, args ...any) error {
	return &kindError{msg: fmt.Sprintf(format, args...), kind: ErrInvalid}
}

// conflictf returns an error with the formatted message that matches
// ErrConflict.
func conflictf(format string, args ...any) error {
	return &kindError{msg: fmt.Sprintf(format, args...), kind: ErrConflict}
}

// notFoundf returns an error with the formatted message that matches
// ErrNotFound.
func notFoundf(format string, args ...any) error {
	return &kindError{msg: fmt.Sprintf(format, args...), kind: ErrNotFound}
}
