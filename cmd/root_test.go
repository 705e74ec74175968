package cmd

import (
	"bytes"
	"slices"
	"testing"

	"github.com/spf13/pflag"

	"github.com/berth-dev/berth/engine/spawn"
)

// The early fork of berth run's monitor (package spawn) finds the
// subcommand by skipping the global flags that take a value; it must know
// every one of them.
func TestEarlyRunKnowsTheGlobalFlags(t *testing.T) {
	root := newRoot(&app{}, nil)
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

func TestCommandsAreMadeByName(t *testing.T) {
	a := &app{}
	seen := map[string]bool{}
	for _, c := range commands(a) {
		if got := c.make().Name(); got != c.name {
			t.Errorf("command listed as %q is %q", c.name, got)
		}
		if seen[c.name] {
			t.Errorf("command %q listed twice", c.name)
		}
		seen[c.name] = true
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--rm", "bb"}, "run"},
		{[]string{"--root", "/x", "-D", "ps"}, "ps"},
		{[]string{"--root=/x", "--debug", "container", "ls"}, "container"},
		{[]string{"--insecure-registry", "r:5000", "pull", "r:5000/a"}, "pull"},
		{[]string{"--no-such-flag", "ps"}, ""},
		{[]string{"--", "ps"}, ""},
		{[]string{"--help"}, ""},
		{nil, ""},
	} {
		root := newRoot(a, tt.args)
		if got := commandName(root, tt.args); got != tt.want {
			t.Errorf("commandName(%q) = %q, want %q", tt.args, got, tt.want)
		}
		n := len(root.Commands())
		if tt.want != "" && (n != 1 || root.Commands()[0].Name() != tt.want) {
			t.Errorf("newRoot(%q) has %d commands, want only %s", tt.args, n, tt.want)
		}
		if tt.want == "" && n != len(commands(a)) {
			t.Errorf("newRoot(%q) has %d commands, want all %d", tt.args, n, len(commands(a)))
		}
	}
}

func TestInspectTemplateNumbers(t *testing.T) {
	obj := struct {
		Pid      int
		ExitCode int
		CPUs     float64
	}{Pid: 4194304, ExitCode: 0, CPUs: 1.5}
	var out bytes.Buffer
	if err := printInspect(&out, `{{.Pid}} {{if eq .ExitCode 0}}ok{{end}} {{.CPUs}}`, []any{obj}); err != nil {
		t.Fatalf("printInspect: %v", err)
	}
	if got := out.String(); got != "4194304 ok 1.5\n" {
		t.Errorf("template output = %q, want large integers whole and comparable", got)
	}
}

func TestMountFlag(t *testing.T) {
	for _, tc := range []struct{ in, volume, tmpfs string }{
		{"type=bind,source=/srv/data,target=/data", "/srv/data:/data", ""},
		{"type=bind,src=/srv,dst=/srv,readonly", "/srv:/srv:ro", ""},
		{"type=volume,source=cache,target=/cache,volume-nocopy", "cache:/cache:nocopy", ""},
		{"target=/anon", "/anon", ""},
		{"type=volume,src=v,dst=/v,readonly=true", "v:/v:ro", ""},
		{"type=tmpfs,target=/scratch,tmpfs-size=1m,tmpfs-mode=1777", "", "/scratch:size=1m,mode=1777"},
	} {
		v, tm, err := mountFlag(tc.in)
		if err != nil || v != tc.volume || tm != tc.tmpfs {
			t.Errorf("mountFlag(%q) = %q, %q, %v; want %q, %q", tc.in, v, tm, err, tc.volume, tc.tmpfs)
		}
	}
	for _, bad := range []string{
		"type=bind,target=/x", "type=bind,src=name,dst=/x", "type=volume,src=/abs,dst=/x",
		"type=tmpfs,src=x,dst=/x", "type=nfs,dst=/x", "src=v", "type=volume,dst=/x,colour=blue",
	} {
		if _, _, err := mountFlag(bad); err == nil {
			t.Errorf("mountFlag(%q) accepted", bad)
		}
	}
}

// berth --version and -v print one line, as docker --version does; a
// subcommand's -v (run -v, rm -v) stays its own.
func TestVersionFlag(t *testing.T) {
	want := "berth version " + Version + ", build " + commit() + "\n"
	for _, args := range [][]string{{"--version"}, {"-v"}} {
		var out, errOut bytes.Buffer
		if code := Execute(t.Context(), args, IO{Out: &out, Err: &errOut}, nil); code != 0 || out.String() != want {
			t.Errorf("berth %q: exit %d, stdout %q, stderr %q; want exit 0 and %q", args, code, out.String(), errOut.String(), want)
		}
	}
	if f := newRoot(&app{}, []string{"rm"}).Commands()[0].Flags().ShorthandLookup("v"); f == nil || f.Name != "volumes" {
		t.Errorf("rm -v is %v, want --volumes", f)
	}
}
