package ui

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
)

func bind(help, desc string, keys ...string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
}

// GlobalKeys work everywhere outside dialogs.
type GlobalKeys struct {
	Quit, Help, NextView, PrevView        key.Binding
	Containers, Images, Volumes, Networks key.Binding
	Mouse                                 key.Binding
}

// DefaultGlobalKeys returns the default global bindings.
func DefaultGlobalKeys() GlobalKeys {
	return GlobalKeys{
		Quit:       bind("q", "quit", "q", "ctrl+c"),
		Help:       bind("?", "help", "?"),
		NextView:   bind("tab", "next list", "tab"),
		PrevView:   bind("shift+tab", "previous list", "shift+tab"),
		Containers: bind("1", "containers", "1"),
		Images:     bind("2", "images", "2"),
		Volumes:    bind("3", "volumes", "3"),
		Networks:   bind("4", "networks", "4"),
		Mouse:      bind("M", "toggle mouse", "M"),
	}
}

// ListKeys move through a list and act on its rows.
type ListKeys struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Mark, MarkAll, Filter, Sort, Reverse    key.Binding
	Clear, Focus, Copy                      key.Binding
	// Run and Pull work on both lists: run a container (from the selected
	// image on the images list) and pull an image.
	Run, Pull key.Binding
	// Inspect, Logs, Top, History and Layers choose the pane below the list.
	Inspect, Logs, Processes, History, Layers key.Binding
}

// DefaultListKeys returns the default list bindings.
func DefaultListKeys() ListKeys {
	return ListKeys{
		Up:        bind("↑/k", "up", "up", "k"),
		Down:      bind("↓/j", "down", "down", "j"),
		PageUp:    bind("pgup", "page up", "pgup", "ctrl+b"),
		PageDown:  bind("pgdn", "page down", "pgdown", "ctrl+f"),
		Top:       bind("g", "first", "home", "g"),
		Bottom:    bind("G", "last", "end", "G"),
		Mark:      bind("space", "mark", "space"),
		MarkAll:   bind("ctrl+a", "mark all", "ctrl+a"),
		Filter:    bind("/", "filter", "/"),
		Sort:      bind("o", "sort column", "o"),
		Reverse:   bind("O", "reverse sort", "O"),
		Clear:     bind("esc", "clear filter/marks", "esc"),
		Focus:     bind("enter", "focus pane", "enter"),
		Copy:      bind("y", "copy ID", "y"),
		Run:       bind("r", "run", "r"),
		Pull:      bind("P", "pull image", "P"),
		Inspect:   bind("i", "inspect", "i"),
		Logs:      bind("l", "logs", "l"),
		Processes: bind("t", "top", "t"),
		History:   bind("h", "history", "h"),
		Layers:    bind("L", "layers", "L"),
	}
}

// ContainerKeys act on the selected (or marked) containers.
type ContainerKeys struct {
	Start, Stop, Restart, Kill, Pause, Remove, ForceRemove, Attach, Shell, Commit key.Binding
}

// DefaultContainerKeys returns the default container bindings.
func DefaultContainerKeys() ContainerKeys {
	return ContainerKeys{
		Start:       bind("s", "start", "s"),
		Stop:        bind("x", "stop", "x"),
		Restart:     bind("R", "restart", "R"),
		Kill:        bind("K", "kill", "K"),
		Pause:       bind("p", "pause/unpause", "p"),
		Remove:      bind("d", "remove", "d"),
		ForceRemove: bind("D", "force remove", "D"),
		Attach:      bind("a", "attach", "a"),
		Shell:       bind("e", "shell", "e"),
		Commit:      bind("c", "commit", "c"),
	}
}

// ImageKeys act on the selected (or marked) images.
type ImageKeys struct {
	Tag, Remove, Prune key.Binding
}

