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
	"github.com/berth-dev/berth/exitfast"
	"github.com/berth-dev/berth/ui"
)

func main() {
	nsinit.Main() // a monitor (argv[0] berth-monitor) never returns
	// The context's signal handling is not stopped before the exit:
	// signal.Stop waits for the signal loop to go idle, a quarter of a
	// millisecond at the end of every command.
	ctx, _ := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The exit leaves the teardown of the process's memory to an heir,
	// so that the shell waiting for berth is told of its exit at once.
	exitfast.Exit(cmd.Execute(ctx, os.Args[1:], cmd.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, ui.Run))
}
