package cmd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-dev/berth/test/imgtest"
)

// berthBin is a berth binary built for the test, run on a store root of
// its own. Containers need the real binary: berth re-executes itself as
// each container's monitor and init.
type berthBin struct {
	t    *testing.T
	path string
	root string
}

// buildBerth builds berth into a temporary directory and imports a
// busybox image named bb into a fresh store.
func buildBerth(t *testing.T) *berthBin {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("containers need root")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "berth")
	build := exec.Command("go", "build", "-o", bin, "github.com/berth-dev/berth")
	build.Env = append(os.Environ(), "CGO_ENABLED=0") // as make build builds it; --init needs it
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build berth: %v\n%s", err, out)
	}
	b := &berthBin{t: t, path: bin, root: filepath.Join(dir, "root")}
	// A tar rather than imgtest.BusyboxRootfs: its directories get proper
	// modes, which matters to a process without CAP_DAC_OVERRIDE.
	rootfs := filepath.Join(dir, "busybox.tar")
	if err := os.WriteFile(rootfs, imgtest.Tar(t, imgtest.BusyboxEntries(t)...), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := b.run("", "import", "-c", `CMD ["sh"]`, rootfs, "bb"); code != 0 {
		t.Fatalf("import busybox: exit %d: %s", code, errs)
	}
	t.Cleanup(func() {
		// Leave no container running behind a failed test.
		_, ids, _ := b.run("", "ps", "-aq", "--no-trunc")
		for _, id := range strings.Fields(ids) {
			b.run("", "rm", "-f", id)
		}
		// Containers run on the default bridge: remove the store's
		// bridge and firewall chains.
		a := &app{root: b.root, logLevel: "info"}
		if eng, err := a.engine(); err == nil {
			eng.ResetNetworking(context.Background())
			a.logFile.Close()
		}
	})
	return b
}

// run runs berth with args and returns its exit code, stdout and stderr.
func (b *berthBin) run(stdin string, args ...string) (int, string, string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.path, append([]string{"--root", b.root}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		b.t.Fatalf("run berth %v: %v", args, err)
	}
	return code, out.String(), errb.String()
}

// ok runs berth and fails the test unless it exits 0; it returns stdout.
func (b *berthBin) ok(args ...string) string {
	b.t.Helper()
	code, out, errs := b.run("", args...)
	if code != 0 {
		b.t.Fatalf("berth %s: exit %d: %s%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// refused runs berth with args and checks that it fails as an engine
// error should: exit 125, nothing on stdout, one line on stderr naming
// want, and no container left behind.
func (b *berthBin) refused(t *testing.T, want string, args ...string) {
	t.Helper()
	before := b.ok("ps", "-aq")
	code, out, errs := b.run("", args...)
	if code != 125 || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, want) {
		t.Errorf("berth %q: exit %d, %q / %q; want 125 and one error line with %q", args, code, out, errs, want)
	}
	if after := b.ok("ps", "-aq"); after != before {
		t.Errorf("berth %q left containers: %q, was %q", args, after, before)
	}
}

// inspect returns container ref's inspect document.
func (b *berthBin) inspect(ref string) map[string]any {
	b.t.Helper()
	var docs []map[string]any
	if err := json.Unmarshal([]byte(b.ok("inspect", "--type", "container", ref)), &docs); err != nil || len(docs) != 1 {
		b.t.Fatalf("inspect %s: %v", ref, err)
	}
	return docs[0]
}

func stateOf(doc map[string]any) map[string]any { return doc["State"].(map[string]any) }

// actions returns the actions of the events of container ref in the last
// ten minutes, space-separated, once the last is last (or after 10 s):
// a --rm container's last events follow the end of its run.
func (b *berthBin) actions(ref, last string) string {
	b.t.Helper()
	var got string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		got = b.ok("events", "--since", "10m", "--until", "0s", "--filter", "container="+ref, "--format", "{{.Action}}")
		if strings.HasSuffix(got, last+"\n") {
			break
		}
	}
	return strings.Join(strings.Fields(got), " ")
}

// waitOutput follows container id's log (logs -f) until a line of output
// equals line.
func (b *berthBin) waitOutput(id, line string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.path, "--root", b.root, "logs", "-f", id)
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.t.Fatal(err)
	}
	defer cmd.Wait()
	defer cancel()
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if sc.Text() == line {
			return
		}
	}
	b.t.Fatalf("logs -f %s ended without the line %q", id, line)
}

