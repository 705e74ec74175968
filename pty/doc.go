// Package pty implements berth's terminal plumbing: allocating pseudo-terminals
// inside a container's devpts, handing descriptors between processes, the
// client terminal's raw mode and size, the attach protocol between an
// attaching client and a container's monitor, and detach-key detection.
//
// # Detach keys
//
// ParseKeys turns a docker-style specification ("ctrl-p,ctrl-q", the
// DefaultKeys) into bytes. Matcher is the pure state machine that finds the
// sequence in input; DetachReader wraps the client's input with it. Unlike
// docker's and podman's proxies, the matcher is a real string-search
// automaton: a sequence that arrives in a single read (paste, fast typing)
// still matches, ^P ^P ^Q passes the first ^P through and detaches, a held
// prefix is released in order before a key that does not continue it, after
// a timeout without input (DefaultTimeout, 300 ms) and at end of input. The
// sequence itself never reaches the container.
//
// # Terminals
//
// On the client side, MakeRaw, GetSize, SetSize, IsTerminal and NotifyResize
// (SIGWINCH, current size first) manage the user's terminal; PollableInput
// gives a terminal input whose pending Read DetachReader.Close can interrupt,
// so a TUI can take its terminal back after a session.
//
// # PTY allocation
//
// OpenPTY allocates a PTY from a given multiplexer: the container's own
// "<rootfs>/dev/pts/ptmx" makes the slave valid inside the container.
// OpenPeer opens the slave from the master with TIOCGPTPEER, without a path
// lookup a container could redirect. SendFd and RecvFd pass descriptors over
// unix sockets (SCM_RIGHTS), so the master can be handed to the monitor.
// GetFileSize and SetFileSize work on a master without making it blocking.
//
// # Attach protocol
//
// A client and a monitor's attach.sock exchange frames: 1 type byte, a 4-byte
// big-endian payload length, the payload (at most MaxFrameSize). The client
// first sends a Hello (which streams it wants, replay, tty), then Stdin,
// Resize (rows, cols as uint16) and CloseStdin frames; the server sends
// Stdout and Stderr frames and finally Exit (int32 exit code).
//
// Hub is the server side. The monitor copies the container's output into
// Hub.Write (or io.Copy into Hub.Writer), serves each accepted connection
// with Hub.Serve, and calls Hub.Close with the exit code when the container
// exits. Hub keeps a bounded replay of recent output (DefaultReplay, 64 KiB),
// so attaching to a container that wrote gigabytes is instant, and never
// lets a client block the container: each client has its own queue and one
// that falls more than the queue limit behind is disconnected
// (ErrSlowClient), not sent output with holes in it.
//
// Attach is the client side: it copies input through a DetachReader,
// forwards resizes and writes output until the Exit frame, the detach keys
// (ErrDetached; the container keeps running) or cancellation.
//
// A typical client:
//
//	keys, err := pty.ParseKeys(pty.DefaultKeys)
//	restore, err := pty.MakeRaw(0)
//	defer restore()
//	conn, err := net.Dial("unix", attachSock)
//	code, err := pty.Attach(ctx, conn, pty.AttachOptions{
//		Stdin: os.Stdin, Stdout: os.Stdout, TTY: true, Replay: true,
//		DetachKeys: keys, Resize: pty.NotifyResize(ctx, 0),
//	})
//
// and the monitor:
//
//	hub := pty.NewHub(pty.DefaultReplay)
//	go io.Copy(hub.Writer(pty.FrameStdout), master)
//	for each accepted conn:
//		go hub.Serve(ctx, conn, master, func(s pty.Size) { pty.SetFileSize(master, s) }, nil)
//	... container exits ...
//	hub.Close(exitCode)
package pty
