package cmd

import (
	"strings"

	"github.com/spf13/pflag"
)

// stringList is a repeatable flag's value, as pflag's StringArray: each
// use adds one value, commas and all. pflag's own writes its default
// through encoding/csv as the flag is defined, a 4 KB buffer for each of
// a command's list flags (run has thirty) before the command line is
// even parsed; this one formats its values only when asked.
type stringList struct{ v *[]string }

func (l stringList) Set(s string) error {
	*l.v = append(*l.v, s)
	return nil
}

// String is "" for no values, which pflag's help takes for a default it
// need not show.
func (l stringList) String() string {
	if len(*l.v) == 0 {
		return ""
	}
	return "[" + strings.Join(*l.v, ",") + "]"
}

func (l stringList) Type() string { return "stringArray" }

// listVar defines the repeatable flag name, adding its values to p.
func listVar(fs *pflag.FlagSet, p *[]string, name, usage string) {
	fs.Var(stringList{p}, name, usage)
}

// listVarP is listVar with a one-letter shorthand.
func listVarP(fs *pflag.FlagSet, p *[]string, name, shorthand, usage string) {
	fs.VarP(stringList{p}, name, shorthand, usage)
}
