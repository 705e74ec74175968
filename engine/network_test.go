package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/engine/network"
	"github.com/berth-dev/berth/store"
	"github.com/berth-dev/berth/test/imgtest"
)

// netTestEngine returns an engine on a fresh store whose monitors are a
// freshly built berth binary, with busybox pulled as "busybox".
func netTestEngine(t *testing.T) *Engine {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to run containers and wire networks")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go tool to build the berth binary the monitors run")
	}
	bin := filepath.Join(t.TempDir(), "berth")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "github.com/berth-dev/berth")
	build.Env = append(os.Environ(), "CGO_ENABLED=0") // as make build builds it
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build berth: %v\n%s", err, out)
	}
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := New(st, nil, WithBinary(bin))
	host := imgtest.Registry(t)
	imgtest.Push(t, host, "library/busybox:latest", imgtest.BusyboxImage(t))
	if _, err := e.Pull(t.Context(), host+"/library/busybox:latest", PullOptions{}); err != nil {
		t.Fatalf("pull busybox: %v", err)
	}
	if err := e.Tag(t.Context(), host+"/library/busybox:latest", "busybox:latest"); err != nil {
		t.Fatalf("tag busybox: %v", err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		ids, _ := e.st.ContainerIDs()
		for _, id := range ids {
			e.Remove(ctx, id, RemoveOptions{Force: true})
		}
		e.PruneNetworks(ctx, PruneFilter{})
		e.ResetNetworking(ctx)
	})
	return e
}

// runNet creates and starts a detached container and returns its ID.
func runNet(t *testing.T, e *Engine, o CreateOptions) string {
	t.Helper()
	o.Image = "busybox"
	id, err := e.Create(t.Context(), o)
	if err != nil {
		t.Fatalf("create %s: %v", o.Name, err)
	}
	if err := e.Start(t.Context(), id); err != nil {
		t.Fatalf("start %s: %v", o.Name, err)
	}
	return id
}

// runExit runs a container to its end and returns its exit code.
func runExit(t *testing.T, e *Engine, o CreateOptions) int {
	t.Helper()
	id := runNet(t, e, o)
	code, err := e.Wait(t.Context(), id)
	if err != nil {
		t.Fatalf("wait %s: %v", o.Name, err)
	}
	return code
}

func containerIP(t *testing.T, e *Engine, id, net string) netip.Addr {
	t.Helper()
	nets, err := e.ContainerNetworks(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	ip, err := netip.ParseAddr(nets[net].IPAddress)
	if err != nil {
		t.Fatalf("container %s has no address on %s: %+v", id[:12], net, nets)
	}
	return ip
}

// httpGet fetches url, retrying while the server starts (up to 5s).
func httpGet(t *testing.T, url string) (string, error) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := client.Get(url)
		if err == nil {
			b, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			return string(b), rerr
		}
		if time.Now().After(deadline) {
			return "", err
		}
		<-time.After(20 * time.Millisecond)
	}
}

func httpd(name, network string, ports map[string][]PortBinding) CreateOptions {
	return CreateOptions{Name: name, NetworkMode: network, PortBindings: ports,
		Cmd: []string{"httpd", "-f", "-p", "80", "-h", "/etc"}}
}

// assertClean checks that no container holds a lease, a veth or a DNAT
// rule.
func assertClean(t *testing.T, e *Engine) {
	t.Helper()
	db, err := e.st.ReadNetworks()
	if err != nil {
		t.Fatal(err)
	}
	for _, ep := range db.Endpoints {
		if ep.Active() {
			t.Errorf("lease of %s left: %s", ep.Container[:12], ep.IP)
		}
	}
	veths, _ := network.LinksWithPrefix(e.netNames().veth)
	for _, v := range veths {
		// A pair the kernel is still deleting with its namespace goes
		// within moments; one that stays is a leak.
		deadline := time.Now().Add(2 * time.Second)
		for {
			left, _ := network.LinksWithPrefix(v)
			if len(left) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("veth %s left behind", v)
				break
			}
			<-time.After(20 * time.Millisecond)
		}
	}
	fw, err := e.netNames().firewall()
	if err != nil {
		t.Fatal(err)
	}
	dump, _ := fw.Dump(t.Context())
	if strings.Contains(dump, "DNAT --to-destination") {
		t.Errorf("DNAT rules left:\n%s", dump)
	}
}

