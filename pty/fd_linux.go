package pty

import (
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// maxFdName bounds the file name carried along with a passed descriptor.
const maxFdName = 4096

// SendFd sends the descriptor of f over a unix socket as SCM_RIGHTS ancillary
// data, with f's name as the message body so that RecvFd can name the file.
// f stays open in the sender; the receiver gets its own descriptor for the
// same open file. SendFd does not change f's blocking mode.
func SendFd(conn *net.UnixConn, f *os.File) error {
	name := f.Name()
	if len(name) > maxFdName {
		name = name[:maxFdName]
	}
	if name == "" {
		name = "fd" // the message body must not be empty
	}
	var werr error
	err := control(f, func(fd int) error {
		n, oobn, err := conn.WriteMsgUnix([]byte(name), unix.UnixRights(fd), nil)
		if err == nil && (n != len(name) || oobn == 0) {
			err = fmt.Errorf("short write of %d bytes", n)
		}
		werr = err
		return nil
	})
	if err == nil {
		err = werr
	}
	if err != nil {
		return fmt.Errorf("send fd %s: %w", f.Name(), err)
	}
	return nil
}

// RecvFd receives one descriptor sent by SendFd and returns it as an
// *os.File named as the sender's file was. The descriptor is close-on-exec.
// A message carrying no descriptor is an error; extra descriptors are closed.
func RecvFd(conn *net.UnixConn) (*os.File, error) {
	buf := make([]byte, maxFdName)
	oob := make([]byte, unix.CmsgSpace(4*4))
	n, oobn, flags, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, fmt.Errorf("receive fd: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return nil, fmt.Errorf("receive fd: parse control message: %w", err)
	}
	var fds []int
	for _, m := range msgs {
		rights, err := unix.ParseUnixRights(&m)
		if err != nil {
			continue
		}
		fds = append(fds, rights...)
	}
	if len(fds) == 0 {
		if flags&unix.MSG_CTRUNC != 0 {
			return nil, fmt.Errorf("receive fd: control message truncated: %w", ErrNoFd)
		}
		return nil, fmt.Errorf("receive fd: %w", ErrNoFd)
	}
	for _, extra := range fds[1:] {
		unix.Close(extra)
	}
	return os.NewFile(uintptr(fds[0]), string(buf[:n])), nil
}
