package engine

// extraNetwork returns the implementation of network modes beyond none
// and host (bridge and user networks). None exist yet: the network code
// replaces this file.
func (e *Engine) extraNetwork(mode string) (containerNetwork, bool) { return nil, false }
