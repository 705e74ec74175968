package pty

// Size is a terminal window size in character cells.
type Size struct {
	Rows uint16
	Cols uint16
}
