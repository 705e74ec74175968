package ui

import (
	tea "charm.land/bubbletea/v2"
)

// copyCmd puts text on the system clipboard through the terminal (OSC 52,
// which works over ssh and inside tmux with set-clipboard on) and confirms
// with info in the status line.
func (m *Model) copyCmd(text, info string) tea.Cmd {
	return tea.Batch(tea.SetClipboard(text), infoCmd(info))
}