func TestContainerNetworking(t *testing.T) {
	e := netTestEngine(t)
	ctx := t.Context()

	t.Run("none has only lo, up", func(t *testing.T) {
		o := CreateOptions{Name: "none1", NetworkMode: "none", Cmd: []string{"sh", "-c", "test \"$(ls /sys/class/net)\" = lo || exit 1; test \"$(cat /sys/class/net/lo/flags)\" = 0x9 || exit 2"}}
		switch code := runExit(t, e, o); code {
		case 0:
		case 1:
			t.Error("--network none: interfaces other than lo")
		case 2:
			t.Error("--network none: lo is down")
		default:
			t.Errorf("--network none: exit %d", code)
		}
	})
	t.Run("host sees the host's interfaces", func(t *testing.T) {
		// lo and the devices, not the bridges and veths that other tests
		// make and remove meanwhile.
		ifs, _ := net.Interfaces()
		var names []string
		for _, i := range ifs {
			if _, err := os.Stat("/sys/class/net/" + i.Name + "/device"); err == nil || i.Name == "lo" {
				names = append(names, "-e /sys/class/net/"+i.Name)
			}
		}
		o := CreateOptions{Name: "host1", NetworkMode: "host", Cmd: []string{"sh", "-c", "test " + strings.Join(names, " -a ")}}
		if code := runExit(t, e, o); code != 0 {
			t.Errorf("--network host: host interfaces missing (exit %d)", code)
		}
	})

	var web string
	t.Run("default bridge and published port", func(t *testing.T) {
		web = runNet(t, e, httpd("web", DefaultBridge, map[string][]PortBinding{"80/tcp": {{HostPort: "18080"}}}))
		ip := containerIP(t, e, web, DefaultBridge)
		want := web[:12] + "\n" // /etc/hostname served by httpd
		n, err := e.InspectNetwork(ctx, DefaultBridge)
		if err != nil {
			t.Fatal(err)
		}
		gw := n.IPAM.Config[0].Gateway // an address of this host
		for _, url := range []string{
			"http://" + ip.String() + "/hostname",
			"http://127.0.0.1:18080/hostname",
			"http://" + gw + ":18080/hostname",
		} {
			got, err := httpGet(t, url)
			if err != nil || got != want {
				t.Errorf("GET %s = %q, %v, want %q", url, got, err, want)
			}
		}
		ports, err := e.ContainerPorts(ctx, "web")
		if err != nil || len(ports) != 1 || ports[0].String() != "80/tcp -> 0.0.0.0:18080" {
			t.Errorf("ContainerPorts(web) = %v, %v, want [80/tcp -> 0.0.0.0:18080]", ports, err)
		}
		hosts, _ := os.ReadFile(e.st.Container(web).Hosts)
		if !strings.Contains(string(hosts), ip.String()+"\t"+web[:12]+"\n") {
			t.Errorf("hosts of web lacks its own address:\n%s", hosts)
		}
		resolv, _ := os.ReadFile(e.st.Container(web).ResolvConf)
		if strings.Contains(string(resolv), "nameserver 127.") || !strings.Contains(string(resolv), "nameserver ") {
			t.Errorf("resolv.conf of web = %q, want non-loopback nameservers", resolv)
		}
	})
	t.Run("port in use fails before the container runs", func(t *testing.T) {
		o := httpd("web2", DefaultBridge, map[string][]PortBinding{"80/tcp": {{HostPort: "18080"}}})
		o.Image = "busybox"
		id, err := e.Create(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		err = e.Start(ctx, id)
		if err == nil || !strings.Contains(err.Error(), "port is already allocated") {
			t.Fatalf("start with a taken port = %v, want port is already allocated", err)
		}
		db, _ := e.st.ReadNetworks()
		for _, ep := range db.Endpoints {
			if ep.Container == id && ep.Active() {
				t.Errorf("failed start left lease %s", ep.IP)
			}
		}
		e.Remove(ctx, id, RemoveOptions{Force: true})
	})
	t.Run("random host port", func(t *testing.T) {
		id := runNet(t, e, httpd("web3", DefaultBridge, map[string][]PortBinding{"80/tcp": nil}))
		ports, err := e.ContainerPorts(ctx, id)
		if err != nil || len(ports) != 1 || ports[0].HostPort == 0 {
			t.Fatalf("ContainerPorts = %v, %v, want one port", ports, err)
		}
		url := fmt.Sprintf("http://127.0.0.1:%d/hostname", ports[0].HostPort)
		if got, err := httpGet(t, url); err != nil || got != id[:12]+"\n" {
			t.Errorf("GET %s = %q, %v", url, got, err)
		}
		e.Remove(ctx, id, RemoveOptions{Force: true})
	})

	t.Run("user networks", func(t *testing.T) {
		if _, err := e.CreateNetwork(ctx, "front", NetworkCreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.CreateNetwork(ctx, "back", NetworkCreateOptions{}); err != nil {
			t.Fatal(err)
		}
		a := runNet(t, e, httpd("alpha", "front", nil))
		runNet(t, e, httpd("beta", "front", nil))
		other := runNet(t, e, httpd("gamma", "back", nil))
		aIP := containerIP(t, e, a, "front")

		ping := func(name, network, target string) int {
			return runExit(t, e, CreateOptions{Name: name, NetworkMode: network, Cmd: []string{"ping", "-c", "1", "-W", "2", target}})
		}
		if code := ping("p1", "front", "alpha"); code != 0 {
			t.Errorf("ping alpha by name from front: exit %d, want 0", code)
		}
		if code := ping("self", "front", "self"); code != 0 {
			t.Errorf("ping its own name on front: exit %d, want 0", code)
		}
		if code := runExit(t, e, CreateOptions{Name: "w1", NetworkMode: "front", Cmd: []string{"wget", "-q", "-O", "-", "http://beta/hostname"}}); code != 0 {
			t.Errorf("wget beta by name from front: exit %d, want 0", code)
		}
		if code := ping("p2", "back", aIP.String()); code == 0 {
			t.Errorf("ping %s (front) from back succeeded, want networks isolated", aIP)
		}
		if code := ping("p3", "back", "alpha"); code == 0 {
			t.Errorf("back resolved and reached alpha, want it unknown there")
		}

		// connect gamma to front with an alias: front's containers resolve
		// it at once, by name and alias.
		if err := e.ConnectNetwork(ctx, "front", "gamma", []string{"db"}, ""); err != nil {
			t.Fatal(err)
		}
		if code := ping("p4", "front", "db"); code != 0 {
			t.Errorf("ping alias db after connect: exit %d, want 0", code)
		}
		hosts, _ := os.ReadFile(e.st.Container(a).Hosts)
		if !strings.Contains(string(hosts), "gamma db") {
			t.Errorf("hosts of alpha lacks gamma after connect:\n%s", hosts)
		}
		if err := e.DisconnectNetwork(ctx, "front", "gamma", false); err != nil {
			t.Fatal(err)
		}
		hosts, _ = os.ReadFile(e.st.Container(a).Hosts)
		if strings.Contains(string(hosts), "gamma") {
			t.Errorf("hosts of alpha still has gamma after disconnect:\n%s", hosts)
		}
		if err := e.ConnectNetwork(ctx, "front", "gamma", nil, ""); err != nil {
			t.Fatal(err)
		}
		if err := e.ConnectNetwork(ctx, "front", "gamma", nil, ""); !errors.Is(err, ErrConflict) {
			t.Errorf("second connect = %v, want ErrConflict", err)
		}

		err := e.RemoveNetwork(ctx, "front")
		if !errors.Is(err, ErrConflict) {
			t.Errorf("RemoveNetwork(front in use) = %v, want ErrConflict", err)
		}
		for _, id := range []string{a, "beta", other} {
			if err := e.Remove(ctx, id, RemoveOptions{Force: true}); err != nil {
				t.Fatal(err)
			}
		}
		pruned, err := e.PruneNetworks(ctx, PruneFilter{})
		if err != nil || strings.Join(pruned, ",") != "back,front" {
			t.Errorf("PruneNetworks = %v, %v, want [back front]", pruned, err)
		}
	})

	t.Run("crashed monitor is repaired", func(t *testing.T) {
		id := runNet(t, e, httpd("crash", DefaultBridge, map[string][]PortBinding{"80/tcp": {{HostPort: "18081"}}}))
		st, err := e.readState(id)
		if err != nil {
			t.Fatal(err)
		}
		// kill -9 the monitor and the container: nobody runs Detach.
		for _, pid := range []int{st.MonitorPid, st.Pid} {
			if p, err := os.FindProcess(pid); err == nil {
				p.Kill()
			}
		}
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", st.Pid)); err != nil {
				break
			}
			<-time.After(10 * time.Millisecond)
		}
		if err := e.RepairNetworks(ctx); err != nil {
			t.Fatal(err)
		}
		db, _ := e.st.ReadNetworks()
		for _, ep := range db.Endpoints {
			if ep.Container == id && ep.Active() {
				t.Errorf("lease %s of the crashed container kept", ep.IP)
			}
		}
		fw, _ := e.netNames().firewall()
		if dump, _ := fw.Dump(ctx); strings.Contains(dump, "--dport 18081") {
			t.Errorf("DNAT rule of the crashed container kept:\n%s", dump)
		}
		e.Remove(ctx, id, RemoveOptions{Force: true})
		// Its port is free again.
		id2 := runNet(t, e, httpd("crash2", DefaultBridge, map[string][]PortBinding{"80/tcp": {{HostPort: "18081"}}}))
		if got, err := httpGet(t, "http://127.0.0.1:18081/hostname"); err != nil || got != id2[:12]+"\n" {
			t.Errorf("GET after repair = %q, %v", got, err)
		}
		e.Remove(ctx, id2, RemoveOptions{Force: true})
	})

	t.Run("stop and remove leave nothing", func(t *testing.T) {
		if err := e.Remove(ctx, web, RemoveOptions{Force: true}); err != nil {
			t.Fatal(err)
		}
		if err := e.RepairNetworks(ctx); err != nil {
			t.Fatal(err)
		}
		assertClean(t, e)
	})
	t.Run("bridge and rules rebuilt after a reboot", func(t *testing.T) {
		reboot(t, e)
		id := runNet(t, e, httpd("reboot", DefaultBridge, map[string][]PortBinding{"80/tcp": {{HostIP: "127.0.0.1", HostPort: "18082"}}}))
		if got, err := httpGet(t, "http://127.0.0.1:18082/hostname"); err != nil || got != id[:12]+"\n" {
			t.Errorf("GET after the bridge was rebuilt = %q, %v", got, err)
		}
		e.Remove(ctx, id, RemoveOptions{Force: true})
		assertClean(t, e)
	})
	t.Run("subnet taken while the bridge was gone", func(t *testing.T) {
		if _, err := e.CreateNetwork(ctx, "taken", NetworkCreateOptions{}); err != nil {
			t.Fatal(err)
		}
		db := reboot(t, e)
		// Another store or program takes the subnets meanwhile: here
		// bridges of no store, up on them.
		for i, name := range []string{DefaultBridge, "taken"} {
			br, err := network.BridgeOf(db.Network(name))
			if err != nil {
				t.Fatal(err)
			}
			br.Name = fmt.Sprintf("btforeign%d", i)
			t.Cleanup(func() { network.DeleteBridge(br.Name) })
			if err := network.EnsureBridge(br); err != nil {
				t.Fatal(err)
			}
			if err := network.SetBridgeUp(br.Name); err != nil {
				t.Fatal(err)
			}
		}
		// The default bridge takes another subnet.
		id := runNet(t, e, httpd("renumbered", DefaultBridge, map[string][]PortBinding{"80/tcp": {{HostIP: "127.0.0.1", HostPort: "18083"}}}))
		taken, _ := netip.ParsePrefix(db.Network(DefaultBridge).Subnet)
		if ip := containerIP(t, e, id, DefaultBridge); taken.Contains(ip) {
			t.Errorf("container got %s, in %s that btforeign0 routes", ip, taken)
		}
		if got, err := httpGet(t, "http://127.0.0.1:18083/hostname"); err != nil || got != id[:12]+"\n" {
			t.Errorf("GET after the default bridge was renumbered = %q, %v", got, err)
		}
		e.Remove(ctx, id, RemoveOptions{Force: true})
		// A user network keeps its subnet and refuses to start a container
		// whose traffic would go to the other bridge.
		o := httpd("refused", "taken", nil)
		o.Image = "busybox"
		id, err := e.Create(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Start(ctx, id); err == nil || !strings.Contains(err.Error(), "routed through btforeign1") {
			t.Errorf("start on a network whose subnet is taken = %v, want routed through btforeign1", err)
		}
		e.Remove(ctx, id, RemoveOptions{Force: true})
		if err := e.RemoveNetwork(ctx, "taken"); err != nil {
			t.Error(err)
		}
		assertClean(t, e)
	})
}

// reboot does to e's networks what a reboot does: it deletes their bridges
// and their iptables rules. It returns the records, which a reboot keeps.
func reboot(t *testing.T, e *Engine) store.NetworkDB {
	t.Helper()
	db, err := e.networkDB()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range db.Networks {
		if n.Bridge == "" {
			continue
		}
		if err := network.DeleteBridge(n.Bridge); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := e.netNames().firewall()
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Remove(t.Context()); err != nil {
		t.Fatal(err)
	}
	if dump, _ := fw.Dump(t.Context()); dump != "" {
		t.Fatalf("rules left after their removal:\n%s", dump)
	}
	return db
}

func TestNetworkBadInput(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create bridges")
	}
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := New(st, nil)
	ctx := t.Context()
	t.Cleanup(func() {
		e.PruneNetworks(context.Background(), PruneFilter{})
		e.ResetNetworking(context.Background())
	})
	if _, err := e.CreateNetwork(ctx, "n1", NetworkCreateOptions{Subnet: "10.211.0.0/24"}); err != nil {
		t.Fatal(err)
	}
	before, _ := st.ReadNetworks()
	routes, _ := network.HostRoutes()
	var hostRoute string
	for _, r := range routes {
		if r.Addr().Is4() && !r.Addr().IsLoopback() && r.Bits() >= 8 && network.CheckSubnet(r, network.UsedSubnets(&before)) == nil {
			hostRoute = r.String()
			break
		}
	}
	tests := []struct {
		name string
		do   func() error
		want error
		msg  string
	}{
		{"duplicate name", func() error { _, err := e.CreateNetwork(ctx, "n1", NetworkCreateOptions{}); return err }, ErrConflict, "already exists"},
		{"predefined name", func() error { _, err := e.CreateNetwork(ctx, "bridge", NetworkCreateOptions{}); return err }, ErrConflict, "already exists"},
		{"bad name", func() error { _, err := e.CreateNetwork(ctx, "-x", NetworkCreateOptions{}); return err }, ErrInvalid, "invalid name"},
		{"overlap with a network", func() error {
			_, err := e.CreateNetwork(ctx, "n2", NetworkCreateOptions{Subnet: "10.211.0.128/25"})
			return err
		}, ErrInvalid, "overlaps"},
		{"bad subnet", func() error {
			_, err := e.CreateNetwork(ctx, "n3", NetworkCreateOptions{Subnet: "10.0.0.1/8"})
			return err
		}, ErrInvalid, "host bits"},
		{"gateway outside", func() error {
			_, err := e.CreateNetwork(ctx, "n4", NetworkCreateOptions{Subnet: "10.212.0.0/24", Gateway: "10.213.0.1"})
			return err
		}, ErrInvalid, "gateway"},
		{"unknown network inspect", func() error { _, err := e.InspectNetwork(ctx, "nope"); return err }, ErrNotFound, "network nope not found"},
		{"unknown network rm", func() error { return e.RemoveNetwork(ctx, "nope") }, ErrNotFound, "network nope not found"},
		{"remove predefined", func() error { return e.RemoveNetwork(ctx, "bridge") }, ErrInvalid, "pre-defined"},
		{"invalid port", func() error { _, err := ParsePortBindings([]string{"99999"}); return err }, ErrInvalid, `invalid port specification: "99999"`},
	}
	if hostRoute != "" {
		tests = append(tests, struct {
			name string
			do   func() error
			want error
			msg  string
		}{"overlap with a host route", func() error {
			_, err := e.CreateNetwork(ctx, "n5", NetworkCreateOptions{Subnet: hostRoute})
			return err
		}, ErrInvalid, "route of this host"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if !errors.Is(err, tt.want) || !strings.Contains(fmt.Sprint(err), tt.msg) {
				t.Errorf("error = %v, want %v containing %q", err, tt.want, tt.msg)
			}
		})
	}
	after, _ := st.ReadNetworks()
	if len(after.Networks) != len(before.Networks) {
		t.Errorf("failed creates left records: %d networks, want %d", len(after.Networks), len(before.Networks))
	}
	if err := e.RemoveNetwork(ctx, "n1"); err != nil {
		t.Fatal(err)
	}
	bridges, _ := network.LinksWithPrefix(e.netNames().ifPrefix + "-")
	if len(bridges) != 0 {
		t.Errorf("bridges left after rm: %v", bridges)
	}
}
