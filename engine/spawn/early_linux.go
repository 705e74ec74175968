package spawn

import "github.com/berth-dev/berth/engine/spawn/prefork"

// Early returns the monitor forked at start-up for a berth run command
// line (package prefork), once; nil if there is none.
func Early() *Monitor {
	e := prefork.Take()
	if e == nil {
		return nil
	}
	return fromPrefork(e)
}

// GlobalValueFlags are berth's global flags that take a value, which
// IsRunCommand skips with their values (cmd/root.go defines them).
var GlobalValueFlags = prefork.GlobalValueFlags

// IsRunCommand reports whether args (os.Args) are a berth run command
// line: the program is named berth, and its first argument that is
// neither a flag nor a global flag's value is "run", or "container" and
// then "run".
func IsRunCommand(args []string) bool { return prefork.IsRunCommand(args) }
