// Package nsinit dispatches the two programs the engine runs the berth
// binary as, before the command line runs: the container monitor (argv[0]
// "berth-monitor") and the init of a container run with --init (argv[0]
// "/dev/init", package pid1). main calls Main first thing.
package nsinit

import (
	"os"

	"github.com/berth-dev/berth/engine"
	"github.com/berth-dev/berth/engine/pid1"
)

// Main runs the monitor or the init when argv[0] names one and never
// returns then; for any other argv[0] it returns at once and berth runs
// as usual.
func Main() {
	switch os.Args[0] {
	case "berth-monitor":
		engine.MonitorMain()
	case pid1.Arg0:
		pid1.Main()
	}
}