func TestContainerIsolation(t *testing.T) {
	b := buildBerth(t)
	tests := []struct {
		name  string
		flags []string
		cmd   []string
		want  string
	}{
		{"pid 1", nil, []string{"sh", "-c", "echo $$"}, "1\n"},
		{"hostname", []string{"--hostname", "box1"}, []string{"hostname"}, "box1\n"},
		{"default capabilities", nil, []string{"sh", "-c", "grep CapEff /proc/self/status"}, "CapEff:\t00000000a80425fb\n"},
		{"no inheritable capabilities", nil, []string{"sh", "-c", "grep CapInh /proc/self/status"}, "CapInh:\t0000000000000000\n"},
		{"no_new_privs", nil, []string{"sh", "-c", "grep NoNewPrivs /proc/self/status"}, "NoNewPrivs:\t1\n"},
		{"proc is the container's", nil, []string{"sh", "-c", "echo /proc/[0-9]*"}, "/proc/1\n"},
		{"cap-drop all", []string{"--cap-drop", "ALL"}, []string{"sh", "-c", "grep CapBnd /proc/self/status"}, "CapBnd:\t0000000000000000\n"},
		{"sys read-only", nil, []string{"sh", "-c", "touch /sys/x 2>/dev/null && echo writable || echo read-only"}, "read-only\n"},
		{"proc timer_list masked", nil, []string{"sh", "-c", "wc -c < /proc/timer_list"}, "0\n"},
		{"user from passwd", []string{"-u", "nobody"}, []string{"id"}, "uid=65534(nobody) gid=65534(nobody)"},
		{"uid:gid", []string{"-u", "1000:1000"}, []string{"sh", "-c", "id -u; id -g"}, "1000\n1000\n"},
		{"workdir created", []string{"-w", "/new/dir"}, []string{"pwd"}, "/new/dir\n"},
		{"env", []string{"-e", "FOO=bar"}, []string{"sh", "-c", "echo $FOO $HOSTNAME"}, "bar "},
		{"network none: only lo", []string{"--network", "none"}, []string{"sh", "-c", "ls /sys/class/net"}, "lo\n"},
		{"no_new_privs", nil, []string{"sh", "-c", "grep NoNewPrivs /proc/self/status"}, "NoNewPrivs:\t1\n"},
		{"fds closed", nil, []string{"sh", "-c", "ls /proc/self/fd | wc -l"}, "4\n"},
		{"read-only rootfs", []string{"--read-only"}, []string{"sh", "-c", "touch /x 2>/dev/null && echo writable || echo read-only"}, "read-only\n"},
		{"tmpfs", []string{"--tmpfs", "/scratch"}, []string{"sh", "-c", "grep -c ' /scratch ' /proc/mounts"}, "1\n"},
		{"--mount tmpfs", []string{"--mount", "type=tmpfs,target=/scratch,tmpfs-size=1m"}, []string{"sh", "-c", "grep ' /scratch ' /proc/mounts | grep -o 'size=[0-9]*k'"}, "size=1024k\n"},
		{"memory limit in /sys/fs/cgroup", []string{"-m", "64m"}, []string{"sh", "-c", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max"}, "67108864\n"},
		{"/sys/fs/cgroup read-only", nil, []string{"sh", "-c", "mkdir /sys/fs/cgroup/x 2>/dev/null && echo writable || echo read-only"}, "read-only\n"},
		{"add-host", []string{"--add-host", "mydb:10.0.0.5"}, []string{"sh", "-c", "grep mydb /etc/hosts"}, "10.0.0.5\tmydb\n"},
		{"dns", []string{"--dns", "192.0.2.1", "--dns-search", "example.com"}, []string{"sh", "-c", "grep -E '^(nameserver|search)' /etc/resolv.conf"}, "nameserver 192.0.2.1\nsearch example.com\n"},
		{"shm-size", []string{"--shm-size", "1m"}, []string{"sh", "-c", "grep ' /dev/shm ' /proc/mounts | grep -o 'size=[0-9]*k'"}, "size=1024k\n"},
		{"ulimit", []string{"--ulimit", "nofile=100:200"}, []string{"sh", "-c", "ulimit -n; ulimit -Hn"}, "100\n200\n"},
		{"sysctl", []string{"--sysctl", "net.core.somaxconn=1234", "--sysctl", "kernel.shmmni=1000", "--sysctl", "net.ipv4.conf.eth0.rp_filter=2"},
			[]string{"sh", "-c", "cat /proc/sys/net/core/somaxconn /proc/sys/kernel/shmmni /proc/sys/net/ipv4/conf/eth0/rp_filter"}, "1234\n1000\n2\n"},
		{"group-add", []string{"--group-add", "1234", "--group-add", "nobody"}, []string{"sh", "-c", "grep Groups /proc/self/status"}, "Groups:\t1234 65534 \n"},
		{"domainname", []string{"--domainname", "example.org"}, []string{"cat", "/proc/sys/kernel/domainname"}, "example.org\n"},
		{"seccomp filter", nil, []string{"sh", "-c", "grep Seccomp: /proc/self/status"}, "Seccomp:\t2\n"},
		{"no user namespaces", nil, []string{"sh", "-c", "unshare -U true 2>&1 || echo refused"}, "unshare: unshare(0x10000000): Operation not permitted\nrefused\n"},
		{"seccomp unconfined", []string{"--security-opt", "seccomp=unconfined"}, []string{"sh", "-c", "grep Seccomp: /proc/self/status"}, "Seccomp:\t0\n"},
		{"privileged", []string{"--privileged"}, []string{"sh", "-c", "grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status"}, "NoNewPrivs:\t0\nSeccomp:\t0\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append(append([]string{"run", "--rm"}, tt.flags...), "bb"), tt.cmd...)
			code, out, errs := b.run("", args...)
			if code != 0 {
				t.Fatalf("run: exit %d: %s", code, errs)
			}
			if !strings.HasPrefix(out, tt.want) {
				t.Errorf("output = %q, want %q", out, tt.want)
			}
		})
	}
	t.Run("device", func(t *testing.T) {
		if _, err := os.Stat("/dev/fuse"); err != nil {
			t.Skip("this kernel has no /dev/fuse to hand over")
		}
		if out := b.ok("run", "--rm", "--device", "/dev/fuse", "bb", "sh", "-c", "exec 3<>/dev/fuse && echo opened"); out != "opened\n" {
			t.Errorf("with --device /dev/fuse: %q", out)
		}
		// Read-only: the cgroup refuses a write open.
		code, out, _ := b.run("", "run", "--rm", "--device", "/dev/fuse:/dev/f:r", "bb", "sh", "-c", "exec 3</dev/f && echo read; exec 4<>/dev/f && echo written")
		if out != "read\n" || code == 0 {
			t.Errorf("with --device /dev/fuse:/dev/f:r: %d %q, want the read only", code, out)
		}
		if out := b.ok("run", "--rm", "--privileged", "bb", "sh", "-c", "exec 3<>/dev/fuse && echo opened"); out != "opened\n" {
			t.Errorf("a privileged container has no usable /dev/fuse: %q", out)
		}
		// Without it, even a node made inside cannot be opened.
		if out := b.ok("run", "--rm", "bb", "sh", "-c", "mknod /tmp/f c 10 229; (exec 3<>/tmp/f) 2>/dev/null && echo opened || echo refused"); out != "refused\n" {
			t.Errorf("a device node made without --device: %q", out)
		}
	})
	t.Run("host namespaces", func(t *testing.T) {
		init, err := os.ReadFile("/proc/1/comm")
		if err != nil {
			t.Fatal(err)
		}
		if out := b.ok("run", "--rm", "--pid", "host", "bb", "sh", "-c", "echo $$; cat /proc/1/comm"); strings.HasPrefix(out, "1\n") || !strings.HasSuffix(out, "\n"+string(init)) {
			t.Errorf("--pid host: %q, want a PID other than 1 and the host's init %q", out, init)
		}
		ipc, _ := os.Readlink("/proc/self/ns/ipc")
		if out := b.ok("run", "--rm", "--ipc", "host", "bb", "readlink", "/proc/self/ns/ipc"); out != ipc+"\n" {
			t.Errorf("--ipc host: %q, want the host's %s", out, ipc)
		}
		host, _ := os.Hostname()
		if out := b.ok("run", "--rm", "--uts", "host", "bb", "hostname"); out != host+"\n" {
			t.Errorf("--uts host: %q, want %q", out, host)
		}
		// Without a PID namespace of its own, what the process leaves
		// behind goes with it.
		b.ok("run", "--rm", "--pid", "host", "bb", "sh", "-c", "sleep 12345 & true")
		procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
		for _, p := range procs {
			if b, _ := os.ReadFile(p); string(b) == "sleep\x0012345\x00" {
				t.Errorf("a process the container left behind still runs: %s", p)
			}
		}
	})
	t.Run("another container's namespaces", func(t *testing.T) {
		id := strings.TrimSpace(b.ok("run", "-d", "--name", "nsowner", "bb", "sleep", "300"))
		t.Cleanup(func() { b.run("", "rm", "-f", id) })
		if out := b.ok("run", "--rm", "--pid", "container:nsowner", "bb", "ps", "-o", "pid,args"); !strings.Contains(out, "1 sleep 300") {
			t.Errorf("--pid container: ps shows\n%s\nwant the other container's process as PID 1", out)
		}
		ipc := b.ok("exec", id, "readlink", "/proc/self/ns/ipc")
		if out := b.ok("run", "--rm", "--ipc", "container:nsowner", "bb", "sh", "-c", "readlink /proc/self/ns/ipc; echo shared > /dev/shm/from-peer"); out != ipc {
			t.Errorf("--ipc container: namespace %q, want the other container's %q", out, ipc)
		}
		if out := b.ok("exec", id, "cat", "/dev/shm/from-peer"); out != "shared\n" {
			t.Errorf("--ipc container: /dev/shm not shared: %q", out)
		}
		mac := b.ok("exec", id, "cat", "/sys/class/net/eth0/address")
		if out := b.ok("run", "--rm", "--network", "container:nsowner", "bb", "sh", "-c", "cat /sys/class/net/eth0/address; hostname"); out != mac+id[:12]+"\n" {
			t.Errorf("--network container: %q, want the other container's interface %q and hostname", out, mac)
		}
		if code, _, errs := b.run("", "run", "--rm", "--network", "container:nsowner", "-p", "8080:80", "bb", "true"); code != 125 || !strings.Contains(errs, "conflicting options: port publishing and the network mode") {
			t.Errorf("--network container: with -p = %d %q", code, errs)
		}
		b.ok("stop", "-t", "0", id)
		for _, flag := range []string{"--pid", "--network"} {
			if code, _, errs := b.run("", "run", "--rm", flag, "container:nsowner", "bb", "true"); code != 125 || !strings.Contains(errs, "it is not running") {
				t.Errorf("%s of a stopped container = %d %q", flag, code, errs)
			}
		}
	})
	t.Run("add-host host-gateway", func(t *testing.T) {
		out := b.ok("run", "--rm", "--add-host", "host.docker.internal:host-gateway", "bb", "grep", "host.docker.internal", "/etc/hosts")
		gw := strings.TrimSpace(b.ok("network", "inspect", "bridge", "-f", "{{range .IPAM.Config}}{{.Gateway}}{{end}}"))
		if gw == "" || out != gw+"\thost.docker.internal\n" {
			t.Errorf("hosts entry = %q, want the default bridge's gateway %q", out, gw)
		}
	})
	t.Run("no host mounts", func(t *testing.T) {
		out := b.ok("run", "--rm", "bb", "cat", "/proc/self/mountinfo")
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			f := strings.Fields(line)
			if len(f) < 5 {
				continue
			}
			mp := f[4]
			if strings.HasPrefix(mp, b.root) || mp == "/work" || strings.HasPrefix(mp, "/run/berth") {
				t.Errorf("host mount visible in container: %s", line)
			}
		}
	})
	t.Run("the rootfs of a --rm container only is volatile", func(t *testing.T) {
		// Its unmount then does not sync the store's filesystem.
		rootOpts := func(args ...string) string {
			out := b.ok(append(args, "bb", "grep", " / / ", "/proc/self/mountinfo")...)
			return strings.TrimSpace(out)
		}
		if opts := rootOpts("run", "--rm"); !strings.Contains(opts, "volatile") {
			t.Errorf("run --rm: rootfs mount %q, want volatile", opts)
		}
		name := "keeps-rootfs"
		defer b.run("", "rm", name)
		if opts := rootOpts("run", "--name", name); strings.Contains(opts, "volatile") {
			t.Errorf("run: rootfs mount %q, want it synced", opts)
		}
	})
}

