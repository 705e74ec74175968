package archive

import (
	"errors"
	"fmt"
)

var (
	// ErrUnsafePath reports an entry name or hardlink target that would
	// resolve outside the root directory.
	ErrUnsafePath = errors.New("unsafe path")
	// ErrTooLarge reports a layer whose file content or entry count goes past
	// the limits set with WithMaxSize or WithMaxEntries.
	ErrTooLarge = errors.New("layer too large")
	// ErrUnsupported reports a tar entry type berth does not unpack, such as
	// GNU multi-volume or tape volume headers.
	ErrUnsupported = errors.New("unsupported entry type")
	// ErrInvalidEntry reports a malformed entry: an empty name or one holding
	// a NUL byte, a whiteout without a name, a non-directory entry for the
	// root, a path through a whiteout, or an owner that is out of range.
	ErrInvalidEntry = errors.New("invalid entry")
)

// EntryError is the error Apply returns for one tar entry. Op names the step
// that failed ("create", "link", "chown", ...); Err is the cause and often
// wraps one of the package's sentinel errors or a syscall errno.
type EntryError struct {
	// Name is the entry name as it appears in the tar header.
	Name string
	// Op is the step that failed; it may be empty.
	Op string
	// Err is the underlying error.
	Err error
}

// Error formats the error as `unpack entry "NAME": OP: ERR`.
func (e *EntryError) Error() string {
	if e.Op == "" {
		return fmt.Sprintf("unpack entry %q: %v", e.Name, e.Err)
	}
	return fmt.Sprintf("unpack entry %q: %s: %v", e.Name, e.Op, e.Err)
}

// Unwrap returns the underlying error so errors.Is and errors.As see it.
func (e *EntryError) Unwrap() error { return e.Err }
