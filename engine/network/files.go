package network

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"strings"
)

// HostEntry is one line of a hosts file: an address and its names.
type HostEntry struct {
	IP    netip.Addr
	Names []string
}

// Hosts returns the /etc/hosts of a container as docker writes it: the
// loopback and IPv6 boilerplate, then self (the container's own addresses
// and hostname), then peers (the other containers on its user networks,
// by name and alias). Duplicate lines are dropped.
//
// berth keeps container names resolvable through this file rather than an
// embedded DNS server: the file is bind-mounted into every container and
// rewritten in place on connect, disconnect, start and stop, which costs a
// small write per peer and nothing at all while nothing changes, needs no
// server process, no per-container DNAT rule for 127.0.0.11 and works with
// every libc (musl and busybox included).
func Hosts(self, peers []HostEntry) []byte {
	var b bytes.Buffer
	b.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" +
		"fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n")
	seen := map[string]bool{}
	for _, list := range [][]HostEntry{self, peers} {
		for _, e := range list {
			if !e.IP.IsValid() || len(e.Names) == 0 {
				continue
			}
			line := e.IP.String() + "\t" + strings.Join(e.Names, " ") + "\n"
			if !seen[line] {
				seen[line] = true
				b.WriteString(line)
			}
		}
	}
	return b.Bytes()
}

// googleDNS are docker's fallback nameservers when the host has none a
// container could reach.
var googleDNS = []string{"8.8.8.8", "8.8.4.4"}

// ResolvConf returns the /etc/resolv.conf of a container on a bridge
// network, following docker's rule: the host's file with loopback
// nameservers removed (they are unreachable from another network
// namespace); if none remain, alt (systemd-resolved's upstream file, if
// given) is tried the same way, then Google's public servers.
func ResolvConf(host, alt []byte) []byte {
	out, n := filterLoopback(host)
	if n == 0 && alt != nil {
		out, n = filterLoopback(alt)
	}
	if n == 0 {
		var b bytes.Buffer
		b.Write(out)
		for _, ns := range googleDNS {
			fmt.Fprintf(&b, "nameserver %s\n", ns)
		}
		return b.Bytes()
	}
	return out
}

// filterLoopback drops loopback nameserver lines and reports how many
// nameservers remain.
func filterLoopback(in []byte) ([]byte, int) {
	var b bytes.Buffer
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(in))
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "nameserver" {
			ip, err := netip.ParseAddr(strings.SplitN(f[1], "%", 2)[0])
			if err == nil && ip.IsLoopback() {
				continue
			}
			n++
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.Bytes(), n
}

// HostResolvConf reads the host's /etc/resolv.conf and, when it lists
// only loopback servers, systemd-resolved's upstream file, and returns the
// container's file per ResolvConf.
func HostResolvConf() []byte {
	host, _ := os.ReadFile("/etc/resolv.conf")
	if _, n := filterLoopback(host); n > 0 {
		return ResolvConf(host, nil)
	}
	alt, err := os.ReadFile("/run/systemd/resolve/resolv.conf")
	if err != nil {
		alt = nil
	}
	return ResolvConf(host, alt)
}

// WriteInPlace replaces the content of path with b without replacing the
// file itself (truncate and write), because the file is bind-mounted into
// a container and a rename would leave the mount on the old inode. The
// file is created if missing.
func WriteInPlace(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