func TestContainerExitCodes(t *testing.T) {
	b := buildBerth(t)
	// A file that claims to be executable but is no program: its execve,
	// the last step of the process's start, fails.
	garbage := filepath.Join(t.TempDir(), "garbage")
	if err := os.WriteFile(garbage, []byte("\x00\x01 not a program"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		flags   []string
		args    []string
		code    int
		errWant string
	}{
		{"zero", nil, []string{"true"}, 0, ""},
		{"three", nil, []string{"sh", "-c", "exit 3"}, 3, ""},
		{"not found", nil, []string{"nosuch"}, 127, `exec: "nosuch": executable file not found in $PATH`},
		{"not executable", nil, []string{"/etc/passwd"}, 126, "permission denied"},
		{"not a program", []string{"-v", garbage + ":/garbage"}, []string{"/garbage"}, 126, `exec: "/garbage": exec format error`},
		{"workdir is a file", []string{"-w", "/etc/passwd"}, []string{"true"}, 126, "not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{"run", "--rm"}, tt.flags...), "bb")
			code, _, errs := b.run("", append(args, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tt.code, errs)
			}
			if !strings.Contains(errs, tt.errWant) {
				t.Errorf("stderr = %q, want it to contain %q", errs, tt.errWant)
			}
		})
	}
	t.Run("unknown flag", func(t *testing.T) {
		code, _, errs := b.run("", "run", "--rm", "--image-is-not-a-flag")
		if code != 125 || !strings.Contains(errs, "unknown flag") {
			t.Errorf("run --image-is-not-a-flag = %d %q, want 125 and unknown flag", code, errs)
		}
	})
	t.Run("labels from a file and exposed ports", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "labels")
		if err := os.WriteFile(file, []byte("team=core\n# a comment\nowner=ops\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		id := strings.TrimSpace(b.ok("create", "--label-file", file, "-l", "owner=me", "--expose", "8000-8001", "--expose", "53/udp", "bb", "true"))
		t.Cleanup(func() { b.run("", "rm", id) })
		out := b.ok("inspect", "-f", "{{json .Config.Labels}} {{json .Config.ExposedPorts}}", id)
		if want := `{"owner":"me","team":"core"} {"53/udp":{},"8000/tcp":{},"8001/tcp":{}}` + "\n"; out != want {
			t.Errorf("labels and exposed ports = %s, want %s (-l over the file)", out, want)
		}
	})
	t.Run("cidfile", func(t *testing.T) {
		cid := filepath.Join(t.TempDir(), "cid")
		out := strings.TrimSpace(b.ok("run", "-d", "--cidfile", cid, "bb", "true"))
		if got, _ := os.ReadFile(cid); string(got) != out {
			t.Errorf("--cidfile holds %q, want the container's ID %q", got, out)
		}
		b.ok("rm", "-f", out)
		if code, _, errs := b.run("", "run", "--rm", "--cidfile", cid, "bb", "true"); code != 125 || !strings.Contains(errs, "container ID file found") {
			t.Errorf("--cidfile of an existing file = %d %q", code, errs)
		}
	})
	t.Run("bad host options", func(t *testing.T) {
		for _, tc := range []struct{ flag, value, want string }{
			{"--ulimit", "nofile=200:100", "soft limit must be less than or equal to hard limit"},
			{"--ulimit", "nosuch=1", "invalid ulimit type: nosuch"},
			{"--add-host", "nocolon", "want HOST:IP"},
			{"--dns", "not.an.ip", "not.an.ip is not an ip address"},
			{"--shm-size", "lots", "invalid size"},
			{"--device", "/dev/nosuch", `adding custom device "/dev/nosuch": no such file or directory`},
			{"--device", "/etc/passwd", "not a device node"},
			{"--pid", "container:nosuch", "no such container: nosuch"},
			{"--uts", "container:other", `invalid --uts mode "container:other": want host`},
			{"--ipc", "none", `invalid --ipc mode "none"`},
			{"--sysctl", "vm.swappiness=1", `sysctl "vm.swappiness" is not allowed`},
			{"--expose", "80/xyz", `invalid --expose: invalid port specification: "80/xyz"`},
		} {
			code, _, errs := b.run("", "run", "--rm", tc.flag, tc.value, "bb", "true")
			if code != 125 || !strings.Contains(errs, tc.want) {
				t.Errorf("run %s %s = %d %q, want 125 and %q", tc.flag, tc.value, code, errs, tc.want)
			}
		}
	})
	t.Run("unsupported security option", func(t *testing.T) {
		code, _, errs := b.run("", "run", "--rm", "--security-opt", "seccomp=/etc/profile.json", "bb", "true")
		if code != 125 || !strings.Contains(errs, "seccomp profiles are not supported") {
			t.Errorf("run --security-opt seccomp=FILE = %d %q, want 125 and the reason", code, errs)
		}
	})
	t.Run("no such image", func(t *testing.T) {
		code, _, errs := b.run("", "run", "--pull", "never", "nosuch")
		if code != 125 || !strings.Contains(errs, "no such image") {
			t.Errorf("run --pull never nosuch = %d %q, want 125 and no such image", code, errs)
		}
		// Without --pull never, run tries the registry first, which
		// has no such image or cannot be reached: 125 all the same.
		code, _, errs = b.run("", "run", "nosuch.invalid/none")
		if code != 125 || !strings.Contains(errs, "Unable to find image 'nosuch.invalid/none:latest' locally") || !strings.Contains(errs, "Error: ") {
			t.Errorf("run of an image in no registry = %d %q, want 125 and the failed pull", code, errs)
		}
	})
	t.Run("sigkill 137", func(t *testing.T) {
		id := strings.TrimSpace(b.ok("run", "-d", "bb", "sleep", "100"))
		b.ok("kill", id)
		if out := b.ok("wait", id); out != "137\n" {
			t.Errorf("wait after kill = %q, want 137", out)
		}
	})
	t.Run("stop 143", func(t *testing.T) {
		// PID 1 only receives signals it handles; the handler exits as a
		// process killed by SIGTERM would. The stop waits for the handler:
		// a SIGTERM before it is ignored.
		id := strings.TrimSpace(b.ok("run", "-d", "bb", "sh", "-c", `trap "exit 143" TERM; echo trapped; while :; do sleep 0.05; done`))
		b.waitOutput(id, "trapped")
		b.ok("stop", id)
		if st := stateOf(b.inspect(id)); st["ExitCode"].(float64) != 143 || st["Status"] != "exited" {
			t.Errorf("after stop: %v, want exited with 143", st)
		}
	})
	t.Run("stop escalates to sigkill", func(t *testing.T) {
		id := strings.TrimSpace(b.ok("run", "-d", "bb", "sleep", "100"))
		start := time.Now()
		b.ok("stop", "-t", "1", id)
		if d := time.Since(start); d < time.Second {
			t.Errorf("stop returned after %v, before its timeout", d)
		}
		if code := stateOf(b.inspect(id))["ExitCode"].(float64); code != 137 {
			t.Errorf("exit code = %v, want 137", code)
		}
	})
}