// DefaultImageKeys returns the default image bindings.
func DefaultImageKeys() ImageKeys {
	return ImageKeys{
		Tag:    bind("T", "tag", "T"),
		Remove: bind("d", "remove", "d"),
		Prune:  bind("X", "prune", "X"),
	}
}

// VolumeKeys act on the selected (or marked) volumes.
type VolumeKeys struct {
	Remove, Prune key.Binding
}

// DefaultVolumeKeys returns the default volume bindings.
func DefaultVolumeKeys() VolumeKeys {
	return VolumeKeys{
		Remove: bind("d", "remove", "d"),
		Prune:  bind("X", "prune", "X"),
	}
}

// NetworkKeys act on the selected (or marked) networks.
type NetworkKeys struct {
	Create, Remove, Prune key.Binding
}

// DefaultNetworkKeys returns the default network bindings.
func DefaultNetworkKeys() NetworkKeys {
	return NetworkKeys{
		Create: bind("c", "create", "c"),
		Remove: bind("d", "remove", "d"),
		Prune:  bind("X", "prune", "X"),
	}
}

// ViewerKeys scroll and search a focused pane.
type ViewerKeys struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Search, Next, Prev, Back, Copy          key.Binding
	Fold, FoldAll                           key.Binding
}

// DefaultViewerKeys returns the default pane bindings.
func DefaultViewerKeys() ViewerKeys {
	return ViewerKeys{
		Up:       bind("↑/k", "up", "up", "k"),
		Down:     bind("↓/j", "down", "down", "j"),
		PageUp:   bind("pgup", "page up", "pgup", "ctrl+b"),
		PageDown: bind("pgdn", "page down", "pgdown", "ctrl+f"),
		Top:      bind("g", "top", "home", "g"),
		Bottom:   bind("G", "bottom", "end", "G"),
		Search:   bind("/", "search", "/"),
		Next:     bind("n", "next match", "n"),
		Prev:     bind("N", "previous match", "N"),
		Back:     bind("esc", "back to list", "esc"),
		Copy:     bind("y", "copy line", "y"),
		Fold:     bind("z", "fold/unfold", "z", "enter"),
		FoldAll:  bind("Z", "fold all/none", "Z"),
	}
}

// LogKeys control the logs pane.
type LogKeys struct {
	Follow, Timestamps, Wrap, Since, Save key.Binding
}

// DefaultLogKeys returns the default logs bindings.
func DefaultLogKeys() LogKeys {
	return LogKeys{
		Follow:     bind("f", "follow", "f"),
		Timestamps: bind("t", "timestamps", "t"),
		Wrap:       bind("w", "wrap", "w"),
		Since:      bind("s", "since/tail", "s"),
		Save:       bind("S", "save to file", "S"),
	}
}

// LayerKeys move between layers in the layers pane.
type LayerKeys struct {
	PrevLayer, NextLayer key.Binding
}

// DefaultLayerKeys returns the default layers bindings.
func DefaultLayerKeys() LayerKeys {
	return LayerKeys{
		PrevLayer: bind("[/←", "previous layer", "[", "left"),
		NextLayer: bind("]/→", "next layer", "]", "right"),
	}
}

// DialogKeys drive dialogs and prompts.
type DialogKeys struct {
	Submit, Cancel, Next, Prev, Toggle key.Binding
}

// DefaultDialogKeys returns the default dialog bindings.
func DefaultDialogKeys() DialogKeys {
	return DialogKeys{
		Submit: bind("enter", "ok", "enter"),
		Cancel: bind("esc", "cancel", "esc"),
		Next:   bind("tab", "next field", "tab", "down"),
		Prev:   bind("shift+tab", "previous field", "shift+tab", "up"),
		Toggle: bind("space", "toggle", "space"),
	}
}

// KeyMap holds every binding of the interface. It is data: the config file
// rebinds actions by their section and name (see Actions), and the help is
// generated from it.
type KeyMap struct {
	Global    GlobalKeys
	List      ListKeys
	Container ContainerKeys
	Image     ImageKeys
	Volume    VolumeKeys
	Network   NetworkKeys
	Viewer    ViewerKeys
	Logs      LogKeys
	Layers    LayerKeys
	Dialog    DialogKeys
}

