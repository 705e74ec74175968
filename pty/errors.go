package pty

import "errors"

var (
	// ErrInvalidKeys is wrapped by ParseKeys when a detach-key specification
	// cannot be parsed.
	ErrInvalidKeys = errors.New("invalid key")

	// ErrDetached is returned by DetachReader.Read and Attach once the whole
	// detach-key sequence has been typed. The container keeps running.
	ErrDetached = errors.New("detached from container")

	// ErrClosed is returned by DetachReader.Read after Close.
	ErrClosed = errors.New("detach reader closed")

	// ErrFrameTooLarge is returned by ReadFrame and WriteFrame for a frame
	// whose payload exceeds MaxFrameSize.
	ErrFrameTooLarge = errors.New("attach frame too large")

	// ErrProtocol is wrapped when a peer sends a frame that is malformed or not
	// allowed at that point of the attach protocol.
	ErrProtocol = errors.New("attach protocol violation")

	// ErrSlowClient is returned by Hub.Serve, and wrapped by Attach, when the
	// hub disconnected a client that fell more than its queue limit behind
	// the container's output. The container keeps running.
	ErrSlowClient = errors.New("attach client fell too far behind the output")

	// ErrDisconnected is returned by Attach when the connection ends before
	// the server sent an exit status.
	ErrDisconnected = errors.New("attach connection closed without exit status")

	// ErrNoFd is wrapped by RecvFd when a message arrives without a file
	// descriptor.
	ErrNoFd = errors.New("message carries no file descriptor")

	// ErrNotPTMX is wrapped by OpenPTY when the given path is not a
	// pseudo-terminal multiplexer device.
	ErrNotPTMX = errors.New("not a ptmx device")
)
