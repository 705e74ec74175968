package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	tea "charm.land/bubbletea/v2"

	"github.com/berth-dev/berth/engine"
	"github.com/berth-dev/berth/pty"
)

// AttachDialer connects to the attach stream a container's monitor
// serves (the protocol of pty.Attach).
type AttachDialer interface {
	// DialAttach connects to running container id's attach socket; the
	// caller closes the connection.
	DialAttach(ctx context.Context, id string) (net.Conn, error)
}

// attachDoneMsg says an attach or exec session handed the terminal back.
type attachDoneMsg struct {
	id, name string
	shell    bool
	err      error
}

// attach hands the terminal to container id: its main process, or with
// shell a new shell in it. The TUI comes back where it was on detach or
// when the session ends.
func (m *Model) attach(id string, shell bool) tea.Cmd {
	name := m.containers.name(id)
	if c, ok := m.containers.byID[id]; ok && c.State != engine.StateRunning {
		return errCmd(fmt.Errorf("attach %s: the container is %s: start it first (%s)", name, c.State, m.keys.Container.Start.Help().Key))
	}
	keys, err := pty.ParseKeys(m.cfg.DetachKeys)
	if err != nil {
		return errCmd(err)
	}
	var session sessionFunc
	verb := "attached to"
	if shell {
		verb = "shell in"
		session, err = m.shellSession(id, keys)
	} else {
		session, err = m.attachSession(id, keys)
	}
	if err != nil {
		return errCmd(fmt.Errorf("attach %s: %w", name, err))
	}
	hint := fmt.Sprintf("berth: %s %s — detach with %s", verb, name, detachHint(m.cfg.DetachKeys))
	if shell {
		hint = fmt.Sprintf("berth: %s %s — exit or %s returns to berth", verb, name, detachHint(m.cfg.DetachKeys))
	}
	// An exec session sets up the terminal itself.
	h := &handover{ctx: m.ctx, hint: hint, session: session, raw: !shell}
	return tea.Exec(h, func(err error) tea.Msg { return attachDoneMsg{id: id, name: name, shell: shell, err: err} })
}

// attachSession connects to the container's attach socket and runs the
// session until detach or exit.
func (m *Model) attachSession(id string, keys []byte) (sessionFunc, error) {
	dialer, ok := m.eng.(AttachDialer)
	if !ok {
		return nil, errors.New("this engine cannot attach")
	}
	tty := m.containers.byID[id].Tty
	return func(ctx context.Context, in io.Reader, out io.Writer, resize <-chan pty.Size) error {
		conn, err := dialer.DialAttach(ctx, id)
		if err != nil {
			return err
		}
		_, err = pty.Attach(ctx, conn, pty.AttachOptions{
			Stdin: in, Stdout: out, Stderr: out,
			TTY: tty, Replay: true, DetachKeys: keys, Resize: resize,
		})
		return err
	}, nil
}

func (m *Model) attachDone(msg attachDoneMsg) tea.Cmd {
	reload := m.containers.reload(m.ctx, m.eng)
	// The terminal may have been resized meanwhile; the program asks
	// for the size again on its own, and the pane reloads its content.
	var cmds []tea.Cmd
	cmds = append(cmds, reload, m.loadPane(true), tea.RequestWindowSize)
	switch {
	case errors.Is(msg.err, pty.ErrDetached):
		cmds = append(cmds, infoCmd("detached from "+msg.name+": it keeps running"))
	case msg.err != nil:
		cmds = append(cmds, errCmd(fmt.Errorf("attach %s: %w", msg.name, msg.err)))
	case msg.shell:
		cmds = append(cmds, infoCmd("the shell in "+msg.name+" ended"))
	default:
		cmds = append(cmds, infoCmd("the session with "+msg.name+" ended"))
	}
	return tea.Batch(cmds...)
}

// ShellExecer starts processes in running containers.
type ShellExecer interface {
	// Exec starts o.Cmd in container id; a command that cannot start
	// gives an *engine.ExecError (code 127 when it is not found).
	Exec(ctx context.Context, id string, o engine.ExecOptions) (*engine.ExecProcess, error)
}

// shells are tried in order: bash if the image has it, else sh.
func shells() []string { return []string{"bash", "sh"} }

// shellSession runs a shell (bash, else sh) in the container on the
// terminal. Detaching leaves the shell running, as docker exec does.
func (m *Model) shellSession(id string, keys []byte) (sessionFunc, error) {
	ex, ok := m.eng.(ShellExecer)
	if !ok {
		return nil, errors.New("this engine cannot run a process in a container")
	}
	return func(ctx context.Context, in io.Reader, out io.Writer, _ <-chan pty.Size) error {
		var p *engine.ExecProcess
		var err error
		size := pty.Size{Rows: 24, Cols: 80}
		if f, ok := out.(*os.File); ok {
			if s, serr := pty.GetFileSize(f); serr == nil {
				size = s
			}
		}
		for _, sh := range shells() {
			p, err = ex.Exec(ctx, id, engine.ExecOptions{Cmd: []string{sh}, TTY: true, Size: size})
			var ee *engine.ExecError
			if !errors.As(err, &ee) || ee.Code != 127 {
				break
			}
		}
		if err != nil {
			return err
		}
		inFile, _ := in.(*os.File)
		_, err = p.Session(ctx, inFile, out, out, keys)
		if errors.Is(err, pty.ErrDetached) {
			if derr := p.Detach(); derr != nil {
				return derr
			}
			return err
		}
		p.Close()
		return err
	}, nil
}
