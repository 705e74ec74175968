package engine

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
)

// AttachSocket returns the path of running container ref's attach socket,
// which its monitor serves with pty.Hub (see pty.Attach for the client):
// output replay, live stdout/stderr (one stream with a TTY), stdin to the
// container, resize of its PTY, and its exit code when it ends. The path
// may be longer than a socket address allows; DialAttach connects
// regardless.
func (e *Engine) AttachSocket(ctx context.Context, ref string) (string, error) {
	id, err := e.ResolveContainer(ctx, ref)
	if err != nil {
		return "", err
	}
	st, err := e.readState(id)
	if err != nil {
		return "", err
	}
	if st.Status != StateRunning && st.Status != StatePaused && st.Status != StateRestarting {
		return "", &StateError{ID: id, State: st.Status, Msg: "you cannot attach to a stopped container, start it first"}
	}
	return e.st.Container(id).AttachSock, nil
}

// DialAttach connects to running container ref's attach socket (see
// AttachSocket). It goes through the container directory's /proc/self/fd
// entry, so a deep store root does not overflow a socket address.
func (e *Engine) DialAttach(ctx context.Context, ref string) (net.Conn, error) {
	path, err := e.AttachSocket(ctx, ref)
	if err != nil {
		return nil, err
	}
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("attach: %w", err)
	}
	defer dir.Close()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", fmt.Sprintf("/proc/self/fd/%d/%s", dir.Fd(), filepath.Base(path)))
	if err != nil {
		return nil, fmt.Errorf("attach: %w", err)
	}
	return conn, nil
}
