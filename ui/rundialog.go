package ui

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/berth-dev/berth/engine"
	"github.com/berth-dev/berth/engine/network"
)

// Run dialog fields.
const (
	runImage = iota
	runName
	runCommand
	runEnv
	runPorts
	runVolumes
	runInteractive
	runAutoRemove
)

// createdMsg reports a container created (and started) from the run dialog.
type createdMsg struct {
	id, name string
	attach   bool
	err      error
}

// openRunDialog asks how to run a container from image.
func (m *Model) openRunDialog(image string) {
	fields := []field{
		runImage:       {Label: "Image", Value: image, Placeholder: "busybox"},
		runName:        {Label: "Name", Placeholder: "(generated)"},
		runCommand:     {Label: "Command", Placeholder: "(the image's default)", Hint: "e.g. sh -c 'echo hi; sleep 1d'"},
		runEnv:         {Label: "Env", Placeholder: "KEY=value KEY2=value2"},
		runPorts:       {Label: "Ports", Placeholder: "8080:80 127.0.0.1:5353:53/udp"},
		runVolumes:     {Label: "Volumes", Placeholder: "data:/data /host/dir:/dir:ro"},
		runInteractive: {Label: "Interactive (-it)", Check: true, Hint: "attach a terminal now; " + detachHint(m.cfg.DetachKeys) + " detaches"},
		runAutoRemove:  {Label: "Remove on exit", Check: true},
	}
	f := newForm(&m.styles, &m.keys.Dialog, "Run a container", fields, func(ctx context.Context, v formValues) tea.Cmd {
		opts, err := runOptions(v)
		if err != nil {
			return errCmd(err)
		}
		eng := m.eng
		attach := v.check(runInteractive)
		name := opts.Name
		return func() tea.Msg {
			id, err := eng.Create(ctx, opts)
			if err != nil {
				return createdMsg{err: fmt.Errorf("create container: %w", err)}
			}
			if name == "" {
				name = shortID(id)
			}
			if err := eng.Start(ctx, id); err != nil {
				return createdMsg{id: id, name: name, err: fmt.Errorf("start %s: %w", name, err)}
			}
			return createdMsg{id: id, name: name, attach: attach}
		}
	})
	if image != "" {
		f.setFocus(runName)
	}
	m.openForm(f)
}

// runOptions turns the run dialog's values into CreateOptions.
func runOptions(v formValues) (engine.CreateOptions, error) {
	var o engine.CreateOptions
	o.Image = strings.TrimSpace(v.text(runImage))
	if o.Image == "" {
		return o, fmt.Errorf("run: %w: name the image to run", engine.ErrInvalid)
	}
	o.Name = strings.TrimSpace(v.text(runName))
	if c := strings.TrimSpace(v.text(runCommand)); c != "" {
		args, err := splitArgs(c)
		if err != nil {
			return o, fmt.Errorf("run: command: %w", err)
		}
		o.Cmd = args
	}
	for _, e := range splitList(v.text(runEnv)) {
		if !strings.Contains(e, "=") {
			return o, fmt.Errorf("run: env %q: %w: write KEY=value", e, engine.ErrInvalid)
		}
		o.Env = append(o.Env, e)
	}
	if ports := splitList(v.text(runPorts)); len(ports) > 0 {
		specs, err := network.ParsePortSpecs(ports)
		if err != nil {
			return o, fmt.Errorf("run: ports: %w", err)
		}
		o.PortBindings = map[string][]engine.PortBinding{}
		for _, s := range specs {
			k := strconv.Itoa(int(s.ContainerPort)) + "/" + s.Proto
			b := engine.PortBinding{}
			if s.HostIP.IsValid() {
				b.HostIP = s.HostIP.String()
			}
			if s.HostPort != 0 {
				b.HostPort = strconv.Itoa(int(s.HostPort))
			}
			o.PortBindings[k] = append(o.PortBindings[k], b)
		}
		o.NetworkMode = "bridge"
	}
	o.Volumes = splitList(v.text(runVolumes))
	if v.check(runInteractive) {
		o.Tty, o.OpenStdin = true, true
	}
	o.AutoRemove = v.check(runAutoRemove)
	return o, nil
}

// splitList splits a list written with spaces and/or commas.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
}

// splitArgs splits a command line as a POSIX shell would for words:
// whitespace separates, single quotes keep everything, double quotes keep
// everything but backslash escapes, a backslash escapes outside quotes.
func splitArgs(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("%w: unterminated single quote", engine.ErrInvalid)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(`"\$`+"`", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("%w: unterminated double quote", engine.ErrInvalid)
			}
			inWord = true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		args = append(args, cur.String())
	}
	return args, nil
}

func (m *Model) created(msg createdMsg) tea.Cmd {
	reload := m.containers.reload(m.ctx, m.eng)
	if msg.err != nil {
		return tea.Batch(errCmd(msg.err), reload)
	}
	m.view = viewContainers
	m.focusPane = false
	m.containers.SelectSoon(msg.id)
	if msg.attach {
		return tea.Batch(reload, m.attach(msg.id, false))
	}
	return tea.Batch(infoCmd("started "+msg.name), reload)
}

// detachHint spells a detach-key spec for people: "ctrl-p,ctrl-q" is
// "Ctrl-P Ctrl-Q".
func detachHint(spec string) string {
	if spec == "" {
		return "nothing"
	}
	var parts []string
	for _, k := range strings.Split(spec, ",") {
		if rest, ok := strings.CutPrefix(k, "ctrl-"); ok {
			parts = append(parts, "Ctrl-"+strings.ToUpper(rest))
		} else {
			parts = append(parts, k)
		}
	}
	return strings.Join(parts, " ")
}

// openCommitDialog asks for the name of an image made from container id.
func (m *Model) openCommitDialog(id string) {
	name := m.containers.name(id)
	eng := m.eng
	m.openForm(newForm(&m.styles, &m.keys.Dialog, "Commit "+name+" to an image",
		[]field{
			{Label: "Image name", Placeholder: "myimage:latest"},
			{Label: "Message", Placeholder: "(optional)"},
		},
		func(ctx context.Context, v formValues) tea.Cmd {
			ref := strings.TrimSpace(v.text(0))
			msg := strings.TrimSpace(v.text(1))
			return func() tea.Msg {
				img, err := eng.Commit(ctx, id, engine.CommitOptions{Ref: ref, Message: msg, Pause: true})
				if err != nil {
					return errMsg{fmt.Errorf("commit %s: %w", name, err)}
				}
				what := shortID(img.ID)
				if ref != "" {
					what = ref + " (" + what + ")"
				}
				return actionDoneMsg{verb: "committed " + name + " to", names: []string{what}, kind: viewImages}
			}
		}))
}
