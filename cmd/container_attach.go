package cmd

import (
	"context"
	"errors"
	"net"
)

// attachStreams runs an attach session on conn with the terminal.
func attachStreams(ctx context.Context, a *app, conn net.Conn, stdin, tty bool, detachKeys string) (int, error) {
	return 0, errors.New("attach is not available")
}
