package cmd

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/engine"
)

func TestNetworkCommands(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("berth needs root")
	}
	root := t.TempDir()
	t.Cleanup(func() {
		runBerth(t, root, "", "network", "prune", "-f")
		a := &app{root: root, logLevel: "info"}
		if eng, err := a.engine(); err == nil {
			eng.ResetNetworking(context.Background())
			a.logFile.Close()
		}
	})

	code, out, errs := runBerth(t, root, "", "network", "create", "--subnet", "10.213.7.0/24", "--label", "team=a", "web")
	id := strings.TrimSpace(out)
	if code != 0 || len(id) != 64 {
		t.Fatalf("network create = %d %q %s, want exit 0 and a 64-hex ID", code, out, errs)
	}

	code, out, _ = runBerth(t, root, "", "network", "ls")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 5 || !strings.HasPrefix(lines[0], "NETWORK ID") || !strings.Contains(lines[0], "NAME") || !strings.Contains(lines[0], "SCOPE") {
		t.Fatalf("network ls = %d:\n%s", code, out)
	}
	var names []string
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		names = append(names, f[1])
		if f[1] == "web" && (f[0] != id[:12] || f[2] != "bridge" || f[3] != "local") {
			t.Errorf("network ls row for web = %q", l)
		}
	}
	if got := strings.Join(names, " "); got != "bridge host none web" {
		t.Errorf("network ls names = %s, want bridge host none web", got)
	}
	if _, out, _ = runBerth(t, root, "", "network", "ls", "-q", "--filter", "name=we"); out != id[:12]+"\n" {
		t.Errorf("network ls -q --filter name=we = %q, want %q", out, id[:12]+"\n")
	}
	if _, out, _ = runBerth(t, root, "", "network", "ls", "--format", "{{.Name}} {{.Driver}}", "--filter", "type=builtin"); out != "bridge bridge\nhost host\nnone null\n" {
		t.Errorf("network ls --format = %q", out)
	}

	code, out, _ = runBerth(t, root, "", "network", "inspect", "web")
	var nets []engine.Network
	if code != 0 || json.Unmarshal([]byte(out), &nets) != nil || len(nets) != 1 {
		t.Fatalf("network inspect = %d:\n%s", code, out)
	}
	n := nets[0]
	if n.Name != "web" || n.ID != id || n.Driver != "bridge" || len(n.IPAM.Config) != 1 ||
		n.IPAM.Config[0].Subnet != "10.213.7.0/24" || n.IPAM.Config[0].Gateway != "10.213.7.1" || n.Labels["team"] != "a" {
		t.Errorf("network inspect web = %+v", n)
	}
	if _, out, _ = runBerth(t, root, "", "network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}}{{end}}", "web"); out != "10.213.7.0/24\n" {
		t.Errorf("network inspect -f = %q", out)
	}

	bad := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"network", "create", "web"}, 1, "Error: network with name web already exists\n"},
		{[]string{"network", "create", "--subnet", "10.213.7.128/25", "web2"}, 1, "overlaps 10.213.7.0/24 of another network"},
		{[]string{"network", "create", "--subnet", "nonsense", "web3"}, 1, `invalid subnet "nonsense"`},
		{[]string{"network", "inspect", "nope"}, 1, "Error: network nope not found\n"},
		{[]string{"network", "rm", "nope"}, 1, "Error: network nope not found\n"},
		{[]string{"network", "rm", "bridge"}, 1, "bridge is a pre-defined network and cannot be removed"},
		{[]string{"network", "connect", "nope", "nobody"}, 1, "no such container: nobody"},
		{[]string{"port", "nobody"}, 1, "no such container: nobody"},
	}
	for _, b := range bad {
		t.Run(strings.Join(b.args, " "), func(t *testing.T) {
			code, out, errs := runBerth(t, root, "", b.args...)
			// inspect prints the empty list first, as docker does.
			if code != b.code || !strings.Contains(errs, b.msg) || (out != "" && out != "[]\n") {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and %q", code, out, errs, b.code, b.msg)
			}
		})
	}
	if code, _, _ := runBerth(t, root, "", "network", "ls", "-q", "--filter", "name=web2"); code != 0 {
		t.Errorf("ls after failed creates: exit %d", code)
	}
	if _, out, _ := runBerth(t, root, "", "network", "ls", "-q", "--filter", "name=web"); strings.Count(out, "\n") != 1 {
		t.Errorf("failed creates left networks: %q", out)
	}

	if code, out, _ = runBerth(t, root, "", "network", "rm", "web"); code != 0 || out != "web\n" {
		t.Errorf("network rm web = %d %q", code, out)
	}
	runBerth(t, root, "", "network", "create", "a1")
	runBerth(t, root, "", "network", "create", "a2")
	code, out, _ = runBerth(t, root, "y\n", "network", "prune")
	if code != 0 || !strings.HasSuffix(out, "Deleted Networks:\na1\na2\n\n") {
		t.Errorf("network prune = %d %q", code, out)
	}
}

func TestPublishFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
		code int
	}{
		{[]string{"-p", "8080:80", "-p", "127.0.0.1::53/udp"}, "53/udp=127.0.0.1: 80/tcp=:8080", 0},
		{[]string{"-p", "99999"}, `invalid port specification: "99999"`, 125},
		{[]string{"-p", "8080:80/sctp"}, "protocol must be tcp or udp", 125},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var p publishFlags
			fs := newFlagSet()
			addPublishFlags(fs, &p)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			var o engine.CreateOptions
			err := p.apply(&o)
			if tt.code != 0 {
				ee, ok := err.(*ExitError)
				if !ok || ee.Code != tt.code || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("apply = %v, want exit %d with %q", err, tt.code, tt.want)
				}
				return
			}
			var got []string
			for k, bs := range o.PortBindings {
				for _, b := range bs {
					got = append(got, k+"="+b.HostIP+":"+b.HostPort)
				}
			}
			sortStrings(got)
			if err != nil || strings.Join(got, " ") != tt.want {
				t.Errorf("apply = %v, %v, want %s", got, err, tt.want)
			}
		})
	}
}

// freePort returns a TCP port nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// httpGet fetches url, retrying refused or reset connections until the
// server in a just started container listens or the deadline passes.
func httpGet(t *testing.T, url string) string {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := client.Get(url)
		if err == nil {
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil {
				return string(b)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", url, err)
		}
		<-tick.C
	}
}

