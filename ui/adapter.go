package ui

import "github.com/berth-dev/berth/engine"

// engineAdapter gives *engine.Engine the one lookup the interface needs
// that the engine exposes only through its store.
type engineAdapter struct {
	*engine.Engine
}

// AttachSocket returns the path of container id's attach socket.
func (a engineAdapter) AttachSocket(id string) string { return a.Store().Container(id).AttachSock }

var (
	_ Engine        = engineAdapter{}
	_ LogLocator    = engineAdapter{}
	_ AttachLocator = engineAdapter{}
)
