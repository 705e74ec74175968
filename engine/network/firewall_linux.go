package network

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
	"time"
)

// Firewall programs berth's iptables rules. All of them live in berth's
// own chains, which are rebuilt whole and atomically (one
// iptables-restore transaction) from the engine's records on every change,
// so a change can never leave half a rule set, and a repair is just
// another rebuild. Only the jumps into those chains sit in the built-in
// chains.
//
// Published ports are DNAT rules, as docker does without its userland
// proxy: PREROUTING (traffic from other hosts and other containers) and
// OUTPUT (the host itself, including 127.0.0.1, which route_localnet on
// the bridge and a MASQUERADE of loopback sources make routable). The
// kernel then forwards every packet, so a published port costs no more
// than a direct connection to the container and no process copies bytes.
// A userland proxy (see Published) only covers what DNAT cannot: IPv6
// host addresses.
type Firewall struct {
	iptables string
	restore  string
	// chain prefixes berth's chains: CHAIN-FORWARD, CHAIN-DNAT,
	// CHAIN-POSTROUTING.
	chain string
	// bridges is the interface name prefix of berth's bridges; "berth"
	// matches berth0 and berth-<id>.
	bridges string
}

// FirewallOption configures NewFirewall.
type FirewallOption func(*firewallOptions)

type firewallOptions struct {
	chain, bridges string
}

// WithChains sets the chain name prefix (default "BERTH") and the bridge
// interface name prefix the rules match (default "berth"); tests use
// their own so they never touch a real installation's rules.
func WithChains(chain, bridgePrefix string) FirewallOption {
	return func(o *firewallOptions) { o.chain, o.bridges = chain, bridgePrefix }
}

// NewFirewall finds iptables and iptables-restore on PATH. It returns
// ErrNoFirewall if they are missing.
func NewFirewall(opts ...FirewallOption) (*Firewall, error) {
	o := firewallOptions{chain: "BERTH", bridges: "berth"}
	for _, opt := range opts {
		opt(&o)
	}
	ipt, err := lookSbin("iptables")
	if err != nil {
		return nil, ErrNoFirewall
	}
	rst, err := lookSbin("iptables-restore")
	if err != nil {
		return nil, ErrNoFirewall
	}
	return &Firewall{iptables: ipt, restore: rst, chain: o.chain, bridges: o.bridges}, nil
}