func TestRunNetworking(t *testing.T) {
	b := buildBerth(t)
	t.Run("default network is bridge", func(t *testing.T) {
		out := b.ok("run", "--rm", "bb", "sh", "-c", "ip -4 -o addr show eth0; ip route")
		if !regexp.MustCompile(`eth0\s+inet \d+\.\d+\.\d+\.\d+/\d+`).MatchString(out) || !strings.Contains(out, "default via ") {
			t.Errorf("run without --network: eth0 and route = %q, want an address and a default route", out)
		}
		id := strings.TrimSpace(b.ok("create", "bb", "true"))
		defer b.ok("rm", id)
		if m := b.inspect(id)["HostConfig"].(map[string]any)["NetworkMode"]; m != "bridge" {
			t.Errorf("NetworkMode = %v, want bridge", m)
		}
	})
	t.Run("published port", func(t *testing.T) {
		port := strconv.Itoa(freePort(t))
		id := strings.TrimSpace(b.ok("run", "-d", "-p", port+":80", "bb", "sh", "-c",
			"mkdir /www && echo hello from berth > /www/index.html && exec httpd -f -p 80 -h /www"))
		if got := httpGet(t, "http://127.0.0.1:"+port+"/"); got != "hello from berth\n" {
			t.Errorf("GET 127.0.0.1:%s = %q, want the container's page", port, got)
		}
		want := "0.0.0.0:" + port + "->80/tcp"
		if out := b.ok("ps", "--format", "{{.ID}} {{.Ports}}"); out != id[:12]+" "+want+"\n" {
			t.Errorf("ps PORTS = %q, want %q", out, want)
		}
		ns := b.inspect(id)["NetworkSettings"].(map[string]any)
		ports, _ := ns["Ports"].(map[string]any)["80/tcp"].([]any)
		if len(ports) != 1 || ports[0].(map[string]any)["HostPort"] != port || ports[0].(map[string]any)["HostIp"] != "0.0.0.0" {
			t.Errorf("inspect NetworkSettings.Ports = %v, want 80/tcp on 0.0.0.0:%s", ns["Ports"], port)
		}
		bridge, _ := ns["Networks"].(map[string]any)["bridge"].(map[string]any)
		if ip, _ := bridge["IPAddress"].(string); ip == "" || ns["IPAddress"] != ip {
			t.Errorf("inspect NetworkSettings = %v, want the bridge address in Networks.bridge and IPAddress", ns)
		}

		t.Run("port in use", func(t *testing.T) {
			code, out, errs := b.run("", "run", "-d", "--name", "clash", "-p", port+":80", "bb", "true")
			if code != 125 || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "port is already allocated") {
				t.Errorf("run -p %s:80 with the port taken = %d %q %q, want 125 and one line: port is already allocated", port, code, out, errs)
			}
			if out := b.ok("ps", "-aq"); out != id[:12]+"\n" {
				t.Errorf("ps -aq after the failed run = %q, want only %s", out, id[:12])
			}
		})

		b.ok("rm", "-f", id)
		l, err := net.Listen("tcp", ":"+port)
		if err != nil {
			t.Fatalf("port %s after rm -f: %v, want it free", port, err)
		}
		l.Close()
	})
	t.Run("static address", func(t *testing.T) {
		b.ok("network", "create", "--subnet", "10.77.0.0/24", "ipnet")
		t.Cleanup(func() {
			b.run("", "rm", "-f", "fixed", "late", "late2")
			b.run("", "network", "rm", "ipnet")
		})
		addr := "ip -4 addr show eth0 | grep -o 'inet [0-9.]*'"
		if out := b.ok("run", "-d", "--name", "fixed", "--network", "ipnet", "--ip", "10.77.0.60", "bb", "sleep", "100"); out == "" {
			t.Fatal("run -d printed no ID")
		}
		if out := b.ok("exec", "fixed", "sh", "-c", addr); out != "inet 10.77.0.60\n" {
			t.Errorf("address of --ip 10.77.0.60 = %q", out)
		}
		ipam := b.inspect("fixed")["NetworkSettings"].(map[string]any)["Networks"].(map[string]any)["ipnet"].(map[string]any)["IPAMConfig"]
		if got, _ := ipam.(map[string]any); got["IPv4Address"] != "10.77.0.60" {
			t.Errorf("IPAMConfig = %v, want IPv4Address 10.77.0.60", ipam)
		}
		// Stopped, the container keeps its address from others.
		b.ok("stop", "-t", "0", "fixed")
		if code, _, errs := b.run("", "run", "--rm", "--network", "ipnet", "--ip", "10.77.0.60", "bb", "true"); code != 125 || !strings.Contains(errs, "address 10.77.0.60 is already in use") {
			t.Errorf("second --ip 10.77.0.60 = %d %q, want 125 and already in use", code, errs)
		}
		if out := b.ok("run", "--rm", "--network", "ipnet", "bb", "sh", "-c", addr); out == "inet 10.77.0.60\n" {
			t.Errorf("a leased address took the stopped container's --ip: %q", out)
		}
		b.ok("start", "fixed")
		if out := b.ok("exec", "fixed", "sh", "-c", addr); out != "inet 10.77.0.60\n" {
			t.Errorf("address after a restart = %q, want 10.77.0.60", out)
		}
		b.ok("create", "--name", "late", "bb", "sleep", "100")
		b.ok("network", "connect", "--ip", "10.77.0.70", "ipnet", "late")
		b.ok("start", "late")
		if out := b.ok("exec", "late", "sh", "-c", "ip -4 addr | grep -o 'inet 10.77[0-9.]*'"); out != "inet 10.77.0.70\n" {
			t.Errorf("address of network connect --ip 10.77.0.70 = %q", out)
		}
		b.ok("create", "--name", "late2", "bb", "true")
		for _, bad := range []struct {
			args []string
			err  string
		}{
			{[]string{"run", "--rm", "--network", "ipnet", "--ip", "10.77.1.5", "bb", "true"}, "does not belong to the subnet 10.77.0.0/24"},
			{[]string{"run", "--rm", "--network", "ipnet", "--ip", "10.77.0.1", "bb", "true"}, "is the gateway of network ipnet"},
			{[]string{"run", "--rm", "--network", "ipnet", "--ip", "fe80::1", "bb", "true"}, `invalid IPv4 address "fe80::1"`},
			{[]string{"run", "--rm", "--ip", "172.17.0.9", "bb", "true"}, "supported on user defined networks only"},
			{[]string{"network", "connect", "--ip", "10.77.0.300", "ipnet", "fixed"}, "endpoint with name fixed already exists"},
			{[]string{"network", "connect", "--ip", "10.77.0.70", "ipnet", "late2"}, "address 10.77.0.70 is already in use on network ipnet"},
		} {
			code, out, errs := b.run("", bad.args...)
			if code == 0 || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, bad.err) {
				t.Errorf("%v = %d %q %q, want one error line with %q", bad.args, code, out, errs, bad.err)
			}
		}
	})
	t.Run("mac address", func(t *testing.T) {
		mac := "cat /sys/class/net/eth0/address"
		if out := b.ok("run", "--rm", "--mac-address", "92:d0:c6:0a:29:33", "bb", "sh", "-c", mac); out != "92:d0:c6:0a:29:33\n" {
			t.Errorf("MAC of --mac-address 92:d0:c6:0a:29:33 on the default bridge = %q", out)
		}
		b.ok("network", "create", "macnet")
		t.Cleanup(func() {
			b.run("", "rm", "-f", "withmac")
			b.run("", "network", "rm", "macnet")
		})
		b.ok("run", "-d", "--name", "withmac", "--network", "macnet", "--mac-address", "92:d0:c6:0a:29:34", "bb", "sleep", "100")
		b.ok("restart", "-t", "0", "withmac")
		if out := b.ok("exec", "withmac", "sh", "-c", mac); out != "92:d0:c6:0a:29:34\n" {
			t.Errorf("MAC on a user network after a restart = %q", out)
		}
		in := b.inspect("withmac")
		ep := in["NetworkSettings"].(map[string]any)["Networks"].(map[string]any)["macnet"].(map[string]any)
		if in["Config"].(map[string]any)["MacAddress"] != "92:d0:c6:0a:29:34" || ep["MacAddress"] != "92:d0:c6:0a:29:34" {
			t.Errorf("inspect: Config.MacAddress %v, endpoint MacAddress %v", in["Config"].(map[string]any)["MacAddress"], ep["MacAddress"])
		}
		if out := b.ok("run", "--rm", "--network", "macnet", "bb", "sh", "-c", mac); !strings.HasPrefix(out, "02:42:") {
			t.Errorf("MAC without --mac-address = %q, want docker's 02:42 derived from the address", out)
		}
		b.refused(t, "92:d0:c6:0a:29 is not a valid mac address", "run", "--rm", "--mac-address", "92:d0:c6:0a:29", "bb", "true")
		b.refused(t, "01:00:5e:00:00:01 is not a valid mac address", "run", "--rm", "--mac-address", "01:00:5e:00:00:01", "bb", "true")
		b.refused(t, "conflicting options: mac-address and the network mode", "run", "--rm", "--network", "host", "--mac-address", "92:d0:c6:0a:29:35", "bb", "true")
	})
	t.Run("network alias", func(t *testing.T) {
		b.ok("network", "create", "aliasnet")
		defer b.ok("network", "rm", "aliasnet")
		out := b.ok("run", "--rm", "--network", "aliasnet", "--network-alias", "db", "bb", "grep", "-w", "db", "/etc/hosts")
		if !strings.Contains(out, "db") {
			t.Errorf("hosts entry for the alias = %q", out)
		}
		code, _, errs := b.run("", "run", "--rm", "--network-alias", "db", "bb", "true")
		if code != 125 || !strings.Contains(errs, "only for containers in user defined networks") {
			t.Errorf("--network-alias on the default bridge = %d %q, want 125", code, errs)
		}
	})
}