func TestContainerLimits(t *testing.T) {
	b := buildBerth(t)
	t.Run("oom", func(t *testing.T) {
		code, _, errs := b.run("", "run", "--name", "hog", "-m", "16m", "bb", "sh", "-c", `x=aaaaaaaaaaaaaaaa; while :; do x="$x$x"; done`)
		if code != 137 {
			t.Fatalf("memory hog exit = %d, want 137 (%s)", code, errs)
		}
		if st := stateOf(b.inspect("hog")); st["OOMKilled"] != true {
			t.Errorf("OOMKilled = %v, want true", st["OOMKilled"])
		}
		if got, want := b.actions("hog", "die"), "create start oom die"; got != want {
			t.Errorf("events of the hog: %q, want %q", got, want)
		}
		code, _, errs = b.run("", "run", "--rm", "--name", "rm-hog", "-m", "16m", "bb", "sh", "-c", `x=aaaaaaaaaaaaaaaa; while :; do x="$x$x"; done`)
		if code != 137 {
			t.Fatalf("memory hog run --rm exit = %d, want 137 (%s)", code, errs)
		}
		if got, want := b.actions("rm-hog", "destroy"), "create start oom die destroy"; got != want {
			t.Errorf("events of the --rm hog: %q, want %q", got, want)
		}
	})
	t.Run("oom killer disabled, swappiness", func(t *testing.T) {
		if _, err := os.Stat("/sys/fs/cgroup/memory/memory.oom_control"); err != nil {
			t.Skip("no cgroup v1 memory hierarchy on this host")
		}
		out := b.ok("run", "--rm", "--memory-swappiness", "10", "bb", "cat", "/sys/fs/cgroup/memory/memory.swappiness")
		if out != "10\n" {
			t.Errorf("memory.swappiness inside = %q, want 10", out)
		}
		id := strings.TrimSpace(b.ok("run", "-d", "-m", "16m", "--oom-kill-disable", "bb", "sh", "-c", `x=aaaaaaaaaaaaaaaa; while :; do x="$x$x"; done`))
		// At its limit the hog waits for memory instead of being killed.
		control := filepath.Join("/sys/fs/cgroup/memory/berth", id, "memory.oom_control")
		deadline := time.Now().Add(20 * time.Second)
		for {
			ctl, _ := os.ReadFile(control)
			if strings.Contains(string(ctl), "under_oom 1") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the hog never reached its limit: %s = %q", control, ctl)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if st := stateOf(b.inspect(id)); st["Status"] != "running" || st["OOMKilled"] != false {
			t.Errorf("hog at its limit with the OOM killer off: Status %v, OOMKilled %v; want running, false", st["Status"], st["OOMKilled"])
		}
		if h := b.inspect(id)["HostConfig"].(map[string]any); h["OomKillDisable"] != true || h["MemorySwappiness"] != nil {
			t.Errorf("HostConfig OomKillDisable %v, MemorySwappiness %v", h["OomKillDisable"], h["MemorySwappiness"])
		}
		b.ok("rm", "-f", id)
		if code, _, errs := b.run("", "run", "--rm", "--memory-swappiness", "101", "bb", "true"); code != 125 || errs != "Error: Invalid value: 101, valid memory swappiness range is 0-100\n" {
			t.Errorf("--memory-swappiness 101 = %d %q", code, errs)
		}
	})
	t.Run("pids", func(t *testing.T) {
		_, _, errs := b.run("", "run", "--rm", "--pids-limit", "4", "bb", "sh", "-c",
			"for i in 1 2 3 4 5 6 7 8; do sleep 1 & done; wait")
		if !strings.Contains(errs, "can't fork") {
			t.Errorf("8 processes under --pids-limit 4: stderr %q, want a fork failure", errs)
		}
		if _, _, errs := b.run("", "run", "--rm", "--pids-limit", "20", "bb", "sh", "-c",
			"for i in 1 2 3 4 5 6 7 8; do sleep 1 & done; wait"); errs != "" {
			t.Errorf("8 processes under --pids-limit 20: stderr %q", errs)
		}
	})
	t.Run("memory limit visible in stats", func(t *testing.T) {
		id := strings.TrimSpace(b.ok("run", "-d", "-m", "32m", "bb", "sleep", "100"))
		out := b.ok("stats", "--no-stream", "--format", "{{.MemUsage}}", id)
		if !strings.Contains(out, "/ 32MiB") {
			t.Errorf("stats mem = %q, want a 32MiB limit", out)
		}
		b.ok("rm", "-f", id)
	})
	t.Run("cpu shares and swap", func(t *testing.T) {
		if _, err := os.Stat("/sys/fs/cgroup/cpu/cpu.shares"); err != nil {
			t.Skip("no cgroup v1 cpu hierarchy on this host")
		}
		out := b.ok("run", "--rm", "-m", "64m", "--memory-swap", "128m", "-c", "512", "bb", "sh", "-c",
			"cat /sys/fs/cgroup/cpu/cpu.shares; cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes 2>/dev/null || echo 134217728")
		if out != "512\n134217728\n" {
			t.Errorf("cpu.shares and memory+swap limit = %q, want 512 and 128MiB", out)
		}
		code, _, errs := b.run("", "run", "--rm", "-m", "64m", "--memory-swap", "32m", "bb", "true")
		if code != 125 || !strings.Contains(errs, "below memory limit") {
			t.Errorf("--memory-swap below --memory = %d %q", code, errs)
		}
	})
	t.Run("cpu bandwidth, cpuset, reservation and oom score", func(t *testing.T) {
		if _, err := os.Stat("/sys/fs/cgroup/cpu/cpu.cfs_period_us"); err != nil {
			t.Skip("no cgroup v1 cpu hierarchy on this host")
		}
		online, err := os.ReadFile("/sys/devices/system/cpu/online")
		if err != nil {
			t.Fatal(err)
		}
		// The last online CPU: "0-1" gives 1, "0" gives 0.
		cpu := strings.TrimSpace(string(online))
		cpu = cpu[strings.LastIndexAny(cpu, "-,")+1:]
		out := b.ok("run", "--rm", "--cpuset-cpus", cpu, "--cpu-period", "50000", "--cpu-quota", "25000",
			"--memory-reservation", "32m", "--oom-score-adj", "500", "bb", "sh", "-c",
			"grep Cpus_allowed_list /proc/self/status; cat /proc/self/oom_score_adj /sys/fs/cgroup/cpu/cpu.cfs_period_us /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/memory/memory.soft_limit_in_bytes")
		if want := "Cpus_allowed_list:\t" + cpu + "\n500\n50000\n25000\n33554432\n"; out != want {
			t.Errorf("limits seen inside = %q, want %q", out, want)
		}
		id := strings.TrimSpace(b.ok("run", "-d", "bb", "sh", "-c", "sleep 100"))
		t.Cleanup(func() { b.run("", "rm", "-f", id) })
		b.ok("update", "--cpuset-cpus", cpu, "--cpu-quota", "30000", id)
		if out := b.ok("exec", id, "sh", "-c", "grep Cpus_allowed_list /proc/1/status /proc/self/status; cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us"); out != "/proc/1/status:Cpus_allowed_list:\t"+cpu+"\n/proc/self/status:Cpus_allowed_list:\t"+cpu+"\n30000\n" {
			t.Errorf("after update --cpuset-cpus %s --cpu-quota 30000: %q", cpu, out)
		}
		h := b.inspect(id)["HostConfig"].(map[string]any)
		if h["CpusetCpus"] != cpu || h["CpuQuota"].(float64) != 30000 || h["OomScoreAdj"].(float64) != 0 {
			t.Errorf("HostConfig CpusetCpus %v, CpuQuota %v, OomScoreAdj %v", h["CpusetCpus"], h["CpuQuota"], h["OomScoreAdj"])
		}
		if code, _, errs := b.run("", "update", "--cpus", "1", id); code != 1 || errs != "Error: conflicting options: --cpus and --cpu-quota cannot both be set\n" {
			t.Errorf("update --cpus over --cpu-quota = %d %q", code, errs)
		}
		before := b.ok("ps", "-aq")
		for _, bad := range []struct {
			flags []string
			err   string
		}{
			{[]string{"--cpuset-cpus", "0-4096"}, "requested CPUs are not available"},
			{[]string{"--cpuset-cpus", "1-0"}, "invalid value 1-0 for cpuset cpus"},
			{[]string{"--cpuset-mems", "64"}, "requested memory nodes are not available"},
			{[]string{"--cpus", "1", "--cpu-period", "50000"}, "--cpus and --cpu-period cannot both be set"},
			{[]string{"--cpu-period", "10"}, "CPU cfs period can not be less than 1ms"},
			{[]string{"--cpu-quota", "10"}, "CPU cfs quota can not be less than 1ms"},
			{[]string{"-m", "8m", "--memory-reservation", "16m"}, "memory limit can not be less than memory reservation"},
			{[]string{"--oom-score-adj", "1001"}, "range for oom score adj is [-1000, 1000]"},
		} {
			code, _, errs := b.run("", append(append([]string{"run", "--rm"}, bad.flags...), "bb", "true")...)
			if code != 125 || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, bad.err) {
				t.Errorf("run %v = %d %q, want 125 and one line with %q", bad.flags, code, errs, bad.err)
			}
		}
		if after := b.ok("ps", "-aq"); after != before {
			t.Errorf("refused runs left containers: ps -aq %q, was %q", after, before)
		}
	})
	t.Run("block io", func(t *testing.T) { testBlockIO(t, b) })
	t.Run("health check", func(t *testing.T) {
		id := strings.TrimSpace(b.ok("run", "-d", "--health-cmd", "echo probing; test -f /tmp/ok", "--health-interval", "100ms", "--health-retries", "2", "bb", "sleep", "300"))
		t.Cleanup(func() { b.run("", "rm", "-f", id) })
		health := func(want string) map[string]any {
			t.Helper()
			deadline := time.Now().Add(20 * time.Second)
			for {
				h, _ := stateOf(b.inspect(id))["Health"].(map[string]any)
				if h != nil && h["Status"] == want {
					return h
				}
				if time.Now().After(deadline) {
					t.Fatalf("health never became %s: %v", want, h)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		h := health("unhealthy")
		if n := h["FailingStreak"].(float64); n < 2 {
			t.Errorf("unhealthy after %v failures, want 2 or more", n)
		}
		if out := b.ok("ps", "--format", "{{.Status}}", "--filter", "id="+id); !strings.HasSuffix(out, "(unhealthy)\n") {
			t.Errorf("ps status = %q, want (unhealthy)", out)
		}
		if out := b.ok("ps", "-q", "--no-trunc", "--filter", "health=unhealthy"); out != id+"\n" {
			t.Errorf("ps --filter health=unhealthy = %q, want the container", out)
		}
		b.ok("exec", id, "touch", "/tmp/ok")
		h = health("healthy")
		log := h["Log"].([]any)
		last := log[len(log)-1].(map[string]any)
		if last["ExitCode"].(float64) != 0 || last["Output"] != "probing\n" || len(log) > 5 {
			t.Errorf("health log = %v, want at most 5 entries ending with a passing check and its output", log)
		}
		if code, _, errs := b.run("", "run", "--rm", "--no-healthcheck", "--health-cmd", "true", "bb", "true"); code != 125 || !strings.Contains(errs, "conflicts") {
			t.Errorf("--no-healthcheck with --health-cmd = %d %q", code, errs)
		}
	})
	t.Run("update", func(t *testing.T) {
		// A container that fails after a moment, with no restart policy.
		id := strings.TrimSpace(b.ok("run", "-d", "-m", "32m", "bb", "sh", "-c", "sleep 1; exit 1"))
		t.Cleanup(func() { b.run("", "rm", "-f", id) })
		if out := b.ok("update", "-m", "64m", "--restart", "on-failure:2", id); out != id+"\n" {
			t.Errorf("update printed %q, want the container", out)
		}
		limit := "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max"
		if out := b.ok("exec", id, "sh", "-c", limit); out != "67108864\n" {
			t.Errorf("memory limit after update = %q, want 67108864", out)
		}
		// The new policy restarts it twice; each run keeps the new limit.
		if out := b.ok("wait", id); out != "1\n" {
			t.Errorf("wait = %q, want 1", out)
		}
		doc := b.inspect(id)
		if n := doc["RestartCount"].(float64); n != 2 {
			t.Errorf("RestartCount = %v, want 2 after update --restart on-failure:2", n)
		}
		if m := doc["HostConfig"].(map[string]any)["Memory"].(float64); m != 64<<20 {
			t.Errorf("HostConfig.Memory = %v, want 64MiB", m)
		}
		code, _, errs := b.run("", "update", "-m", "1k", id)
		if code != 1 || !strings.Contains(errs, "minimum memory limit allowed is 6MB") {
			t.Errorf("update -m 1k = %d %q", code, errs)
		}
		if code, _, errs := b.run("", "update", "--restart", "always", "nosuch"); code != 1 || !strings.Contains(errs, "no such container") {
			t.Errorf("update of an unknown container = %d %q", code, errs)
		}
	})
}

// TestContainerInit runs containers with --init: the init is PID 1, the
// command is its child with its own process group (the terminal's
// foreground with -t), orphans are reaped, stop's SIGTERM reaches the
// command, and the command's exit code is the container's.
func TestContainerInit(t *testing.T) {
	b := buildBerth(t)
	t.Run("init is PID 1 and passes the exit code on", func(t *testing.T) {
		code, out, errs := b.run("", "run", "--rm", "--init", "bb", "sh", "-c", "ps -o pid,args; ls /dev/init; exit 3")
		if code != 3 {
			t.Errorf("exit code %d, want the command's 3 (stderr %q)", code, errs)
		}
		if !strings.Contains(out, "    1 /dev/init -- sh -c ps") || strings.Contains(out, "    1 sh") {
			t.Errorf("ps in the container:\n%s\nwant PID 1 the init and sh its child", out)
		}
		if !strings.Contains(errs, "/dev/init: No such file or directory") {
			t.Errorf("ls /dev/init said %q: the init must not be in the container's filesystem", errs)
		}
	})
	t.Run("the command is in the foreground of the terminal", func(t *testing.T) {
		out := b.ok("run", "--rm", "-t", "--init", "bb", "sh", "-c", `set -- $(cat /proc/$$/stat); [ "$5" = "$8" ] && [ $$ != 1 ] && echo foreground`)
		if strings.TrimSpace(out) != "foreground" {
			t.Errorf("with -t the command's process group is not the terminal's foreground: %q", out)
		}
	})
	t.Run("orphans are reaped", func(t *testing.T) {
		// The subshell's sleep is orphaned: PID 1 inherits it.
		prog := "(sleep 0.1 &); exec sleep 60"
		with := strings.TrimSpace(b.ok("run", "-d", "--init", "bb", "sh", "-c", prog))
		without := strings.TrimSpace(b.ok("run", "-d", "bb", "sh", "-c", prog))
		// The orphaned sleep: the subshell is a zombie too for a moment,
		// until sh reaps it.
		zombies := func(id string) int {
			n := 0
			for _, l := range strings.Split(b.ok("exec", id, "ps", "-o", "stat,args"), "\n") {
				if strings.HasPrefix(l, "Z") && strings.Contains(l, "sleep") {
					n++
				}
			}
			return n
		}
		eventually := func(ok func() bool) bool {
			for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				if ok() {
					return true
				}
			}
			return false
		}
		if !eventually(func() bool { return zombies(without) > 0 }) {
			t.Fatal("without --init the orphan never became a zombie; the test proves nothing")
		}
		// The init reaps at its SIGCHLD, a moment after the exit.
		if !eventually(func() bool { return zombies(with) == 0 }) {
			t.Errorf("with --init %d zombies are left", zombies(with))
		}
		if zombies(without) == 0 {
			t.Error("without --init the zombie went away: the test proves nothing")
		}
		b.ok("rm", "-f", with, without)
	})
	t.Run("stop reaches the command", func(t *testing.T) {
		// sleep as PID 1 would ignore SIGTERM and be killed after the
		// timeout (137); as the init's child it dies of it (143).
		id := strings.TrimSpace(b.ok("run", "-d", "--init", "bb", "sleep", "60"))
		b.ok("stop", "-t", "30", id)
		doc := b.inspect(id)
		if code := stateOf(doc)["ExitCode"]; code != 143.0 {
			t.Errorf("exit code after stop = %v, want 143 (SIGTERM)", code)
		}
		if init := doc["HostConfig"].(map[string]any)["Init"]; init != true {
			t.Errorf("HostConfig.Init = %v, want true", init)
		}
		b.ok("rm", id)
		// A signal sent at once, while the init still starts, is passed
		// on too.
		for range 5 {
			id := strings.TrimSpace(b.ok("run", "-d", "--init", "bb", "sleep", "60"))
			b.ok("kill", "-s", "TERM", id)
			if out := b.ok("wait", id); out != "143\n" {
				t.Errorf("kill -s TERM at once: the container exited %q, want 143", out)
			}
			b.ok("rm", id)
		}
	})
}

func TestContainerLifecycle(t *testing.T) {
	b := buildBerth(t)
	t.Run("rm leaves nothing", func(t *testing.T) {
		b.ok("run", "--rm", "bb", "sh", "-c", "echo hi > /f")
		if out := b.ok("ps", "-aq"); out != "" {
			t.Errorf("ps -aq after run --rm = %q, want nothing", out)
		}
		ents, _ := os.ReadDir(filepath.Join(b.root, "containers"))
		for _, e := range ents {
			if e.Name() != ".names" && e.Name() != ".init" {
				t.Errorf("left in containers/: %s", e.Name())
			}
		}
		mi, _ := os.ReadFile("/proc/self/mountinfo")
		if strings.Contains(string(mi), b.root) {
			t.Errorf("mounts of the store left behind")
		}
	})
	t.Run("a short container's records come in order", func(t *testing.T) {
		// Its start is recorded while its exit is: the exit's must still
		// come after, in the event log and in the state.
		for i := range 3 {
			name := fmt.Sprintf("short-rm-%d", i)
			b.ok("run", "--rm", "--name", name, "bb", "true")
			if got, want := b.actions(name, "destroy"), "create start die destroy"; got != want {
				t.Errorf("events of run --rm %s: %q, want %q", name, got, want)
			}
			name = fmt.Sprintf("short-d-%d", i)
			b.ok("run", "-d", "--name", name, "bb", "true")
			b.ok("wait", name)
			st := stateOf(b.inspect(name))
			if st["Status"] != "exited" || st["Running"] != false || st["Pid"] != 0.0 || st["StartedAt"] == "0001-01-01T00:00:00Z" {
				t.Errorf("state of a finished run -d %s: %v", name, st)
			}
			if got, want := b.actions(name, "die"), "create start die"; got != want {
				t.Errorf("events of run -d %s: %q, want %q", name, got, want)
			}
		}
	})
	t.Run("events --until in the past lists and returns", func(t *testing.T) {
		since := time.Now().Format(time.RFC3339Nano)
		b.ok("create", "--name", "listed", "bb")
		until := time.Now().Format(time.RFC3339Nano)
		b.ok("create", "--name", "too-late", "bb")
		got := b.ok("events", "--since", since, "--until", until, "--filter", "type=container", "--format", "{{.Action}} {{.Attributes.name}}")
		if got != "create listed\n" {
			t.Errorf("events --since %s --until %s = %q, want the first create only", since, until, got)
		}
	})
	t.Run("restart on-failure", func(t *testing.T) {
		id := strings.TrimSpace(b.ok("run", "-d", "--restart", "on-failure:2", "bb", "sh", "-c", "exit 1"))
		if out := b.ok("wait", id); out != "1\n" {
			t.Errorf("wait = %q, want 1", out)
		}
		doc := b.inspect(id)
		if n := doc["RestartCount"].(float64); n != 2 {
			t.Errorf("RestartCount = %v, want 2", n)
		}
		if st := stateOf(doc)["Status"]; st != "exited" {
			t.Errorf("status = %v, want exited", st)
		}
	})
	t.Run("client killed, container lives", func(t *testing.T) {
		cmd := exec.Command(b.path, "--root", b.root, "run", "--name", "orphan", "bb", "sh", "-c", "echo up; sleep 100")
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 3)
		if _, err := out.Read(buf); err != nil || string(buf) != "up\n" {
			t.Fatalf("read first output: %q %v", buf, err)
		}
		cmd.Process.Kill()
		cmd.Wait()
		if ps := b.ok("ps", "--format", "{{.Names}} {{.State}}"); ps != "orphan running\n" {
			t.Errorf("ps after killing the client = %q, want orphan running", ps)
		}
		b.ok("stop", "-t", "0", "orphan")
		if st := stateOf(b.inspect("orphan"))["Status"]; st != "exited" {
			t.Errorf("status after stop = %v, want exited", st)
		}
	})
	t.Run("monitor killed", func(t *testing.T) {
		id := strings.TrimSpace(b.ok("run", "-d", "bb", "sleep", "100"))
		var st struct {
			MonitorPid int `json:"monitorPid"`
		}
		raw, err := os.ReadFile(filepath.Join(b.root, "containers", id, "state.json"))
		if err != nil || json.Unmarshal(raw, &st) != nil || st.MonitorPid == 0 {
			t.Fatalf("read monitor pid: %v %s", err, raw)
		}
		syscall.Kill(st.MonitorPid, syscall.SIGKILL)
		// The kernel releases the monitor's lock when it is gone; wait
		// returns as soon as that is visible.
		b.ok("wait", id)
		s := stateOf(b.inspect(id))
		if s["Status"] != "exited" || !strings.Contains(s["Error"].(string), "monitor died") {
			t.Errorf("state after monitor kill = %v, want exited with monitor died", s)
		}
		if ps := b.ok("ps", "-a", "--filter", "id="+id, "--format", "{{.Status}}"); !strings.HasPrefix(ps, "Exited (255)") {
			t.Errorf("ps status = %q, want Exited (255)", ps)
		}
	})
	t.Run("pause", func(t *testing.T) {
		id := strings.TrimSpace(b.ok("run", "-d", "bb", "sleep", "100"))
		b.ok("pause", id)
		if st := stateOf(b.inspect(id)); st["Status"] != "paused" || st["Paused"] != true {
			t.Errorf("after pause: %v", st)
		}
		b.ok("unpause", id)
		if st := stateOf(b.inspect(id))["Status"]; st != "running" {
			t.Errorf("after unpause: %v", st)
		}
		b.ok("rm", "-f", id)
	})
	t.Run("name clash", func(t *testing.T) {
		id := strings.TrimSpace(b.ok("create", "--name", "taken", "bb"))
		code, _, errs := b.run("", "create", "--name", "taken", "bb")
		if code != 125 || !strings.Contains(errs, `Conflict. The container name "/taken" is already in use by container "`+id+`"`) {
			t.Errorf("second create = %d %q", code, errs)
		}
		if n := len(strings.Fields(b.ok("ps", "-aq", "--filter", "name=taken"))); n != 1 {
			t.Errorf("%d containers named taken, want 1", n)
		}
		b.ok("rename", "taken", "renamed")
		b.ok("rm", "renamed")
	})
	t.Run("bind source missing", func(t *testing.T) {
		before := b.ok("ps", "-aq")
		code, _, errs := b.run("", "run", "--rm", "-v", "/nope/nothing:/x", "bb", "true")
		if code != 125 || !strings.Contains(errs, "bind source path does not exist: /nope/nothing") {
			t.Errorf("run = %d %q", code, errs)
		}
		if out := b.ok("ps", "-aq"); out != before {
			t.Errorf("containers after = %q, before %q", out, before)
		}
	})
	t.Run("rm running refused", func(t *testing.T) {
		id := strings.TrimSpace(b.ok("run", "-d", "bb", "sleep", "100"))
		if code, _, errs := b.run("", "rm", id); code == 0 || !strings.Contains(errs, "container is running") {
			t.Errorf("rm of a running container = %d %q", code, errs)
		}
		b.ok("rm", "-f", id)
	})
}