// DefaultKeyMap returns the default bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Global:    DefaultGlobalKeys(),
		List:      DefaultListKeys(),
		Container: DefaultContainerKeys(),
		Image:     DefaultImageKeys(),
		Volume:    DefaultVolumeKeys(),
		Network:   DefaultNetworkKeys(),
		Viewer:    DefaultViewerKeys(),
		Logs:      DefaultLogKeys(),
		Layers:    DefaultLayerKeys(),
		Dialog:    DefaultDialogKeys(),
	}
}

// Action is one rebindable binding: its config section and name.
type Action struct {
	Section, Name string
	Binding       *key.Binding
}

// Actions lists the bindings of k by section, in help order. The pointers
// point into k.
func (k *KeyMap) Actions() []Action {
	a := func(sec, name string, b *key.Binding) Action { return Action{sec, name, b} }
	g, l, c, i, v, lg, ly, d := &k.Global, &k.List, &k.Container, &k.Image, &k.Viewer, &k.Logs, &k.Layers, &k.Dialog
	vo, n := &k.Volume, &k.Network
	return []Action{
		a("global", "quit", &g.Quit), a("global", "help", &g.Help), a("global", "next_view", &g.NextView),
		a("global", "prev_view", &g.PrevView), a("global", "containers", &g.Containers),
		a("global", "images", &g.Images), a("global", "volumes", &g.Volumes),
		a("global", "networks", &g.Networks), a("global", "mouse", &g.Mouse),
		a("list", "up", &l.Up), a("list", "down", &l.Down), a("list", "page_up", &l.PageUp),
		a("list", "page_down", &l.PageDown), a("list", "top", &l.Top), a("list", "bottom", &l.Bottom),
		a("list", "mark", &l.Mark), a("list", "mark_all", &l.MarkAll), a("list", "filter", &l.Filter),
		a("list", "sort", &l.Sort), a("list", "reverse", &l.Reverse), a("list", "clear", &l.Clear),
		a("list", "focus", &l.Focus), a("list", "copy", &l.Copy), a("list", "run", &l.Run),
		a("list", "pull", &l.Pull), a("list", "inspect", &l.Inspect), a("list", "logs", &l.Logs),
		a("list", "top_pane", &l.Processes), a("list", "history", &l.History), a("list", "layers", &l.Layers),
		a("container", "start", &c.Start), a("container", "stop", &c.Stop), a("container", "restart", &c.Restart),
		a("container", "kill", &c.Kill), a("container", "pause", &c.Pause), a("container", "remove", &c.Remove),
		a("container", "force_remove", &c.ForceRemove), a("container", "attach", &c.Attach),
		a("container", "shell", &c.Shell), a("container", "commit", &c.Commit),
		a("image", "tag", &i.Tag), a("image", "remove", &i.Remove), a("image", "prune", &i.Prune),
		a("volume", "remove", &vo.Remove), a("volume", "prune", &vo.Prune),
		a("network", "create", &n.Create), a("network", "remove", &n.Remove), a("network", "prune", &n.Prune),
		a("viewer", "up", &v.Up), a("viewer", "down", &v.Down), a("viewer", "page_up", &v.PageUp),
		a("viewer", "page_down", &v.PageDown), a("viewer", "top", &v.Top), a("viewer", "bottom", &v.Bottom),
		a("viewer", "search", &v.Search), a("viewer", "next", &v.Next), a("viewer", "prev", &v.Prev),
		a("viewer", "back", &v.Back), a("viewer", "copy", &v.Copy), a("viewer", "fold", &v.Fold),
		a("viewer", "fold_all", &v.FoldAll),
		a("logs", "follow", &lg.Follow), a("logs", "timestamps", &lg.Timestamps), a("logs", "wrap", &lg.Wrap),
		a("logs", "since", &lg.Since), a("logs", "save", &lg.Save),
		a("layers", "prev", &ly.PrevLayer), a("layers", "next", &ly.NextLayer),
		a("dialog", "submit", &d.Submit), a("dialog", "cancel", &d.Cancel), a("dialog", "next", &d.Next),
		a("dialog", "prev", &d.Prev), a("dialog", "toggle", &d.Toggle),
	}
}

