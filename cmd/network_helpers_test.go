package cmd

import (
	"sort"

	"github.com/spf13/pflag"
)

func newFlagSet() *pflag.FlagSet { return pflag.NewFlagSet("test", pflag.ContinueOnError) }

func sortStrings(s []string) { sort.Strings(s) }
