package cmd

import "github.com/spf13/cobra"

// commands returns every subcommand, grouped by the file that defines it.
func commands(a *app) []*cobra.Command {
	var cs []*cobra.Command
	cs = append(cs, systemCommands(a)...)
	cs = append(cs, imageCommands(a)...)
	cs = append(cs, containerCommands(a)...)
	cs = append(cs, networkCommands(a)...)
	cs = append(cs, execCommands(a)...)
	return cs
}
