package engine

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/berth-dev/berth/engine/launch"
)

func TestMergeConfig(t *testing.T) {
	img := &v1.ConfigFile{Config: v1.Config{
		Entrypoint: []string{"/entry"},
		Cmd:        []string{"default"},
		Env:        []string{"PATH=/bin", "A=image"},
		WorkingDir: "/srv",
		User:       "nobody",
		StopSignal: "SIGQUIT",
		Labels:     map[string]string{"from": "image", "keep": "yes"},
	}}
	ep := func(s string) *string { return &s }
	tests := []struct {
		name     string
		opts     CreateOptions
		wantEP   []string
		wantCmd  []string
		wantEnv  []string
		wantUser string
	}{
		{"image defaults", CreateOptions{}, []string{"/entry"}, []string{"default"}, []string{"PATH=/bin", "A=image"}, "nobody"},
		{"args replace cmd", CreateOptions{Cmd: []string{"x", "y"}}, []string{"/entry"}, []string{"x", "y"}, []string{"PATH=/bin", "A=image"}, "nobody"},
		{"entrypoint drops image cmd", CreateOptions{Entrypoint: ep("/other")}, []string{"/other"}, nil, []string{"PATH=/bin", "A=image"}, "nobody"},
		{"empty entrypoint clears it", CreateOptions{Entrypoint: ep(""), Cmd: []string{"sh"}}, nil, []string{"sh"}, []string{"PATH=/bin", "A=image"}, "nobody"},
		{"env merges by key", CreateOptions{Env: []string{"A=user", "B=new"}, User: "0"}, []string{"/entry"}, []string{"default"}, []string{"PATH=/bin", "A=user", "B=new"}, "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, err := mergeConfig(img, tt.opts)
			if err != nil {
				t.Fatalf("mergeConfig: %v", err)
			}
			if !reflect.DeepEqual(c.Entrypoint, tt.wantEP) || !reflect.DeepEqual(c.Cmd, tt.wantCmd) {
				t.Errorf("entrypoint, cmd = %q %q, want %q %q", c.Entrypoint, c.Cmd, tt.wantEP, tt.wantCmd)
			}
			if !reflect.DeepEqual(c.Env, tt.wantEnv) {
				t.Errorf("env = %q, want %q", c.Env, tt.wantEnv)
			}
			if c.User != tt.wantUser || c.WorkingDir != "/srv" || c.StopSignal != "SIGQUIT" {
				t.Errorf("user, workdir, stop signal = %q %q %q", c.User, c.WorkingDir, c.StopSignal)
			}
		})
	}
	if _, _, err := mergeConfig(img, CreateOptions{WorkingDir: "relative"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("relative workdir: %v, want ErrInvalid", err)
	}
	if _, _, err := mergeConfig(img, CreateOptions{AutoRemove: true, Restart: "always"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("--rm with --restart: %v, want ErrInvalid", err)
	}
}

func TestParseRestartPolicy(t *testing.T) {
	tests := []struct {
		in   string
		want RestartPolicy
		bad  bool
	}{
		{"", RestartPolicy{Name: "no"}, false},
		{"no", RestartPolicy{Name: "no"}, false},
		{"always", RestartPolicy{Name: "always"}, false},
		{"unless-stopped", RestartPolicy{Name: "unless-stopped"}, false},
		{"on-failure", RestartPolicy{Name: "on-failure"}, false},
		{"on-failure:3", RestartPolicy{Name: "on-failure", MaximumRetryCount: 3}, false},
		{"on-failure:x", RestartPolicy{}, true},
		{"always:2", RestartPolicy{}, true},
		{"sometimes", RestartPolicy{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseRestartPolicy(tt.in)
			if (err != nil) != tt.bad || got != tt.want {
				t.Errorf("parseRestartPolicy(%q) = %v, %v, want %v (error %v)", tt.in, got, err, tt.want, tt.bad)
			}
		})
	}
}

func TestShouldRestart(t *testing.T) {
	tests := []struct {
		policy   RestartPolicy
		code     int
		restarts int
		want     bool
	}{
		{RestartPolicy{Name: "no"}, 1, 0, false},
		{RestartPolicy{Name: "always"}, 0, 10, true},
		{RestartPolicy{Name: "on-failure"}, 0, 0, false},
		{RestartPolicy{Name: "on-failure"}, 1, 100, true},
		{RestartPolicy{Name: "on-failure", MaximumRetryCount: 2}, 1, 1, true},
		{RestartPolicy{Name: "on-failure", MaximumRetryCount: 2}, 1, 2, false},
	}
	for _, tt := range tests {
		if got := shouldRestart(tt.policy, tt.code, tt.restarts); got != tt.want {
			t.Errorf("shouldRestart(%v, %d, %d) = %v, want %v", tt.policy, tt.code, tt.restarts, got, tt.want)
		}
	}
}

func TestContainerCaps(t *testing.T) {
	tests := []struct {
		name       string
		priv       bool
		add, drop  []string
		want       int
		has, lacks string
	}{
		{"default", false, nil, nil, len(defaultCaps), "CHOWN", "SYS_ADMIN"},
		{"add", false, []string{"sys_admin"}, nil, len(defaultCaps) + 1, "SYS_ADMIN", ""},
		{"drop", false, nil, []string{"CAP_CHOWN"}, len(defaultCaps) - 1, "KILL", "CHOWN"},
		{"drop all add one", false, []string{"NET_ADMIN"}, []string{"ALL"}, 1, "NET_ADMIN", "CHOWN"},
		{"privileged", true, nil, nil, len(launch.CapNames()), "SYS_ADMIN", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := containerCaps(tt.priv, tt.add, tt.drop)
			if err != nil {
				t.Fatal(err)
			}
			set := map[string]bool{}
			for _, c := range got {
				set[c] = true
			}
			if len(got) != tt.want || !set[tt.has] || (tt.lacks != "" && set[tt.lacks]) {
				t.Errorf("caps = %v (%d), want %d with %s without %s", got, len(got), tt.want, tt.has, tt.lacks)
			}
		})
	}
	if _, err := containerCaps(false, []string{"NOPE"}, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown capability: %v, want ErrInvalid", err)
	}
}

