package engine

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/berth-dev/berth/pty"
)

// ExecOptions describe a process to start in a running container, as the
// flags of docker exec do. Zero values take the container's defaults.
type ExecOptions struct {
	// Cmd is the command and its arguments; Cmd[0] is looked up in the
	// container's PATH unless it contains a slash.
	Cmd []string
	// Env holds KEY=VALUE entries added to (and overriding) the
	// container's environment.
	Env []string
	// WorkingDir is the working directory inside the container; empty
	// means the container's.
	WorkingDir string
	// User is docker's -u: name or UID, optionally ":group"; empty means
	// the container's user.
	User string
	// TTY gives the process a terminal: a PTY allocated in the
	// container's own devpts, whose master ExecProcess.PTY holds.
	TTY bool
	// Stdin gives a process without TTY a stdin pipe (ExecProcess.Stdin);
	// otherwise its stdin is /dev/null. A TTY process always reads its
	// terminal.
	Stdin bool
	// Detach starts the process with its standard streams on /dev/null
	// (docker exec -d): nobody needs to read its output or wait for it.
	// It takes precedence over TTY and Stdin.
	Detach bool
	// Privileged gives the process every capability and no
	// no_new_privs, as docker exec --privileged does.
	Privileged bool
	// Size is the terminal's initial size (TTY only); zero leaves the
	// kernel's default.
	Size pty.Size
}

// ExecProcess is a process started by Engine.Exec inside a container. The
// process keeps running if its ExecProcess is dropped; Close releases the
// streams this process holds, and with them, for a TTY, the terminal
// (the kernel then hangs it up).
type ExecProcess struct {
	// ContainerID is the full ID of the container the process runs in.
	ContainerID string
	// Pid is the process's PID as the host sees it.
	Pid int
	// PTY is the master of the process's terminal when it was started
	// with TTY, else nil. It is non-blocking and registered with the
	// runtime poller: Close or a deadline interrupts a pending Read.
	// Reading it after the process exited yields the remaining output
	// and then an error (EIO).
	PTY *os.File
	// Stdin is the write end of the process's stdin pipe when it was
	// started with Stdin and without TTY, else nil. Closing it is the
	// process's end of input.
	Stdin *os.File
	// Stdout and Stderr are the read ends of the process's output pipes
	// when it was started without TTY (and without Detach), else nil.
	Stdout, Stderr *os.File

	proc *os.Process
	// self is the berth binary, run as the keeper by Detach.
	self string

	done    chan struct{}
	code    int
	waitErr error

	closeOnce sync.Once
}

// ExecError is returned by Engine.Exec when the process could not be
// started inside the container: Code is docker's exit code for it, 126
// (cannot execute: permission denied, a directory, a bad working
// directory or user) or 127 (not found). Its message is docker's,
// e.g. `OCI runtime exec failed: exec failed: unable to start container
// process: exec: "nosuch": executable file not found in $PATH`.
type ExecError struct {
	ContainerID string
	Code        int
	Err         error
}

func (e *ExecError) Error() string {
	return "OCI runtime exec failed: exec failed: unable to start container process: " + e.Err.Error()
}

// Unwrap returns the reason the process could not start.
func (e *ExecError) Unwrap() error { return e.Err }

// errNoTTY is wrapped by ExecProcess.Resize for a process without a
// terminal.
var errNoTTY = errors.New("process has no terminal")

// reap waits for the process to exit, records its exit code and closes
// done. Exec starts it; it ends with the process.
func (p *ExecProcess) reap() {
	ps, err := p.proc.Wait()
	p.code = exitCode(ps, err)
	if ps == nil {
		p.waitErr = fmt.Errorf("wait for exec process %d: %w", p.Pid, err)
	}
	close(p.done)
}

// Wait waits for the process to exit and returns its exit code: its exit
// status, or 128+n if signal n killed it. It may be called several times
// and from several goroutines; all get the same result. Wait does not
// close the streams: output may still be buffered in them.
func (p *ExecProcess) Wait() (int, error) {
	<-p.done
	return p.code, p.waitErr
}

// Done returns a channel that is closed once the process has exited.
func (p *ExecProcess) Done() <-chan struct{} { return p.done }

// Signal sends sig to the process. A process that already exited is not
// an error.
func (p *ExecProcess) Signal(sig os.Signal) error {
	if err := p.proc.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal exec process %d: %w", p.Pid, err)
	}
	return nil
}

// Resize sets the size of the process's terminal, which sends SIGWINCH to
// its foreground process group. It fails for a process without TTY.
func (p *ExecProcess) Resize(s pty.Size) error {
	if p.PTY == nil {
		return fmt.Errorf("resize exec process %d: %w", p.Pid, errNoTTY)
	}
	return pty.SetFileSize(p.PTY, s)
}

// Close closes the streams the ExecProcess holds (PTY, Stdin, Stdout,
// Stderr). It does not stop the process, but a process whose terminal or
// output pipes are closed gets SIGHUP or SIGPIPE when it next uses them.
// Close is idempotent.
func (p *ExecProcess) Close() error {
	var errs []error
	p.closeOnce.Do(func() {
		for _, f := range []*os.File{p.PTY, p.Stdin, p.Stdout, p.Stderr} {
			if f != nil {
				if err := f.Close(); err != nil {
					errs = append(errs, err)
				}
			}
		}
	})
	return errors.Join(errs...)
}

var _ io.Closer = (*ExecProcess)(nil)
