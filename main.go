// Command berth is a terminal container workstation: with no arguments a
// full-screen TUI, with arguments a docker-style CLI, both on an in-process
// container engine.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/berth-dev/berth/cmd"
	"github.com/berth-dev/berth/engine/nsinit"
	"github.com/berth-dev/berth/ui"
)

func main() {
	nsinit.Main() // the re-executed monitor never returns (the container init ran in package initialisation)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cmd.Execute(ctx, os.Args[1:], cmd.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, ui.Run)
	stop()
	os.Exit(code)
}
