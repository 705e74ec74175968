package themes

import "errors"

var (
	// ErrUnknownTheme means a theme name is neither built in nor a file in
	// the user's theme directory.
	ErrUnknownTheme = errors.New("unknown theme")
	// ErrInvalidColor means a colour value is not #rgb, #rrggbb or an ANSI
	// index from 0 to 255.
	ErrInvalidColor = errors.New("invalid colour")
	// ErrUnknownKey means a theme file sets a key berth does not know.
	ErrUnknownKey = errors.New("unknown key")
)