func TestContainerFilesystem(t *testing.T) {
	b := buildBerth(t)
	t.Run("volumes survive rm unless -v", func(t *testing.T) {
		b.ok("run", "--name", "v1", "-v", "data:/data", "-v", "/anon", "bb", "sh", "-c", "echo kept > /data/f; echo gone > /anon/f")
		var docs []map[string]any
		json.Unmarshal([]byte(b.ok("inspect", "v1")), &docs)
		var anon string
		for _, m := range docs[0]["Mounts"].([]any) {
			if mm := m.(map[string]any); mm["Destination"] == "/anon" {
				anon = mm["Name"].(string)
			}
		}
		b.ok("rm", "v1")
		if out := b.ok("run", "--rm", "-v", "data:/data", "bb", "cat", "/data/f"); out != "kept\n" {
			t.Errorf("named volume after rm = %q", out)
		}
		if !strings.Contains(b.ok("volume", "ls", "-q"), anon) {
			t.Errorf("anonymous volume %s removed by rm without -v", anon)
		}
		b.ok("run", "--name", "v2", "-v", "/anon2", "bb", "true")
		anon2 := ""
		json.Unmarshal([]byte(b.ok("inspect", "v2")), &docs)
		anon2 = docs[0]["Mounts"].([]any)[0].(map[string]any)["Name"].(string)
		b.ok("rm", "-v", "v2")
		if strings.Contains(b.ok("volume", "ls", "-q"), anon2) {
			t.Errorf("anonymous volume %s kept by rm -v", anon2)
		}
		if code, _, errs := b.run("", "volume", "rm", "data"); code != 0 {
			t.Errorf("volume rm data: %s", errs)
		}
	})
	t.Run("volume ls filters", func(t *testing.T) {
		b.ok("volume", "create", "--label", "env=prod", "--label", "a=b", "lsused")
		b.ok("volume", "create", "--label", "env=dev", "lsfree")
		b.ok("create", "--name", "lsuser", "-v", "lsused:/x", "bb")
		t.Cleanup(func() { b.run("", "rm", "lsuser"); b.run("", "volume", "rm", "lsused", "lsfree") })
		for _, c := range []struct {
			filters []string
			want    string
		}{
			{[]string{"dangling=true", "name=ls"}, "lsfree\n"},
			{[]string{"dangling=false", "name=ls"}, "lsused\n"},
			{[]string{"label=env=prod"}, "lsused\n"},
			{[]string{"label=env", "name=lsf"}, "lsfree\n"},
			{[]string{"name=lsused", "name=lsfree", "driver=local"}, "lsfree\nlsused\n"},
		} {
			args := []string{"volume", "ls", "-q"}
			for _, f := range c.filters {
				args = append(args, "--filter", f)
			}
			if out := b.ok(args...); out != c.want {
				t.Errorf("volume ls %v = %q, want %q", c.filters, out, c.want)
			}
		}
		if out := b.ok("volume", "ls", "-f", "name=lsused", "--format", "{{.Labels}}"); out != "a=b,env=prod\n" {
			t.Errorf("volume ls labels = %q, want them sorted", out)
		}
		if code, _, errs := b.run("", "volume", "ls", "-f", "dangling=maybe"); code == 0 || !strings.Contains(errs, "invalid filter 'dangling=maybe'") {
			t.Errorf("volume ls -f dangling=maybe: exit %d, %q", code, errs)
		}
	})
	t.Run("volumes-from", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "f"), []byte("host\n"), 0o644)
		b.ok("run", "--name", "vsrc", "-v", "vfdata:/data", "-v", "/anon", "-v", dir+":/host:ro", "bb", "sh", "-c", "echo named > /data/n; echo anon > /anon/a")
		t.Cleanup(func() { b.run("", "rm", "-v", "vsrc", "vdep"); b.run("", "volume", "rm", "vfdata") })
		if out := b.ok("run", "--rm", "--volumes-from", "vsrc", "bb", "sh", "-c", "cat /data/n /anon/a /host/f; echo more >> /anon/a"); out != "named\nanon\nhost\n" {
			t.Errorf("--volumes-from sees %q", out)
		}
		if out := b.ok("run", "--rm", "--volumes-from", "vsrc:ro", "bb", "sh", "-c", "cat /anon/a; touch /data/x 2>/dev/null || echo ro"); out != "anon\nmore\nro\n" {
			t.Errorf("--volumes-from :ro sees %q, want the shared volume read-only", out)
		}
		if out := b.ok("run", "--rm", "--volumes-from", "vsrc", "-v", dir+":/data", "bb", "cat", "/data/f"); out != "host\n" {
			t.Errorf("-v over a --volumes-from mount gives %q, want -v's", out)
		}
		b.ok("create", "--name", "vdep", "--volumes-from", "vsrc", "bb")
		var docs []map[string]any
		json.Unmarshal([]byte(b.ok("inspect", "vdep")), &docs)
		hc := docs[0]["HostConfig"].(map[string]any)
		if vf, _ := json.Marshal(hc["VolumesFrom"]); string(vf) != `["vsrc"]` || hc["Binds"] != nil || len(docs[0]["Mounts"].([]any)) != 3 {
			t.Errorf("inspect: VolumesFrom %s, Binds %v, %d mounts; want [\"vsrc\"], none of its own, 3", vf, hc["Binds"], len(docs[0]["Mounts"].([]any)))
		}
		// The anonymous volume outlives rm -v of one of its users, and
		// goes with the last.
		before := len(strings.Fields(b.ok("volume", "ls", "-q")))
		b.ok("rm", "-v", "vsrc")
		if out := b.ok("run", "--rm", "--volumes-from", "vdep", "bb", "head", "-1", "/anon/a"); out != "anon\n" {
			t.Errorf("after rm -v of its first user the volume holds %q", out)
		}
		b.ok("rm", "-v", "vdep")
		if after := len(strings.Fields(b.ok("volume", "ls", "-q"))); after != before-1 {
			t.Errorf("%d volumes after both users went with rm -v, want %d", after, before-1)
		}
		for _, bad := range [][]string{{"--volumes-from", "nosuch"}, {"--volumes-from", "vfdata:xx"}} {
			if code, _, errs := b.run("", append(append([]string{"run", "--rm"}, bad...), "bb", "true")...); code != 125 || strings.Count(errs, "\n") != 1 {
				t.Errorf("run %v: exit %d, %q; want 125 and one line", bad, code, errs)
			}
		}
	})
	t.Run("a new volume starts with the image's files", func(t *testing.T) {
		t.Cleanup(func() { b.run("", "volume", "rm", "filled", "bare") })
		if out := b.ok("run", "--rm", "-v", "filled:/etc", "bb", "cat", "/etc/group"); out != "root:x:0:\nnobody:x:65534:\n" {
			t.Errorf("image file in a new volume = %q", out)
		}
		b.ok("run", "--rm", "-v", "filled:/etc", "bb", "sh", "-c", "echo mine > /etc/group")
		if out := b.ok("run", "--rm", "-v", "filled:/v", "bb", "sh", "-c", "cat /v/group; head -1 /v/passwd"); out != "mine\nroot:x:0:0:root:/root:/bin/sh\n" {
			t.Errorf("volume after a write = %q; want the write kept and the image's other files", out)
		}
		if out := b.ok("run", "--rm", "-v", "/tmp", "bb", "stat", "-c", "%a", "/tmp"); out != "1777\n" {
			t.Errorf("anonymous volume on /tmp has mode %q, want the image directory's 1777", out)
		}
		if code, _, _ := b.run("", "run", "--rm", "-v", "bare:/etc:nocopy", "bb", "cat", "/etc/passwd"); code == 0 {
			t.Error("a nocopy volume was filled from the image")
		}
	})
	t.Run("bind mount read-only", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "in"), []byte("host\n"), 0o644)
		out := b.ok("run", "--rm", "-v", dir+":/h:ro", "bb", "sh", "-c", "cat /h/in; touch /h/x 2>/dev/null || echo ro")
		if out != "host\nro\n" {
			t.Errorf("output = %q", out)
		}
	})
	t.Run("diff and commit", func(t *testing.T) {
		b.ok("run", "--name", "chg", "bb", "sh", "-c", "echo new > /added; rm /etc/group; echo x >> /etc/passwd")
		diff := b.ok("diff", "chg")
		for _, want := range []string{"A /added\n", "D /etc/group\n", "C /etc/passwd\n", "C /etc\n"} {
			if !strings.Contains(diff, want) {
				t.Errorf("diff lacks %q:\n%s", want, diff)
			}
		}
		if strings.Contains(diff, "/etc/hosts") || strings.Contains(diff, "/proc") {
			t.Errorf("diff shows runtime mount points:\n%s", diff)
		}
		b.ok("commit", "-c", `CMD ["cat","/added"]`, "chg", "changed:v1")
		if out := b.ok("run", "--rm", "changed:v1"); out != "new\n" {
			t.Errorf("committed image runs %q, want new", out)
		}
		if out := b.ok("run", "--rm", "changed:v1", "sh", "-c", "ls /etc/group 2>&1 || true"); !strings.Contains(out, "No such file") {
			t.Errorf("deleted file present in committed image: %q", out)
		}
		b.ok("rm", "chg")
	})
	t.Run("ps filters by creation order and ports", func(t *testing.T) {
		b.ok("create", "--name", "ord1", "bb")
		b.ok("create", "--name", "ord2", "-p", "8080:80", "--expose", "9000", "bb")
		b.ok("create", "--name", "ord3", "-p", "5353:53/udp", "bb")
		t.Cleanup(func() { b.run("", "rm", "ord1", "ord2", "ord3") })
		for _, tt := range []struct{ filter, want string }{
			{"before=ord3", "ord2\nord1\n"},
			{"since=ord1", "ord3\nord2\n"},
			{"publish=80", "ord2\n"},
			{"publish=53/udp", "ord3\n"},
			{"publish=53", ""},
			{"expose=8000-9000/tcp", "ord2\n"},
		} {
			if out := b.ok("ps", "-a", "--filter", "name=ord", "--filter", tt.filter, "--format", "{{.Names}}"); out != tt.want {
				t.Errorf("ps --filter %s = %q, want %q", tt.filter, out, tt.want)
			}
		}
		for _, tt := range []struct{ filter, want string }{
			{"before=nope", "Error: no such container: nope\n"},
			{"publish=80:80", "Error: invalid filter 'publish=80:80': use PORT[-PORT][/PROTO]"},
		} {
			if code, out, errs := b.run("", "ps", "-a", "--filter", tt.filter); code != 1 || out != "" || !strings.HasPrefix(errs, tt.want) || strings.Count(errs, "\n") != 1 {
				t.Errorf("ps --filter %s: exit %d, %q / %q; want exit 1 and %q", tt.filter, code, out, errs, tt.want)
			}
		}
	})
	t.Run("ps shows sizes, mounts, networks and labels, and filters by them", func(t *testing.T) {
		dir := t.TempDir()
		b.ok("create", "--name", "psm", "--network", "none", "-v", "a-rather-long-volume:/data", "-v", dir+":/h", "--tmpfs", "/t", "--label", "z=1", "--label", "a=2", "bb")
		b.ok("create", "--name", "psb", "bb")
		t.Cleanup(func() { b.run("", "rm", "-v", "psm", "psb"); b.run("", "volume", "rm", "a-rather-long-volume") })
		row := "{{.Names}}|{{.Networks}}|{{.Mounts}}|{{.LocalVolumes}}|{{.Labels}}"
		want := "psm|none|a-rather-long-…," + string([]rune(dir)[:14]) + "…|1|a=2,z=1\n"
		if out := b.ok("ps", "-a", "--filter", "name=psm", "--format", row); out != want {
			t.Errorf("ps row = %q, want %q", out, want)
		}
		if out := b.ok("ps", "-a", "--no-trunc", "--filter", "name=psm", "--format", "{{.Mounts}}"); out != "a-rather-long-volume,"+dir+"\n" {
			t.Errorf("ps --no-trunc mounts = %q", out)
		}
		for _, f := range []string{"network=none", "volume=a-rather-long-volume", "volume=/h"} {
			if out := b.ok("ps", "-a", "--filter", f, "--format", "{{.Names}}"); out != "psm\n" {
				t.Errorf("ps --filter %s = %q, want psm", f, out)
			}
		}
		if out := b.ok("ps", "-a", "--filter", "network=bridge", "--filter", "name=ps", "--format", "{{.Names}}"); out != "psb\n" {
			t.Errorf("ps --filter network=bridge = %q, want psb", out)
		}
		b.ok("run", "--name", "pssz", "bb", "sh", "-c", "head -c 2500 /bin/busybox > /big")
		t.Cleanup(func() { b.run("", "rm", "pssz") })
		var img []struct{ Size int64 }
		json.Unmarshal([]byte(b.ok("image", "inspect", "bb")), &img)
		virtual := fmt.Sprintf("%.3gMB", float64(img[0].Size+2500)/1e6)
		table := b.ok("ps", "-a", "-s", "--filter", "name=pssz")
		if lines := strings.Split(table, "\n"); !strings.HasSuffix(lines[0], "NAMES     SIZE") || !strings.HasSuffix(lines[1], "pssz      2.5kB (virtual "+virtual+")") {
			t.Errorf("ps -s =\n%s\nwant a SIZE column of 2.5kB (virtual %s)", table, virtual)
		}
		if out := b.ok("ps", "-a", "--filter", "name=pssz", "--format", "{{.Size}}"); out != "2.5kB (virtual "+virtual+")\n" {
			t.Errorf("ps --format {{.Size}} = %q: a format with .Size asks for the sizes", out)
		}
		if out := b.ok("inspect", "-s", "--format", "{{.SizeRw}} {{.SizeRootFs}}", "pssz"); out != fmt.Sprintf("2500 %d\n", img[0].Size+2500) {
			t.Errorf("inspect -s = %q", out)
		}
		if out := b.ok("container", "inspect", "--format", "{{json .SizeRw}}", "pssz"); out != "null\n" {
			t.Errorf("inspect without -s gives SizeRw %q, want none", out)
		}
	})
	t.Run("export", func(t *testing.T) {
		b.ok("create", "--name", "exp", "bb")
		f := filepath.Join(t.TempDir(), "out.tar")
		b.ok("export", "-o", f, "exp")
		out, err := exec.Command("tar", "tf", f).Output()
		if err != nil || !strings.Contains(string(out), "bin/busybox") {
			t.Errorf("export tar lacks bin/busybox: %v", err)
		}
		b.ok("rm", "exp")
	})
}

