package engine

import (
	"context"
	"os"
	"strconv"
	"strings"
)

// containerNetwork wires a container's network namespace. The monitor
// calls Attach once per start, once the container's new network namespace
// exists and before the container's process runs, and Detach after the
// process exited, before a restart or the final exit. Remove calls
// Release when the container is deleted, to free what outlives a stop
// (address leases, names).
//
// An implementation may rewrite the container's hosts and resolv.conf
// files (store.ContainerPaths Hosts and ResolvConf) in Attach, in place:
// they are bind-mounted into the container while Attach runs.
type containerNetwork interface {
	// NewNamespace reports whether the container gets its own network
	// namespace (false for host networking).
	NewNamespace() bool
	// Attach connects netns, the path of the container's network
	// namespace ("" without one of its own), for process pid, which
	// holds the connection (the container's monitor). An error fails the
	// start with exit code 125.
	Attach(ctx context.Context, c *containerRecord, pid int, netns string) error
	// Detach undoes Attach; it is idempotent and runs even when the
	// process died.
	Detach(ctx context.Context, c *containerRecord) error
	// Release frees what the container holds beyond one run. Idempotent.
	Release(ctx context.Context, c *containerRecord) error
}

// networkFor returns the network implementation of a network mode. The
// monitor of each start asks for it again, so a mode that becomes known
// later (a network created after the container) works.
func (e *Engine) networkFor(mode string) (containerNetwork, error) {
	switch mode {
	case "none", "":
		return noneNetwork{}, nil
	case "host":
		return hostNetwork{}, nil
	}
	if id, ok := strings.CutPrefix(mode, "container:"); ok {
		return sharedNetwork{e: e, id: id}, nil
	}
	if n, ok := e.extraNetwork(mode); ok {
		return n, nil
	}
	return nil, notFoundf("network %s not found", mode)
}

// sharedNetwork is --network container:ID: the container joins the
// network namespace of container ID, which must be running, and shares
// its hosts and resolv.conf.
type sharedNetwork struct {
	e  *Engine
	id string
}

func (sharedNetwork) NewNamespace() bool                                          { return false }
func (sharedNetwork) Attach(context.Context, *containerRecord, int, string) error { return nil }
func (sharedNetwork) Detach(context.Context, *containerRecord) error              { return nil }
func (sharedNetwork) Release(context.Context, *containerRecord) error             { return nil }

// Join opens the network namespace of the other container's process.
func (n sharedNetwork) Join() (*os.File, error) {
	st, err := n.e.readState(n.id)
	if err != nil {
		return nil, err
	}
	if !active(st.Status) || st.Pid <= 0 {
		return nil, invalidf("cannot join the network of container %s: it is not running", n.id[:12])
	}
	return os.Open("/proc/" + strconv.Itoa(st.Pid) + "/ns/net")
}

// networkJoiner is a network that joins an existing namespace.
type networkJoiner interface {
	Join() (*os.File, error)
}

// noneNetwork is --network none: a new namespace with only lo, which
// launch.Start brings up.
type noneNetwork struct{}

func (noneNetwork) NewNamespace() bool                                          { return true }
func (noneNetwork) Attach(context.Context, *containerRecord, int, string) error { return nil }
func (noneNetwork) Detach(context.Context, *containerRecord) error              { return nil }
func (noneNetwork) Release(context.Context, *containerRecord) error             { return nil }

// hostNetwork is --network host: the container shares the host's network
// namespace.
type hostNetwork struct{}

func (hostNetwork) NewNamespace() bool                                          { return false }
func (hostNetwork) Attach(context.Context, *containerRecord, int, string) error { return nil }
func (hostNetwork) Detach(context.Context, *containerRecord) error              { return nil }
func (hostNetwork) Release(context.Context, *containerRecord) error             { return nil }
