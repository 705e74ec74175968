package network

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/berth-dev/berth/store"
)

func TestParsePortSpec(t *testing.T) {
	tests := []struct {
		spec string
		want []string // PortSpec.String of each, HostPort 0 shown as :0
		err  bool
	}{
		{spec: "8080:80", want: []string{"0.0.0.0:8080->80/tcp"}},
		{spec: "80", want: []string{"0.0.0.0:0->80/tcp"}},
		{spec: "127.0.0.1:8080:80/udp", want: []string{"127.0.0.1:8080->80/udp"}},
		{spec: "127.0.0.1::80", want: []string{"127.0.0.1:0->80/tcp"}},
		{spec: "0.0.0.0:8080:80", want: []string{"0.0.0.0:8080->80/tcp"}},
		{spec: "[::1]:8080:80", want: []string{"[::1]:8080->80/tcp"}},
		{spec: "8080-8081:80-81/TCP", want: []string{"0.0.0.0:8080->80/tcp", "0.0.0.0:8081->81/tcp"}},
		{spec: "99999", err: true},
		{spec: "8080:99999", err: true},
		{spec: "0:80", err: true},
		{spec: "", err: true},
		{spec: "abc:80", err: true},
		{spec: "80/sctp", err: true},
		{spec: "1.2.3:8080:80", err: true},
		{spec: "8080-8082:80-81", err: true},
		{spec: "81-80", err: true},
		{spec: "1:2:3:4", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			got, err := ParsePortSpec(tt.spec)
			if tt.err {
				if !errors.Is(err, ErrInvalidPortSpec) {
					t.Fatalf("ParsePortSpec(%q) error = %v, want ErrInvalidPortSpec", tt.spec, err)
				}
				if !strings.Contains(err.Error(), `"`+tt.spec+`"`) {
					t.Errorf("ParsePortSpec(%q) error %q does not quote the spec", tt.spec, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePortSpec(%q) = %v", tt.spec, err)
			}
			var s []string
			for _, p := range got {
				s = append(s, p.String())
			}
			if strings.Join(s, ",") != strings.Join(tt.want, ",") {
				t.Errorf("ParsePortSpec(%q) = %v, want %v", tt.spec, s, tt.want)
			}
		})
	}
}

func TestInvalidPortMessage(t *testing.T) {
	_, err := ParsePortSpec("99999")
	if got, want := err.Error(), `invalid port specification: "99999"`; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}

func TestParsePortSpecsDuplicate(t *testing.T) {
	if _, err := ParsePortSpecs([]string{"8080:80", "8080:81"}); !errors.Is(err, ErrInvalidPortSpec) {
		t.Errorf("ParsePortSpecs(two specs on host port 8080) = %v, want ErrInvalidPortSpec", err)
	}
	if _, err := ParsePortSpecs([]string{"8080:80", "8080:80/udp", "127.0.0.1:8080:81"}); err != nil {
		t.Errorf("ParsePortSpecs(distinct protocol and address) = %v, want nil", err)
	}
}

func TestParseExposed(t *testing.T) {
	got, err := ParseExposed([]string{"8080/tcp", "53/udp", "80"})
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, p := range got {
		s = append(s, p.String())
	}
	if want := "0.0.0.0:0->80/tcp,0.0.0.0:0->8080/tcp,0.0.0.0:0->53/udp"; strings.Join(s, ",") != want {
		t.Errorf("ParseExposed = %v, want %s", s, want)
	}
	if _, err := ParseExposed([]string{"http/tcp"}); !errors.Is(err, ErrInvalidPortSpec) {
		t.Errorf("ParseExposed(http/tcp) = %v, want ErrInvalidPortSpec", err)
	}
}

func TestPickSubnet(t *testing.T) {
	p := netip.MustParsePrefix
	tests := []struct {
		name string
		used []netip.Prefix
		want string
	}{
		{"empty host", nil, "172.30.0.0/16"},
		{"default route ignored", []netip.Prefix{p("0.0.0.0/0")}, "172.30.0.0/16"},
		{"first taken by a host route", []netip.Prefix{p("172.30.5.0/24")}, "172.31.0.0/16"},
		{"whole 172.16/12 taken", []netip.Prefix{p("172.16.0.0/12")}, "10.88.0.0/16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PickSubnet(tt.used)
			if err != nil || got.String() != tt.want {
				t.Errorf("PickSubnet(%v) = %v, %v, want %s", tt.used, got, err, tt.want)
			}
		})
	}
	all := []netip.Prefix{p("172.16.0.0/12"), p("10.0.0.0/8"), p("192.168.0.0/16")}
	if _, err := PickSubnet(all); !errors.Is(err, ErrNoSubnet) {
		t.Errorf("PickSubnet(all private taken) = %v, want ErrNoSubnet", err)
	}
}

func TestParseSubnetAndGateway(t *testing.T) {
	for _, bad := range []string{"nonsense", "10.1.2.3/16", "fd00::/64", "10.0.0.0/31"} {
		if _, err := ParseSubnet(bad); err == nil {
			t.Errorf("ParseSubnet(%q) = nil error, want error", bad)
		}
	}
	sub, err := ParseSubnet("10.9.0.0/24")
	if err != nil {
		t.Fatal(err)
	}
	if gw := DefaultGateway(sub); gw.String() != "10.9.0.1" {
		t.Errorf("DefaultGateway = %s, want 10.9.0.1", gw)
	}
	for _, bad := range []string{"10.9.0.0", "10.9.0.255", "10.9.1.1"} {
		if CheckGateway(sub, netip.MustParseAddr(bad)) == nil {
			t.Errorf("CheckGateway(%s) = nil, want error", bad)
		}
	}
}