func TestContainerLogs(t *testing.T) {
	b := buildBerth(t)
	id := strings.TrimSpace(b.ok("run", "-d", "bb", "sh", "-c", "for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done; sleep 0.3; echo last"))
	t.Run("follow ends at exit", func(t *testing.T) {
		code, out, errs := b.run("", "logs", "-f", id)
		if code != 0 {
			t.Fatalf("logs -f: exit %d", code)
		}
		if out != "out1\nout2\nout3\nout4\nout5\nlast\n" || errs != "err1\nerr2\nerr3\nerr4\nerr5\n" {
			t.Errorf("logs -f = %q / %q", out, errs)
		}
	})
	t.Run("tail", func(t *testing.T) {
		_, out, errs := b.run("", "logs", "--tail", "2", id)
		if out+errs == "" || strings.Count(out+errs, "\n") != 2 {
			t.Errorf("logs --tail 2 = %q / %q, want 2 lines", out, errs)
		}
	})
	t.Run("timestamps", func(t *testing.T) {
		out := b.ok("logs", "-t", id)
		first := strings.Fields(strings.SplitN(out, "\n", 2)[0])
		if len(first) != 2 || first[1] != "out1" {
			t.Fatalf("logs -t first line = %q", first)
		}
		if _, err := time.Parse(time.RFC3339Nano, first[0]); err != nil {
			t.Errorf("timestamp %q: %v", first[0], err)
		}
	})
	t.Run("rotation", func(t *testing.T) {
		// 2000 lines of 100 bytes through a 16 KiB log kept in 2 files:
		// only the newest lines survive, and no file grows past max-size.
		id := strings.TrimSpace(b.ok("run", "-d", "--log-opt", "max-size=16k", "--log-opt", "max-file=2", "bb", "sh", "-c",
			`i=0; while [ $i -lt 2000 ]; do printf '%099d\n' $i; i=$((i+1)); done`))
		if code := strings.TrimSpace(b.ok("wait", id)); code != "0" {
			t.Fatalf("wait = %s", code)
		}
		lines := strings.Split(strings.TrimSpace(b.ok("logs", id)), "\n")
		if len(lines) >= 1000 || len(lines) < 100 || lines[len(lines)-1] != fmt.Sprintf("%099d", 1999) {
			t.Errorf("logs after rotation: %d lines ending %q, want 100 to 1000 ending with line 1999", len(lines), lines[len(lines)-1])
		}
		dir := filepath.Join(b.root, "containers", id)
		for _, name := range []string{"ctr.log", "ctr.log.1"} {
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if fi.Size() > 16<<10 {
				t.Errorf("%s: size %d, want at most max-size (16 KiB)", name, fi.Size())
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "ctr.log.2")); err == nil {
			t.Error("ctr.log.2 exists with max-file=2")
		}
		cfg := b.inspect(id)["HostConfig"].(map[string]any)["LogConfig"].(map[string]any)["Config"].(map[string]any)
		if cfg["max-size"] != "16k" || cfg["max-file"] != "2" {
			t.Errorf("inspect LogConfig.Config = %v", cfg)
		}
		code, _, errs := b.run("", "run", "--log-opt", "max-what=1", "bb", "true")
		if code != 125 || !strings.Contains(errs, `invalid --log-opt: parse log option "max-what=1": unknown option`) {
			t.Errorf("bad --log-opt: exit %d, %q", code, errs)
		}
		b.ok("rm", id)
	})
	t.Run("log drivers", func(t *testing.T) {
		// none: the output still reaches the attached client, but no log
		// is kept and logs says so, in docker's words.
		code, out, errs := b.run("", "run", "--name", "nolog", "--log-driver", "none", "bb", "sh", "-c", "echo hello; echo oops >&2")
		if code != 0 || out != "hello\n" || errs != "oops\n" {
			t.Errorf("run --log-driver none: exit %d, %q / %q", code, out, errs)
		}
		code, out, errs = b.run("", "logs", "nolog")
		if code != 1 || out != "" || errs != "Error: configured logging driver does not support reading\n" {
			t.Errorf("logs of a none container: exit %d, %q / %q", code, out, errs)
		}
		in := b.inspect("nolog")
		if lc := in["HostConfig"].(map[string]any)["LogConfig"].(map[string]any); lc["Type"] != "none" || in["LogPath"] != "" {
			t.Errorf("inspect: LogConfig %v, LogPath %q", lc, in["LogPath"])
		}
		id := in["Id"].(string)
		if _, err := os.Stat(filepath.Join(b.root, "containers", id, "ctr.log")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("ctr.log of a none container: %v", err)
		}
		b.ok("rm", "nolog")
		// docker's file drivers are taken for berth's log, options and all.
		id = strings.TrimSpace(b.ok("run", "-d", "--log-driver", "json-file", "--log-opt", "max-size=1m", "bb", "sh", "-c", "echo kept"))
		b.ok("wait", id)
		if out := b.ok("logs", id); out != "kept\n" {
			t.Errorf("logs with --log-driver json-file = %q", out)
		}
		b.ok("rm", id)
		b.refused(t, "logger: no log driver named 'syslog' is registered", "run", "--log-driver", "syslog", "bb", "true")
		b.refused(t, "unknown log opt 'max-size' for none log driver", "run", "--log-driver", "none", "--log-opt", "max-size=1m", "bb", "true")
	})
	t.Run("top", func(t *testing.T) {
		id := strings.TrimSpace(b.ok("run", "-d", "bb", "sleep", "100"))
		out := b.ok("top", id)
		if !strings.Contains(out, "CPID") || !strings.Contains(out, "sleep 100") {
			t.Errorf("top = %q", out)
		}
		b.ok("rm", "-f", id)
	})
}

