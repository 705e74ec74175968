package pty

import (
	"errors"

	"golang.org/x/sys/unix"
)

// isConnReset reports whether err is a reset or broken connection.
func isConnReset(err error) bool {
	return errors.Is(err, unix.ECONNRESET) || errors.Is(err, unix.EPIPE)
}