func TestAllocate(t *testing.T) {
	sub := netip.MustParsePrefix("10.9.0.0/29") // hosts .1-.6
	gw := netip.MustParseAddr("10.9.0.1")
	used := map[netip.Addr]bool{}
	var got []string
	for {
		a, err := Allocate(sub, gw, used)
		if err != nil {
			if !errors.Is(err, ErrPoolExhausted) {
				t.Fatalf("Allocate = %v, want ErrPoolExhausted at the end", err)
			}
			break
		}
		used[a] = true
		got = append(got, a.String())
	}
	if want := "10.9.0.2 10.9.0.3 10.9.0.4 10.9.0.5 10.9.0.6"; strings.Join(got, " ") != want {
		t.Errorf("allocated %v, want %s (no network, gateway or broadcast address)", got, want)
	}
}

// TestLeaseStatic checks that an address asked for is given, that no
// other endpoint gets it even while its owner is stopped, and that
// CheckAddress refuses what the network cannot give.
func TestLeaseStatic(t *testing.T) {
	n := store.Network{ID: "n1", Name: "net", Subnet: "10.9.0.0/29", Gateway: "10.9.0.1"}
	db := &store.NetworkDB{Networks: []store.Network{n}, Endpoints: []store.Endpoint{
		{ID: "stopped", Network: "n1", StaticIP: "10.9.0.2"},
		{ID: "fixed", Network: "n1", StaticIP: "10.9.0.4"},
		{ID: "free", Network: "n1", StaticMAC: "92:d0:c6:0a:29:33"},
		{ID: "clash", Network: "n1"},
	}}
	lease := func(i int) (string, error) {
		ip, err := Lease(db, &db.Networks[0], &db.Endpoints[i])
		return ip.String(), err
	}
	if ip, err := lease(1); err != nil || ip != "10.9.0.4" || db.Endpoints[1].MAC != "02:42:0a:09:00:04" {
		t.Errorf("Lease(fixed) = %s, %v (MAC %s), want 10.9.0.4", ip, err, db.Endpoints[1].MAC)
	}
	if ip, err := lease(2); err != nil || ip != "10.9.0.3" || db.Endpoints[2].MAC != "92:d0:c6:0a:29:33" {
		t.Errorf("Lease(free) = %s, %v (MAC %s), want 10.9.0.3 (.2 is kept for a stopped endpoint) and the MAC asked for", ip, err, db.Endpoints[2].MAC)
	}
	for _, addr := range []string{"10.9.0.4", "10.9.0.2"} {
		db.Endpoints[3].StaticIP = addr
		if _, err := lease(3); err == nil || !strings.Contains(err.Error(), addr+" is already in use") {
			t.Errorf("Lease(%s, held or kept by another) = %v, want already in use", addr, err)
		}
	}
	for _, tt := range []struct{ ip, err string }{
		{"10.9.0.6", ""},
		{"10.9.0.9", "does not belong to the subnet"},
		{"10.9.0.1", "is the gateway"},
		{"10.9.0.0", "is not a host address"},
		{"10.9.0.7", "is not a host address"},
		{"::1", "invalid IPv4 address"},
		{"", "invalid IPv4 address"},
	} {
		_, err := CheckAddress(&n, tt.ip)
		if (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("CheckAddress(%q) = %v, want %q", tt.ip, err, tt.err)
		}
	}
}

func TestHosts(t *testing.T) {
	self := []HostEntry{{IP: netip.MustParseAddr("172.30.0.2"), Names: []string{"abc123"}}}
	peers := []HostEntry{
		{IP: netip.MustParseAddr("172.30.0.3"), Names: []string{"db", "database"}},
		{IP: netip.MustParseAddr("172.30.0.3"), Names: []string{"db", "database"}},
	}
	got := string(Hosts(self, peers))
	for _, want := range []string{"127.0.0.1\tlocalhost\n", "172.30.0.2\tabc123\n", "172.30.0.3\tdb database\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("Hosts() lacks %q:\n%s", want, got)
		}
	}
	if strings.Count(got, "db database") != 1 {
		t.Errorf("Hosts() repeats a peer:\n%s", got)
	}
}

func TestResolvConf(t *testing.T) {
	tests := []struct {
		name, host, alt, want string
	}{
		{"keeps reachable servers", "search example.org\nnameserver 10.0.0.53\n", "", "search example.org\nnameserver 10.0.0.53\n"},
		{"drops loopback", "nameserver 127.0.0.53\nnameserver 10.0.0.53\noptions edns0\n", "", "nameserver 10.0.0.53\noptions edns0\n"},
		{"falls back to resolved upstream", "nameserver 127.0.0.53\n", "nameserver 10.1.1.1\n", "nameserver 10.1.1.1\n"},
		{"falls back to google", "nameserver ::1\n", "", "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var alt []byte
			if tt.alt != "" {
				alt = []byte(tt.alt)
			}
			if got := string(ResolvConf([]byte(tt.host), alt)); got != tt.want {
				t.Errorf("ResolvConf(%q) = %q, want %q", tt.host, got, tt.want)
			}
		})
	}
}

func TestWriteInPlace(t *testing.T) {
	path := t.TempDir() + "/hosts"
	if err := WriteInPlace(path, []byte("a long first version\n")); err != nil {
		t.Fatal(err)
	}
	f, err := openIno(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteInPlace(path, []byte("short\n")); err != nil {
		t.Fatal(err)
	}
	g, _ := openIno(path)
	if f != g {
		t.Errorf("inode changed from %d to %d: a bind mount would keep the old file", f, g)
	}
	if b, _ := readFile(path); b != "short\n" {
		t.Errorf("content = %q, want %q", b, "short\n")
	}
}
