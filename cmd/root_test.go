package cmd

import (
	"slices"
	"testing"

	"github.com/spf13/pflag"

	"github.com/berth-dev/berth/engine/spawn"
)

// The early fork of berth run's monitor (package spawn) finds the
// subcommand by skipping the global flags that take a value; it must know
// every one of them.
func TestEarlyRunKnowsTheGlobalFlags(t *testing.T) {
	root := newRoot(&app{})
	var withValue []string
	root.PersistentFlags().VisitAll(func(f *pflag.Flag) {
		if f.NoOptDefVal == "" {
			withValue = append(withValue, f.Name)
		}
	})
	slices.Sort(withValue)
	known := slices.Sorted(slices.Values(spawn.GlobalValueFlags))
	if !slices.Equal(withValue, known) {
		t.Errorf("global flags with a value = %q, spawn.GlobalValueFlags = %q", withValue, known)
	}
	for _, f := range withValue {
		if args := []string{"berth", "--" + f, "x", "run", "bb"}; !spawn.IsRunCommand(args) {
			t.Errorf("IsRunCommand(%q) = false", args)
		}
	}
}
