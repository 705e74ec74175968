package logfile

import "errors"

// Sentinel errors returned (wrapped) by this package. Test them with
// errors.Is.
var (
	// ErrBusy means another Writer holds the log open.
	ErrBusy = errors.New("log in use by another writer")
	// ErrClosed means the Writer, Reader or Lines was closed.
	ErrClosed = errors.New("log closed")
	// ErrNotFound means a search found no matching line.
	ErrNotFound = errors.New("no match")
	// ErrInvalid means an option or argument is malformed.
	ErrInvalid = errors.New("invalid argument")
	// ErrBadHeader means a file does not start with a berth log header.
	ErrBadHeader = errors.New("not a berth log file")
)
