// Package nsinit dispatches berth's re-executed helper processes before
// the command line runs: the container monitor (argv[0] "berth-monitor")
// and the container init (argv[0] "berth-init"). The engine starts both
// by re-executing the berth binary; main calls Main first thing.
package nsinit

import (
	"os"

	"github.com/berth-dev/berth/engine"
)

// Main runs the helper that argv[0] names and never returns for one; for
// any other argv[0] it returns at once and berth runs as usual.
func Main() {
	switch os.Args[0] {
	case "berth-init":
		engine.InitMain()
	case "berth-monitor":
		engine.MonitorMain()
	}
}