func TestParseMounts(t *testing.T) {
	dir := t.TempDir()
	ms, err := parseMounts([]string{"vol:/data:ro", dir + ":/host", "/anon"}, []string{"/tmp:size=1m"}, nil, map[string]struct{}{"/data": {}, "/image": {}})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		typ, name, dst string
		rw, anon       bool
	}
	var got []row
	for _, m := range ms {
		got = append(got, row{m.Type, m.Name, m.Destination, m.RW, m.Anonymous})
	}
	want := []row{
		{"volume", "vol", "/data", false, false},
		{"bind", "", "/host", true, false},
		{"volume", "", "/anon", true, true},
		{"tmpfs", "", "/tmp", true, false},
		{"volume", "", "/image", true, true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseMounts = %+v, want %+v", got, want)
	}
	for _, bad := range [][]string{{"/nope/x:/y"}, {"rel:dst"}, {"a:/x", "b:/x"}, {"v:/x:rx"}} {
		if _, err := parseMounts(bad, nil, nil, nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("parseMounts(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestParseSignal(t *testing.T) {
	for in, want := range map[string]int{"KILL": 9, "sigterm": 15, "SIGHUP": 1, "9": 9, "RTMIN+1": 35} {
		if got, err := parseSignal(in); err != nil || int(got) != want {
			t.Errorf("parseSignal(%q) = %d, %v, want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"NOPE", "0", "99"} {
		if _, err := parseSignal(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("parseSignal(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestStatusString(t *testing.T) {
	now := mustTime(t, "2024-01-02T03:04:05Z")
	tests := []struct {
		st   containerState
		want string
	}{
		{containerState{Status: StateCreated}, "Created"},
		{containerState{Status: StateRunning, StartedAt: now.Add(-3 * 60e9)}, "Up 3 minutes"},
		{containerState{Status: StateExited, ExitCode: 137, FinishedAt: now.Add(-2e9)}, "Exited (137) 2 seconds ago"},
		{containerState{Status: StatePaused, StartedAt: now.Add(-5e9)}, "Up 5 seconds (Paused)"},
	}
	for _, tt := range tests {
		if got := statusString(tt.st, now); got != tt.want {
			t.Errorf("statusString(%+v) = %q, want %q", tt.st, got, tt.want)
		}
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func TestWithDNS(t *testing.T) {
	host := "# generated\nnameserver 10.0.0.1\nsearch corp.example\noptions ndots:2\n"
	for _, tc := range []struct {
		name string
		h    HostConfig
		want string
	}{
		{"none", HostConfig{}, host},
		{"servers", HostConfig{Dns: []string{"192.0.2.1", "192.0.2.2"}}, "# generated\nsearch corp.example\noptions ndots:2\nnameserver 192.0.2.1\nnameserver 192.0.2.2\n"},
		{"search and options", HostConfig{DnsSearch: []string{"a.example", "b.example"}, DnsOptions: []string{"rotate"}}, "# generated\nnameserver 10.0.0.1\nsearch a.example b.example\noptions rotate\n"},
	} {
		if got := withDNS(host, tc.h); got != tc.want {
			t.Errorf("%s: withDNS = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestParseUlimit(t *testing.T) {
	for in, want := range map[string]Ulimit{
		"nofile=100:200": {Name: "nofile", Soft: 100, Hard: 200},
		"nproc=50":       {Name: "nproc", Soft: 50, Hard: 50},
		"core=-1":        {Name: "core", Soft: -1, Hard: -1},
	} {
		if got, err := parseUlimit(in); err != nil || got != want {
			t.Errorf("parseUlimit(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"nofile", "nofile=x", "nofile=1:y", "nofile=2:1", "nosuch=1", "nofile=-2", "nofile=-1:100"} {
		if _, err := parseUlimit(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("parseUlimit(%q) error = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestMergeHealthcheck(t *testing.T) {
	image := &v1.HealthConfig{Test: []string{"CMD", "probe"}, Interval: 10 * time.Second, Retries: 5}
	for _, tc := range []struct {
		name  string
		image *v1.HealthConfig
		opts  *HealthConfig
		none  bool
		want  *HealthConfig
	}{
		{"none at all", nil, nil, false, nil},
		{"the image's", image, nil, false, &HealthConfig{Test: []string{"CMD", "probe"}, Interval: 10 * time.Second, Retries: 5}},
		{"flags over the image's", image, &HealthConfig{Test: []string{"CMD-SHELL", "curl -f localhost"}, Timeout: time.Second}, false,
			&HealthConfig{Test: []string{"CMD-SHELL", "curl -f localhost"}, Interval: 10 * time.Second, Timeout: time.Second, Retries: 5}},
		{"--no-healthcheck", image, nil, true, &HealthConfig{Test: []string{"NONE"}}},
	} {
		got, err := mergeHealthcheck(tc.image, tc.opts, tc.none)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: mergeHealthcheck = %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
	if _, err := mergeHealthcheck(image, &HealthConfig{Retries: 1}, true); !errors.Is(err, ErrInvalid) {
		t.Errorf("--no-healthcheck with --health-retries: %v, want ErrInvalid", err)
	}
	if _, err := mergeHealthcheck(nil, &HealthConfig{Test: []string{"SHELL", "x"}}, false); !errors.Is(err, ErrInvalid) {
		t.Errorf("an unknown test form: %v, want ErrInvalid", err)
	}
	if cmd := healthCommand(&HealthConfig{Test: []string{"CMD-SHELL", "exit 1"}}); !reflect.DeepEqual(cmd, []string{"/bin/sh", "-c", "exit 1"}) {
		t.Errorf("CMD-SHELL runs %q", cmd)
	}
	if cmd := healthCommand(&HealthConfig{Test: []string{"NONE"}}); cmd != nil {
		t.Errorf("NONE runs %q", cmd)
	}
}

func TestCheckInitBinary(t *testing.T) {
	// Debian's busybox-static is statically linked, its sh is not.
	if err := checkInitBinary("/bin/busybox"); err != nil {
		t.Errorf("busybox-static refused as an init: %v", err)
	}
	err := checkInitBinary("/bin/sh")
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "CGO_ENABLED=0") {
		t.Errorf("a dynamically linked binary as an init: %v, want an invalid-argument error naming CGO_ENABLED=0", err)
	}
	if err := checkInitBinary("/etc/passwd"); err == nil {
		t.Error("a file that is no program accepted as an init")
	}
}
