package network

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
)

// Published holds the host side of one container's published ports: a
// bound socket per port, which reserves the port (a second container or
// any other program asking for it gets EADDRINUSE) for as long as the
// holder lives. It is held by the container's monitor, so a dead monitor
// frees its ports with it.
//
// IPv4 traffic to a published port never reaches these sockets: the
// firewall's DNAT rules send it to the container first. What does reach
// them (IPv6 connections to a port published on every address, or IPv4
// when no DNAT rule is in force) is proxied to the container by Serve.
type Published struct {
	ports []PortSpec
	tcp   []net.Listener
	udp   []net.PacketConn

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
	// proxied counts the connections Serve proxied.
	proxied atomic.Int64
}

// Publish binds every spec. Specs with HostPort 0 get a free port from the
// kernel; Ports returns the specs with their ports resolved. If any port
// is taken, every socket bound so far is closed and the error wraps
// ErrPortInUse: bind 0.0.0.0:8080/tcp: port is already allocated.
func Publish(specs []PortSpec) (*Published, error) {
	p := &Published{conns: map[net.Conn]struct{}{}}
	for _, s := range specs {
		host := ""
		if s.HostIP.IsValid() {
			host = s.HostIP.String()
		}
		addr := net.JoinHostPort(host, strconv.Itoa(int(s.HostPort)))
		var err error
		var bound net.Addr
		if s.Proto == "udp" {
			var pc net.PacketConn
			if pc, err = net.ListenPacket("udp", addr); err == nil {
				p.udp = append(p.udp, pc)
				bound = pc.LocalAddr()
			}
		} else {
			var l net.Listener
			if l, err = net.Listen("tcp", addr); err == nil {
				p.tcp = append(p.tcp, l)
				bound = l.Addr()
			}
		}
		if err != nil {
			p.Close()
			if errors.Is(err, syscall.EADDRINUSE) {
				return nil, fmt.Errorf("bind %s/%s: %w", s.HostAddr(), s.Proto, ErrPortInUse)
			}
			return nil, fmt.Errorf("bind %s/%s: %w", s.HostAddr(), s.Proto, err)
		}
		if ap, perr := netip.ParseAddrPort(bound.String()); perr == nil {
			s.HostPort = ap.Port()
		}
		p.ports = append(p.ports, s)
	}
	return p, nil
}

// Ports returns the published ports with their host ports resolved, in
// the order given to Publish.
func (p *Published) Ports() []PortSpec { return append([]PortSpec(nil), p.ports...) }

// Serve starts proxying the TCP connections that reach the reserved
// sockets to the container at ip. It returns at once; Close stops the
// proxies and waits for them.
func (p *Published) Serve(ip netip.Addr) {
	i := 0
	for _, s := range p.ports {
		if s.Proto != "tcp" {
			continue
		}
		l, target := p.tcp[i], net.JoinHostPort(ip.String(), strconv.Itoa(int(s.ContainerPort)))
		i++
		p.wg.Go(func() { p.accept(l, target) })
	}
}

func (p *Published) accept(l net.Listener, target string) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			c.Close()
			return
		}
		p.proxied.Add(1)
		p.wg.Go(func() { p.proxy(c, target) })
	}
}

func (p *Published) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Published) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

func (p *Published) proxy(in net.Conn, target string) {
	defer p.untrack(in)
	out, err := net.Dial("tcp4", target)
	if err != nil {
		return
	}
	if !p.track(out) {
		out.Close()
		return
	}
	defer p.untrack(out)
	var wg sync.WaitGroup
	pipe := func(dst, src net.Conn) {
		io.Copy(dst, src)
		if tc, ok := dst.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
	}
	wg.Go(func() { pipe(out, in) })
	pipe(in, out)
	wg.Wait()
}

// Close releases every port and ends the proxies, waiting for them. It is
// idempotent.
func (p *Published) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	for _, l := range p.tcp {
		l.Close()
	}
	for _, pc := range p.udp {
		pc.Close()
	}
	p.wg.Wait()
	return nil
}
