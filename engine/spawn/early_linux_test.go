package spawn

import (
	"os"
	"testing"
)

func TestIsRunCommand(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want bool
	}{
		{[]string{"berth", "run", "--rm", "bb", "true"}, true},
		{[]string{"/usr/local/bin/berth", "run", "-d", "bb"}, true},
		{[]string{"berth", "--root", "/tmp/r", "run", "bb"}, true},
		{[]string{"berth", "--root=/tmp/r", "-D", "run", "bb"}, true},
		{[]string{"berth", "--log-level", "debug", "container", "run", "bb"}, true},
		{[]string{"berth", "--root", "run", "ps"}, false}, // "run" is the root's value
		{[]string{"berth", "ps"}, false},
		{[]string{"berth", "container", "ls"}, false},
		{[]string{"berth", "exec", "c", "run"}, false},
		{[]string{"berth"}, false},
		{[]string{"berth", "--", "run"}, false},
		{[]string{"berth-monitor", "run"}, false},
		{[]string{"cmd.test", "run"}, false},
	} {
		if got := IsRunCommand(tt.args); got != tt.want {
			t.Errorf("IsRunCommand(%q) = %v, want %v", tt.args, got, tt.want)
		}
	}
}

func TestCreatedMessage(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Created
		ok   bool
	}{
		{"1 /var/lib/berth", Created{Root: "/var/lib/berth", Attach: true}, true},
		{"0 /tmp/a b", Created{Root: "/tmp/a b"}, true},
		{"", Created{}, false},
		{"1", Created{}, false},
		{"x /r", Created{}, false},
	} {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		w.WriteString(tt.in)
		w.Close()
		got, ok := ReadCreated(r)
		r.Close()
		if ok != tt.ok || got != tt.want {
			t.Errorf("ReadCreated(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
