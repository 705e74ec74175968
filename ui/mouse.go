package ui

import (
	tea "charm.land/bubbletea/v2"
)

// handleMouse selects rows with a click and scrolls with the wheel while
// mouse support is on. Clicks inside the pane give it the focus.
func (m *Model) handleMouse(msg tea.MouseMsg) tea.Cmd {
	if !m.mouse || m.tooSmall() || m.confirm != nil || m.form != nil || m.pull != nil || m.help {
		return nil
	}
	mo := msg.Mouse()
	listH, _ := m.split()
	inList := mo.Y >= 1 && mo.Y < 1+listH
	before := m.list().Selected()
	switch msg.(type) {
	case tea.MouseClickMsg:
		if mo.Button != tea.MouseLeft {
			return nil
		}
		if inList {
			m.focusPane = false
			// Row 0 of the body is under the frame's top edge and the
			// header.
			m.list().ClickRow(mo.Y - 3)
			return m.selectionChanged(before)
		}
		if mo.Y >= 1+listH && mo.Y < m.height-2 && m.list().Selected() != "" {
			m.focusPane = true
		}
	case tea.MouseWheelMsg:
		n := 0
		switch mo.Button {
		case tea.MouseWheelUp:
			n = -3
		case tea.MouseWheelDown:
			n = 3
		default:
			return nil
		}
		if inList {
			m.list().Scroll(n)
			return m.selectionChanged(before)
		}
		switch m.pane.kind {
		case paneLogs:
			return m.logs.ScrollBy(n)
		case paneLayers:
			m.layers.pager.Scroll(n)
		default:
			m.pager.Scroll(n)
		}
	}
	return nil
}
