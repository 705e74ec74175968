// Package ui is berth's full-screen terminal interface, built with Bubble
// Tea. One root model owns the layout, the focus, the overlays (help,
// dialogs) and the routing of messages; lists (containers, images,
// volumes, networks) and panes (inspect, top, logs, history, layers) are
// plain types with Update, View and SetSize. All I/O runs in tea.Cmds
// against the small engine interfaces declared in engine.go, and engine
// events arrive through a re-arming Cmd, so the interface never polls the
// engine in a loop.
package ui
