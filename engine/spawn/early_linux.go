package spawn

import (
	"os"
	"strings"
)

// early is the monitor forked at start-up for a berth run command line.
var early *Monitor

// init forks the monitor of the container a berth run command line will
// create, before the rest of berth initialises. It needs nothing from the
// command line but that it is run: the store and whether a client
// attaches come with Created. Any other command, or a run that goes no
// further, costs a monitor that exits at once.
func init() {
	if !IsRunCommand(os.Args) || os.Geteuid() != 0 {
		return
	}
	self, err := os.Executable()
	if err != nil {
		return
	}
	id, err := NewID()
	if err != nil {
		return
	}
	early, _ = Fork(self, id, "", false, true)
}

// Early returns the monitor forked at start-up for a berth run command
// line, once; nil if there is none.
func Early() *Monitor {
	m := early
	early = nil
	return m
}

// GlobalValueFlags are berth's global flags that take a value, which
// IsRunCommand skips with their values (cmd/root.go defines them).
var GlobalValueFlags = []string{"root", "log-level", "insecure-registry", "theme"}

// IsRunCommand reports whether args (os.Args) are a berth run command
// line: the program is named berth, and its first argument that is
// neither a flag nor a global flag's value is "run", or "container" and
// then "run".
func IsRunCommand(args []string) bool {
	if len(args) < 2 || args[0][strings.LastIndexByte(args[0], '/')+1:] != "berth" {
		return false
	}
	var words []string
	for i := 1; i < len(args) && len(words) < 2; i++ {
		a := args[i]
		switch {
		case a == "--":
			return false
		case strings.HasPrefix(a, "--") && !strings.Contains(a, "="):
			for _, f := range GlobalValueFlags {
				if a[2:] == f {
					i++
				}
			}
		case strings.HasPrefix(a, "-"):
		default:
			words = append(words, a)
		}
	}
	return len(words) > 0 && words[0] == "run" || len(words) > 1 && words[0] == "container" && words[1] == "run"
}
