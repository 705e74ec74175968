package engine

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/berth-dev/berth/engine/network"
	"github.com/berth-dev/berth/store"
)

// BenchmarkNetworkSeam measures what a container start and exit pay for
// networking, per mode, through the monitor's seam (Attach after the init
// exists, Detach after it exited): nothing for none, for bridge a lease,
// a veth pair wired into the namespace, hosts and resolv.conf, and the
// release. The namespace itself (made by clone for none as well) is
// created and ended outside the timer.
func BenchmarkNetworkSeam(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	st, err := store.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	e := New(st, nil)
	b.Cleanup(func() { e.ResetNetworking(context.Background()) })
	for _, mode := range []string{"none", DefaultBridge} {
		b.Run(mode, func(b *testing.B) {
			id := network.RandomID()
			rec := &containerRecord{ID: id, Name: "bench-" + mode, Config: ContainerConfig{Hostname: id[:12]}, HostConfig: HostConfig{NetworkMode: mode}}
			if _, err := st.CreateContainer(id, rec); err != nil {
				b.Fatal(err)
			}
			// Locking the container makes its runtime directory, where
			// the attach writes hosts and resolv.conf, as a start does.
			unlock, err := st.LockContainer(id)
			if err != nil {
				b.Fatal(err)
			}
			unlock()
			var times []time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				cmd := exec.Command("/bin/sleep", "3600")
				cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
				if err := cmd.Start(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				t0 := time.Now()
				n, err := e.networkFor(mode)
				if err != nil {
					b.Fatal(err)
				}
				if err := n.Attach(b.Context(), rec, cmd.Process.Pid, fmt.Sprintf("/proc/%d/ns/net", cmd.Process.Pid)); err != nil {
					b.Fatal(err)
				}
				attach := time.Since(t0)
				b.StopTimer()
				cmd.Process.Kill()
				cmd.Wait()
				b.StartTimer()
				t0 = time.Now()
				if err := n.Detach(b.Context(), rec); err != nil {
					b.Fatal(err)
				}
				times = append(times, attach+time.Since(t0))
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
			b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
		})
	}
}
