package ui

import tea "charm.land/bubbletea/v2"

// loader coalesces the reloads of a list: one load runs at a time, and
// the reloads asked for while it runs become one more load after it.
type loader struct {
	loading bool // a load is in flight
	dirty   bool // another load was asked for meanwhile
}

// start returns load, or nil and a note to load again when a load is
// already in flight.
func (l *loader) start(load tea.Cmd) tea.Cmd {
	if l.loading {
		l.dirty = true
		return nil
	}
	l.loading = true
	return load
}

// done records that the load in flight arrived and returns reload's Cmd
// when another load was asked for meanwhile, else nil.
func (l *loader) done(reload func() tea.Cmd) tea.Cmd {
	l.loading = false
	if !l.dirty {
		return nil
	}
	l.dirty = false
	return reload()
}
