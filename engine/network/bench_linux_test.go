package network

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/berth-dev/berth/store"
)

// BenchmarkAttach measures the per-container cost of bridge networking,
// as a container start and exit pay it: lease an address in the store,
// create the veth pair into the container's namespace, address, route and
// bring it up; at exit release the lease (the kernel deletes the veth pair
// with the namespace, so nobody waits for it). Creating and ending the
// namespace itself, paid by --network none too, is not timed.
func BenchmarkAttach(b *testing.B) {
	needRoot(b)
	br := testBridge(b)
	st, err := store.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	nwID := RandomID()
	st.UpdateNetworks(func(db *store.NetworkDB) error {
		db.Networks = append(db.Networks, store.Network{ID: nwID, Name: "bench", Driver: "bridge", Bridge: br.Name, Subnet: br.Subnet.String(), Gateway: br.Gateway.String()})
		db.Endpoints = append(db.Endpoints, store.Endpoint{ID: RandomID(), Network: nwID, Container: "c"})
		return nil
	})
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		cmd := exec.Command("/bin/sleep", "3600")
		cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		pid := cmd.Process.Pid
		b.StartTimer()
		var ep store.Endpoint
		err := st.UpdateNetworks(func(db *store.NetworkDB) error {
			_, err := Lease(db, &db.Networks[0], &db.Endpoints[0])
			db.Endpoints[0].HostVeth = VethName("vbtest")
			db.Endpoints[0].PID = pid
			ep = db.Endpoints[0]
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		ip := netip.MustParseAddr(ep.IP)
		l := Link{Bridge: br.Name, HostVeth: ep.HostVeth, IfName: "eth0", Addr: netip.PrefixFrom(ip, br.Subnet.Bits()), Gateway: br.Gateway, DefaultRoute: true}
		if err := Attach(fmt.Sprintf("/proc/%d/ns/net", pid), l); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		cmd.Process.Kill()
		cmd.Wait()
		b.StartTimer()
		err = st.UpdateNetworks(func(db *store.NetworkDB) error {
			Release(&db.Endpoints[0])
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRoundTrip compares one small request and answer over an open
// connection, and a fresh connection per request, to a server in a
// container reached directly at its address and through a published port
// on 127.0.0.1.
func BenchmarkRoundTrip(b *testing.B) {
	needRoot(b)
	fw := testFirewall(b)
	br := testBridge(b)
	pid, ip, _ := attachNS(b, br, 1)
	serveEcho(b, pid, 80)
	pub, err := Publish([]PortSpec{{Proto: "tcp", ContainerPort: 80}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { pub.Close() })
	pub.Serve(ip)
	port := pub.Ports()[0].HostPort
	if err := fw.Apply(b.Context(), Rules{Bridges: []Bridge{br}, Forwards: []Forward{{Proto: "tcp", HostPort: port, IP: ip, Port: 80}}}); err != nil {
		b.Fatal(err)
	}
	targets := []struct{ name, addr string }{
		{"direct", netip.AddrPortFrom(ip, 80).String()},
		{"published", fmt.Sprintf("127.0.0.1:%d", port)},
	}
	for _, tg := range targets {
		b.Run("request/"+tg.name, func(b *testing.B) {
			c, err := net.DialTimeout("tcp4", tg.addr, 2*time.Second)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			r := bufio.NewReader(c)
			for b.Loop() {
				if _, err := io.WriteString(c, "ping\n"); err != nil {
					b.Fatal(err)
				}
				if _, err := r.ReadString('\n'); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("connect/"+tg.name, func(b *testing.B) {
			for b.Loop() {
				if err := roundTrip(tg.addr, dialTimeout(2*time.Second)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
