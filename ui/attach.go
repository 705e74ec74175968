package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"

	tea "charm.land/bubbletea/v2"

	"github.com/berth-dev/berth/engine"
	"github.com/berth-dev/berth/pty"
)

// AttachLocator finds the attach socket a container's monitor serves.
type AttachLocator interface {
	// AttachSocket returns the path of container id's attach socket.
	AttachSocket(id string) string
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
	h := &handover{ctx: m.ctx, hint: hint, session: session}
	return tea.Exec(h, func(err error) tea.Msg { return attachDoneMsg{id: id, name: name, shell: shell, err: err} })
}

// attachSession connects to the container's attach socket and runs the
// session until detach or exit.
func (m *Model) attachSession(id string, keys []byte) (sessionFunc, error) {
	loc, ok := m.eng.(AttachLocator)
	if !ok {
		return nil, errors.New("this engine cannot attach")
	}
	sock := loc.AttachSocket(id)
	tty := m.containers.byID[id].Tty
	return func(ctx context.Context, in io.Reader, out io.Writer, resize <-chan pty.Size) error {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "unix", sock)
		if err != nil {
			return fmt.Errorf("connect: %w", err)
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

// shellSession runs a shell (bash, else sh) in the container.
func (m *Model) shellSession(id string, keys []byte) (sessionFunc, error) {
	return nil, errors.New("running a shell needs exec, which this build of berth does not have yet: use attach")
}
