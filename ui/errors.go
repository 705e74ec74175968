package ui

import "errors"

var (
	// ErrInvalidConfig means the config file is malformed or names an
	// unknown setting or action.
	ErrInvalidConfig = errors.New("invalid config")
	// ErrKeyClash means two actions live at the same time share a key.
	ErrKeyClash = errors.New("key clash")
)