// scopes lists the sections whose keys are live at the same time and so
// must not share a key.
func scopes() [][]string {
	return [][]string{
		{"global", "list", "container"},
		{"global", "list", "image"},
		{"global", "list", "volume"},
		{"global", "list", "network"},
		{"global", "viewer", "logs"},
		{"global", "viewer", "layers"},
		{"dialog"},
	}
}

// KeyClashError reports a key bound to two actions that are live at once.
type KeyClashError struct {
	Key    string
	First  string // section.name
	Second string
}

func (e *KeyClashError) Error() string {
	return fmt.Sprintf("key %q is bound to both %s and %s", e.Key, e.First, e.Second)
}

// Unwrap returns ErrKeyClash.
func (e *KeyClashError) Unwrap() error { return ErrKeyClash }

// Check returns a *KeyClashError for the first key bound to two actions
// that are live at the same time.
func (k *KeyMap) Check() error {
	acts := k.Actions()
	for _, scope := range scopes() {
		seen := map[string]string{}
		for _, a := range acts {
			if !slices.Contains(scope, a.Section) {
				continue
			}
			for _, kk := range a.Binding.Keys() {
				name := a.Section + "." + a.Name
				if prev, ok := seen[kk]; ok {
					return &KeyClashError{Key: kk, First: prev, Second: name}
				}
				seen[kk] = name
			}
		}
	}
	return nil
}

// Rebind sets the keys of the action section.name, and its help text.
func (k *KeyMap) Rebind(section, name string, keys []string) error {
	for _, a := range k.Actions() {
		if a.Section == section && a.Name == name {
			if len(keys) == 0 {
				return fmt.Errorf("rebind %s.%s: %w: no keys given", section, name, ErrInvalidConfig)
			}
			a.Binding.SetKeys(keys...)
			a.Binding.SetHelp(strings.Join(keys, "/"), a.Binding.Help().Desc)
			return nil
		}
	}
	return fmt.Errorf("rebind %s.%s: %w: no such action", section, name, ErrInvalidConfig)
}

// helpGroup is one column of the full help.
type helpGroup struct {
	Title    string
	Bindings []key.Binding
}

