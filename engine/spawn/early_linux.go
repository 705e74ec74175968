package spawn

import (
	"runtime"

	"github.com/berth-dev/berth/engine/spawn/prefork"
)

// init leaves berth run one P once its monitor is forked: what is left of
// the run is one line of work, which a second P only slows (the scheduler
// starts threads to spin for work, and two P's contend for the CPUs with
// the monitor's start).
func init() {
	if prefork.Pending() {
		runtime.GOMAXPROCS(1)
	}
}

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
