package engine

// extraNetwork returns the implementation of network modes beyond none
// and host: the default bridge and user networks (network.go).
func (e *Engine) extraNetwork(mode string) (containerNetwork, bool) { return e.bridgeNetworkFor(mode) }