// fullHelp returns the help columns for the list of kind (containers or
// images) or, with pane set, for the focused pane.
func (k *KeyMap) fullHelp(kind viewKind, pane paneKind, paneFocused bool) []helpGroup {
	g, l, v := k.Global, k.List, k.Viewer
	global := helpGroup{"General", []key.Binding{g.Quit, g.Help, g.NextView, g.PrevView, g.Containers, g.Images, g.Volumes, g.Networks, g.Mouse}}
	if paneFocused {
		groups := []helpGroup{
			{"Pane", []key.Binding{v.Up, v.Down, v.PageUp, v.PageDown, v.Top, v.Bottom, v.Back}},
			{"Search", []key.Binding{v.Search, v.Next, v.Prev, v.Copy}},
		}
		switch pane {
		case paneLogs:
			lg := k.Logs
			groups = append(groups, helpGroup{"Logs", []key.Binding{lg.Follow, lg.Timestamps, lg.Wrap, lg.Since, lg.Save}})
		case paneInspect:
			groups = append(groups, helpGroup{"Inspect", []key.Binding{v.Fold, v.FoldAll}})
		case paneLayers:
			groups = append(groups, helpGroup{"Layers", []key.Binding{k.Layers.PrevLayer, k.Layers.NextLayer}})
		}
		return append(groups, global)
	}
	nav := helpGroup{"List", []key.Binding{l.Up, l.Down, l.PageUp, l.PageDown, l.Top, l.Bottom, l.Filter, l.Sort, l.Reverse, l.Mark, l.MarkAll, l.Clear, l.Copy}}
	var acts, panes helpGroup
	switch kind {
	case viewImages:
		i := k.Image
		acts = helpGroup{"Images", []key.Binding{l.Run, l.Pull, i.Tag, i.Remove, i.Prune}}
		panes = helpGroup{"Panes", []key.Binding{l.History, l.Layers, l.Inspect, l.Focus}}
	case viewVolumes:
		acts = helpGroup{"Volumes", []key.Binding{k.Volume.Remove, k.Volume.Prune, l.Run, l.Pull}}
		panes = helpGroup{"Panes", []key.Binding{l.Inspect, l.Focus}}
	case viewNetworks:
		acts = helpGroup{"Networks", []key.Binding{k.Network.Create, k.Network.Remove, k.Network.Prune, l.Run, l.Pull}}
		panes = helpGroup{"Panes", []key.Binding{l.Inspect, l.Focus}}
	default:
		c := k.Container
		acts = helpGroup{"Containers", []key.Binding{c.Start, c.Stop, c.Restart, c.Kill, c.Pause, c.Remove, c.ForceRemove, c.Attach, c.Shell, c.Commit, l.Run, l.Pull}}
		panes = helpGroup{"Panes", []key.Binding{l.Logs, l.Inspect, l.Processes, l.Focus}}
	}
	return []helpGroup{acts, nav, panes, global}
}

// shortHelp returns the few bindings the footer shows in a context.
func (k *KeyMap) shortHelp(kind viewKind, pane paneKind, paneFocused, empty bool) []key.Binding {
	if paneFocused {
		v := k.Viewer
		switch pane {
		case paneLogs:
			return []key.Binding{v.Back, v.Search, v.Next, k.Logs.Follow, k.Logs.Timestamps, k.Logs.Wrap, k.Logs.Since, k.Logs.Save, k.Global.Help}
		case paneInspect:
			return []key.Binding{v.Back, v.Search, v.Next, v.Fold, v.FoldAll, k.Global.Help}
		case paneLayers:
			return []key.Binding{v.Back, k.Layers.PrevLayer, k.Layers.NextLayer, v.Search, k.Global.Help}
		}
		return []key.Binding{v.Back, v.Search, v.Next, v.Prev, k.Global.Help}
	}
	l := k.List
	switch kind {
	case viewVolumes:
		if empty {
			return []key.Binding{l.Run, k.Global.Containers, k.Global.Help, k.Global.Quit}
		}
		return []key.Binding{k.Volume.Remove, k.Volume.Prune, l.Focus, l.Copy, l.Filter, k.Global.NextView, k.Global.Help, k.Global.Quit}
	case viewNetworks:
		if empty {
			return []key.Binding{k.Network.Create, k.Global.Containers, k.Global.Help, k.Global.Quit}
		}
		return []key.Binding{k.Network.Create, k.Network.Remove, k.Network.Prune, l.Focus, l.Filter, k.Global.NextView, k.Global.Help, k.Global.Quit}
	}
	if kind == viewImages {
		if empty {
			return []key.Binding{l.Pull, k.Global.Containers, k.Global.Help, k.Global.Quit}
		}
		return []key.Binding{l.Run, l.Pull, k.Image.Tag, k.Image.Remove, l.History, l.Layers, l.Filter, k.Global.Help, k.Global.Quit}
	}
	if empty {
		return []key.Binding{l.Pull, l.Run, k.Global.Images, k.Global.Help, k.Global.Quit}
	}
	c := k.Container
	return []key.Binding{c.Start, c.Stop, c.Shell, c.Attach, l.Logs, c.Remove, l.Run, l.Filter, k.Global.Help, k.Global.Quit}
}
