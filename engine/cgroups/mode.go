package cgroups

import "fmt"

// Mode is the cgroup layout of a host.
type Mode int

const (
	// Legacy is cgroup v1 only: one hierarchy per controller.
	Legacy Mode = iota + 1
	// Hybrid is cgroup v1 for the controllers with a v2 hierarchy mounted
	// at <root>/unified that only tracks membership.
	Hybrid
	// Unified is cgroup v2 only: one hierarchy for every controller.
	Unified
)

// String returns "legacy", "hybrid" or "unified".
func (m Mode) String() string {
	switch m {
	case Legacy:
		return "legacy"
	case Hybrid:
		return "hybrid"
	case Unified:
		return "unified"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}