// TestRunAttachStreams checks run -a: only the streams named reach the
// command, inspect records them as docker does, and bad use is refused.
func TestRunAttachStreams(t *testing.T) {
	b := buildBerth(t)
	script := "echo out; echo err >&2; exit 3"
	for _, tt := range []struct {
		args          []string
		stdout, stder string
	}{
		{nil, "out\n", "err\n"},
		{[]string{"-a", "stdout"}, "out\n", ""},
		{[]string{"-a", "STDERR"}, "", "err\n"},
	} {
		args := append(append([]string{"run", "--rm"}, tt.args...), "bb", "sh", "-c", script)
		if code, out, errs := b.run("", args...); code != 3 || out != tt.stdout || errs != tt.stder {
			t.Errorf("berth %q: exit %d, %q / %q; want 3, %q / %q", args, code, out, errs, tt.stdout, tt.stder)
		}
	}
	attached := func(id string) string {
		c := b.inspect(id)["Config"].(map[string]any)
		return fmt.Sprint(c["AttachStdin"], c["AttachStdout"], c["AttachStderr"])
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "-d"}, "false false false"},
		{[]string{"create"}, "false true true"},
		{[]string{"create", "-i", "-a", "stdout"}, "true true false"},
	} {
		id := strings.TrimSpace(b.ok(append(tt.args, "bb", "true")...))
		if got := attached(id); got != tt.want {
			t.Errorf("berth %q: AttachStdin, AttachStdout, AttachStderr = %s, want %s", tt.args, got, tt.want)
		}
		b.ok("rm", "-f", id)
	}
	b.refused(t, "conflicting options: -a and -d", "run", "-d", "-a", "stdout", "bb", "true")
	b.refused(t, `invalid argument "tty" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR`, "run", "-a", "tty", "bb", "true")
}

