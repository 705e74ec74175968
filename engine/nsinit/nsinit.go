// Package nsinit dispatches the container monitor (argv[0]
// "berth-monitor"), which the engine starts by re-executing the berth
// binary, before the command line runs; main calls Main first thing.
package nsinit

import (
	"os"

	"github.com/berth-dev/berth/engine"
)

// Main runs the monitor when argv[0] names it and never returns then; for
// any other argv[0] it returns at once and berth runs as usual.
func Main() {
	if os.Args[0] == "berth-monitor" {
		engine.MonitorMain()
	}
}