// network ls filters: the same key ORed, different keys ANDed, as docker
// does; label= and dangling= among them.
func TestFilterNetworks(t *testing.T) {
	used := map[string]engine.NetworkContainer{"c1": {Name: "app"}}
	nets := []engine.Network{
		{Name: "bridge", ID: "b0", Driver: "bridge", Containers: used},
		{Name: "none", ID: "n0", Driver: "null"},
		{Name: "web", ID: "w1", Driver: "bridge", Labels: map[string]string{"team": "a"}, Containers: used},
		{Name: "db", ID: "d1", Driver: "bridge", Labels: map[string]string{"team": "b"}},
		{Name: "idle", ID: "i1", Driver: "bridge"},
	}
	for _, tt := range []struct {
		filters []string
		want    string
	}{
		{[]string{"name=web", "name=db"}, "web db"},
		{[]string{"name=e", "driver=null"}, "none"},
		{[]string{"label=team"}, "web db"},
		{[]string{"label=team=b", "label=team=a"}, "web db"},
		{[]string{"dangling=true"}, "db idle"},
		{[]string{"dangling=false", "type=custom"}, "web"},
		{[]string{"type=builtin"}, "bridge none"},
	} {
		got, err := filterNetworks(nets, tt.filters)
		var names []string
		for _, n := range got {
			names = append(names, n.Name)
		}
		if err != nil || strings.Join(names, " ") != tt.want {
			t.Errorf("filters %q = %q, %v; want %q", tt.filters, names, err, tt.want)
		}
	}
	for _, bad := range []string{"dangling=maybe", "type=other", "colour=red", "name"} {
		if _, err := filterNetworks(nets, []string{bad}); err == nil {
			t.Errorf("filter %q accepted", bad)
		}
	}
}