// lookSbin finds name on PATH or in the sbin directories, which a
// monitor's or a user's PATH may lack.
func lookSbin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
		if p, err := exec.LookPath(d + "/" + name); err == nil {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

// Forward is one published port in force: traffic to HostIP:HostPort
// (every local address if HostIP is invalid) goes to IP:Port.
type Forward struct {
	Proto    string
	HostIP   netip.Addr
	HostPort uint16
	IP       netip.Addr
	Port     uint16
}

// Rules is everything berth's chains should contain.
type Rules struct {
	Bridges  []Bridge
	Forwards []Forward
}

func (f *Firewall) names() (fwd, dnat, post string) {
	return f.chain + "-FORWARD", f.chain + "-DNAT", f.chain + "-POSTROUTING"
}

// Script returns the iptables-restore input that replaces berth's chains
// with r.
func (f *Firewall) Script(r Rules) string {
	fwd, dnat, post := f.names()
	all := f.bridges + "+"
	var b strings.Builder
	b.WriteString("*filter\n:" + fwd + " - [0:0]\n")
	for _, br := range r.Bridges {
		fmt.Fprintf(&b, "-A %s -i %s -o %s -j ACCEPT\n", fwd, br.Name, br.Name)
	}
	fmt.Fprintf(&b, "-A %s -o %s -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n", fwd, all)
	fmt.Fprintf(&b, "-A %s -o %s -m conntrack --ctstate DNAT -j ACCEPT\n", fwd, all)
	// Isolation between networks, docker's DOCKER-ISOLATION: a packet from
	// one berth bridge to another is dropped.
	fmt.Fprintf(&b, "-A %s -i %s -o %s -j DROP\n", fwd, all, all)
	fmt.Fprintf(&b, "-A %s -i %s -j ACCEPT\n", fwd, all)
	fmt.Fprintf(&b, "-A %s -o %s -j DROP\n", fwd, all)
	b.WriteString("COMMIT\n*nat\n:" + dnat + " - [0:0]\n:" + post + " - [0:0]\n")
	for _, fw := range r.Forwards {
		if fw.HostIP.IsValid() && !fw.HostIP.Is4() {
			continue
		}
		dst := ""
		if fw.HostIP.IsValid() {
			dst = "-d " + fw.HostIP.String() + "/32 "
		}
		fmt.Fprintf(&b, "-A %s %s-p %s -m %s --dport %d -j DNAT --to-destination %s:%d\n",
			dnat, dst, fw.Proto, fw.Proto, fw.HostPort, fw.IP, fw.Port)
	}
	for _, br := range r.Bridges {
		fmt.Fprintf(&b, "-A %s -s %s ! -o %s -j MASQUERADE\n", post, br.Subnet.Masked(), br.Name)
		// Hairpin: a container reaching a published port of its own
		// network through the host must see replies come back the same way.
		fmt.Fprintf(&b, "-A %s -s %s -o %s -m conntrack --ctstate DNAT -j MASQUERADE\n", post, br.Subnet.Masked(), br.Name)
	}
	fmt.Fprintf(&b, "-A %s -s 127.0.0.0/8 -o %s -j MASQUERADE\n", post, all)
	b.WriteString("COMMIT\n")
	return b.String()
}

// Apply replaces the contents of berth's chains with r in one atomic
// transaction and makes sure the built-in chains jump to them. It is
// idempotent.
func (f *Firewall) Apply(ctx context.Context, r Rules) error {
	if err := f.run(ctx, strings.NewReader(f.Script(r)), f.restore, "-w", "--noflush"); err != nil {
		return fmt.Errorf("apply firewall rules: %w", err)
	}
	return f.ensureJumps(ctx)
}

// Sync is Apply without checking the jumps: for changes made while the
// jumps are known to be in place (a bridge of the network is up).
func (f *Firewall) Sync(ctx context.Context, r Rules) error {
	if err := f.run(ctx, strings.NewReader(f.Script(r)), f.restore, "-w", "--noflush"); err != nil {
		return fmt.Errorf("apply firewall rules: %w", err)
	}
	return nil
}

func (f *Firewall) jumps() [][]string {
	fwd, dnat, post := f.names()
	return [][]string{
		{"filter", "FORWARD", "-j", fwd},
		{"nat", "PREROUTING", "-m", "addrtype", "--dst-type", "LOCAL", "-j", dnat},
		{"nat", "OUTPUT", "-m", "addrtype", "--dst-type", "LOCAL", "-j", dnat},
		{"nat", "POSTROUTING", "-j", post},
	}
}

func (f *Firewall) ensureJumps(ctx context.Context) error {
	for _, j := range f.jumps() {
		args := append([]string{"-w", "-t", j[0], "-C", j[1]}, j[2:]...)
		if f.run(ctx, nil, f.iptables, args...) == nil {
			continue
		}
		args = append([]string{"-w", "-t", j[0], "-I", j[1], "1"}, j[2:]...)
		if err := f.run(ctx, nil, f.iptables, args...); err != nil {
			return fmt.Errorf("insert jump to %s: %w", j[len(j)-1], err)
		}
	}
	return nil
}

// Remove deletes the jumps and berth's chains. Missing rules and chains
// are not an error.
func (f *Firewall) Remove(ctx context.Context) error {
	for _, j := range f.jumps() {
		args := append([]string{"-w", "-t", j[0], "-D", j[1]}, j[2:]...)
		for i := 0; i < 8 && f.run(ctx, nil, f.iptables, args...) == nil; i++ {
			// A jump inserted twice by hand is removed as well.
		}
	}
	fwd, dnat, post := f.names()
	for _, c := range [][2]string{{"filter", fwd}, {"nat", dnat}, {"nat", post}} {
		f.run(ctx, nil, f.iptables, "-w", "-t", c[0], "-F", c[1])
		f.run(ctx, nil, f.iptables, "-w", "-t", c[0], "-X", c[1])
	}
	return nil
}

// Dump returns the rules of berth's chains as iptables -S prints them,
// for tests and diagnostics.
func (f *Firewall) Dump(ctx context.Context) (string, error) {
	fwd, dnat, post := f.names()
	var out strings.Builder
	for _, c := range [][2]string{{"filter", fwd}, {"nat", dnat}, {"nat", post}} {
		cmd := exec.CommandContext(ctx, f.iptables, "-w", "-t", c[0], "-S", c[1])
		b, err := cmd.Output()
		if err != nil {
			continue
		}
		out.Write(b)
	}
	return out.String(), nil
}

func (f *Firewall) run(ctx context.Context, stdin *strings.Reader, bin string, args ...string) error {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.WaitDelay = 5 * time.Second
	if stdin != nil {
		cmd.Stdin = stdin
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return fmt.Errorf("%s: %w: %s", bin, err, msg)
		}
		return fmt.Errorf("%s: %w", bin, err)
	}
	return nil
}
