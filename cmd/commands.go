package cmd

import (
	"strings"

	"github.com/spf13/cobra"
)

// command is a top-level command, made only when the command line names
// it (or names none that is known, for help and suggestions): making all
// of them, each with its flags, is a good part of a short command's run.
type command struct {
	name string
	make func() *cobra.Command
}

// of is the top-level command name that f makes.
func of(a *app, name string, f func(*app) *cobra.Command) command {
	return command{name, func() *cobra.Command { return f(a) }}
}

// commands returns every top-level command, grouped by the file that
// defines it.
func commands(a *app) []command {
	var cs []command
	cs = append(cs, systemCommands(a)...)
	cs = append(cs, imageCommands(a)...)
	cs = append(cs, containerCommands(a)...)
	cs = append(cs, networkCommands(a)...)
	cs = append(cs, execCommands(a)...)
	cs = append(cs, loginCommands(a)...)
	cs = append(cs, buildCommands(a)...)
	return cs
}

// commandName returns the first word of args that is not root's flag or
// a value of one: the top-level command's name, or "" if there is none
// or a flag is unknown.
func commandName(root *cobra.Command, args []string) string {
	flags := root.PersistentFlags()
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return ""
		case strings.HasPrefix(a, "--"):
			name, _, hasValue := strings.Cut(a[2:], "=")
			f := flags.Lookup(name)
			if f == nil {
				return ""
			}
			if !hasValue && f.NoOptDefVal == "" {
				i++
			}
		case strings.HasPrefix(a, "-"):
			if len(a) != 2 {
				return ""
			}
			f := flags.ShorthandLookup(a[1:])
			if f == nil {
				return ""
			}
			if f.NoOptDefVal == "" {
				i++
			}
		default:
			return a
		}
	}
	return ""
}