// TestSignalProxy checks that run passes the signals it gets on to the
// container, and that with --sig-proxy=false it does not: the command
// dies of the signal and the container keeps running.
func TestSignalProxy(t *testing.T) {
	b := buildBerth(t)
	script := `trap "echo got INT; exit 3" INT; trap "echo got TERM; exit 4" TERM; echo ready; while :; do sleep 0.1; done`
	start := func(name string, flags ...string) *exec.Cmd {
		t.Helper()
		args := append(append([]string{"--root", b.root, "run", "--name", name}, flags...), "bb", "sh", "-c", script)
		cmd := exec.Command(b.path, args...)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cmd.Process.Kill()
			cmd.Wait()
		})
		// A signal that goes nowhere fails the test, not hangs it.
		kill := time.AfterFunc(time.Minute, func() { cmd.Process.Kill() })
		t.Cleanup(func() { kill.Stop() })
		r := bufio.NewReader(out)
		if line, err := r.ReadString('\n'); line != "ready\n" {
			t.Fatalf("run printed %q (%v), want ready", line, err)
		}
		go io.Copy(io.Discard, r)
		return cmd
	}

	proxied := start("proxied")
	proxied.Process.Signal(syscall.SIGINT)
	if err := proxied.Wait(); err == nil || err.(*exec.ExitError).ExitCode() != 3 {
		t.Errorf("run after SIGINT: %v, want exit 3 from the container's trap", err)
	}
	if logs := b.ok("logs", "proxied"); !strings.Contains(logs, "got INT") {
		t.Errorf("logs = %q, want the trap's line", logs)
	}

	// SIGTERM here: a command started in the background may have SIGINT
	// ignored from its start, and would keep it ignored.
	unproxied := start("unproxied", "--sig-proxy=false")
	unproxied.Process.Signal(syscall.SIGTERM)
	err := unproxied.Wait()
	if ws, ok := unproxied.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("run --sig-proxy=false after SIGTERM: %v, want killed by SIGTERM", err)
	}
	if st := stateOf(b.inspect("unproxied")); st["Running"] != true {
		t.Errorf("container state after its run command died: %v, want still running", st["Status"])
	}
	if logs := b.ok("logs", "unproxied"); strings.Contains(logs, "got") {
		t.Errorf("logs = %q: the signal reached the container", logs)
	}
}
