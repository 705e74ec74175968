//go:build !unix

package cgroups

import (
	"fmt"
	"syscall"
)

// signal is not available without Unix signals.
func signal(pid int, sig syscall.Signal) error {
	return fmt.Errorf("signal process %d: %w", pid, ErrUnsupported)
}
