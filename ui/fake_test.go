package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/engine"
	"github.com/berth-dev/berth/engine/archive"
	"github.com/berth-dev/berth/engine/logfile"
)

// testNow is the fixed clock of the view tests.
var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// fakeEngine is an in-memory engine for the interface's tests. Changes
// emit events the way the real engine records them.
type fakeEngine struct {
	mu      sync.Mutex
	images  []engine.ImageSummary
	ctrs    []engine.ContainerSummary
	vols    []engine.Volume
	nets    []engine.Network
	history map[string][]engine.HistoryEntry
	layers  map[string][]engine.LayerInfo
	files   map[string][][]archive.Entry
	top     map[string]engine.TopResult
	logDir  string
	events  chan engine.Event
	calls   []string
	failOn  map[string]error // method name -> error to return
	// pullHold makes Pull report layers part way and then wait until
	// its ctx is done (the user cancels).
	pullHold bool
	topCalls int
	nextID   int
}

func (f *fakeEngine) record(call string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	return f.failOn[call[:indexOr(call, ' ')]]
}

func indexOr(s string, c byte) int {
	for i := range len(s) {
		if s[i] == c {
			return i
		}
	}
	return len(s)
}

// Calls returns the calls made so far.
func (f *fakeEngine) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakeEngine) emit(typ, action, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.events == nil {
		return
	}
	select {
	case f.events <- engine.Event{Time: testNow, Type: typ, Action: action, ID: id}:
	default:
	}
}

func (f *fakeEngine) Images(ctx context.Context, opts engine.ListImagesOptions) ([]engine.ImageSummary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.images), nil
}

func (f *fakeEngine) findImage(ref string) (engine.ImageSummary, bool) {
	for _, i := range f.images {
		if i.ID == ref || slices.Contains(i.RepoTags, ref) {
			return i, true
		}
	}
	return engine.ImageSummary{}, false
}

func (f *fakeEngine) InspectImage(ctx context.Context, ref string) (engine.ImageInspect, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, ok := f.findImage(ref)
	if !ok {
		return engine.ImageInspect{}, &engine.ImageNotFoundError{Ref: ref}
	}
	return engine.ImageInspect{ID: i.ID, RepoTags: i.RepoTags, Created: i.Created, Size: i.Size, Os: "linux", Architecture: "amd64"}, nil
}

func (f *fakeEngine) History(ctx context.Context, ref string) ([]engine.HistoryEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.history[ref], nil
}

func (f *fakeEngine) ImageLayers(ctx context.Context, ref string) ([]engine.LayerInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.layers[ref], nil
}

func (f *fakeEngine) LayerFiles(ctx context.Context, ref string, index int) ([]archive.Entry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if index >= len(f.files[ref]) {
		return nil, fmt.Errorf("layer %d: %w", index, engine.ErrNotFound)
	}
	return f.files[ref][index], nil
}

func (f *fakeEngine) Pull(ctx context.Context, ref string, opts engine.PullOptions) (engine.ImageSummary, error) {
	if err := f.record("Pull " + ref); err != nil {
		return engine.ImageSummary{}, err
	}
	if f.pullHold && opts.Progress != nil {
		for _, p := range []engine.PullProgress{
			{Layer: "a7a7a7a7a7a7", State: engine.PullAlreadyExists},
			{Layer: "f6f6f6f6f6f6", State: engine.PullDownloading, Current: 12_500_000, Total: 40_100_000},
			{Layer: "0c0c0c0c0c0c", State: engine.PullExtracting, Current: 900_000, Total: 1_000_000},
			{Layer: "5e5e5e5e5e5e", State: engine.PullWaiting},
			{Layer: "d2d2d2d2d2d2", State: engine.PullComplete, Current: 2_000, Total: 2_000},
		} {
			opts.Progress(p)
		}
		<-ctx.Done()
		return engine.ImageSummary{}, ctx.Err()
	}
	for _, l := range []string{"aaaaaaaaaaaa", "bbbbbbbbbbbb"} {
		if opts.Progress != nil {
			opts.Progress(engine.PullProgress{Layer: l, State: engine.PullComplete, Current: 100, Total: 100})
		}
	}
	f.mu.Lock()
	f.nextID++
	s := engine.ImageSummary{ID: fmt.Sprintf("sha256:%064d", f.nextID), RepoTags: []string{ref}, Created: testNow, Size: 1234567}
	f.images = append(f.images, s)
	f.mu.Unlock()
	f.emit("image", "pull", s.ID)
	return s, nil
}

func (f *fakeEngine) Tag(ctx context.Context, src, target string) error {
	if err := f.record("Tag " + src + " " + target); err != nil {
		return err
	}
	f.mu.Lock()
	for i := range f.images {
		if f.images[i].ID == src {
			f.images[i].RepoTags = append(f.images[i].RepoTags, target)
		}
	}
	f.mu.Unlock()
	f.emit("image", "tag", src)
	return nil
}

func (f *fakeEngine) RemoveImage(ctx context.Context, ref string, force bool) ([]engine.RemovedImage, error) {
	if err := f.record("RemoveImage " + ref); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.images = slices.DeleteFunc(f.images, func(i engine.ImageSummary) bool { return i.ID == ref || slices.Contains(i.RepoTags, ref) })
	f.mu.Unlock()
	f.emit("image", "delete", ref)
	return []engine.RemovedImage{{Deleted: ref}}, nil
}

func (f *fakeEngine) PruneImages(ctx context.Context, all bool, _ engine.PruneFilter) (engine.PruneReport, error) {
	if err := f.record("PruneImages"); err != nil {
		return engine.PruneReport{}, err
	}
	f.mu.Lock()
	var rep engine.PruneReport
	f.images = slices.DeleteFunc(f.images, func(i engine.ImageSummary) bool {
		if i.Dangling {
			rep.Deleted = append(rep.Deleted, i.ID)
			rep.SpaceReclaimed += i.Size
		}
		return i.Dangling
	})
	f.mu.Unlock()
	f.emit("image", "prune", "")
	return rep, nil
}

func (f *fakeEngine) Events(ctx context.Context, since time.Time) (<-chan engine.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.events == nil {
		f.events = make(chan engine.Event, 64)
	}
	ch := f.events
	go func() {
		<-ctx.Done()
		f.mu.Lock()
		defer f.mu.Unlock()
		close(ch)
		f.events = nil
	}()
	return ch, nil
}

func (f *fakeEngine) Containers(ctx context.Context, opts engine.ListContainersOptions) ([]engine.ContainerSummary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.ctrs), nil
}

func (f *fakeEngine) ctr(id string) *engine.ContainerSummary {
	for i := range f.ctrs {
		if f.ctrs[i].ID == id {
			return &f.ctrs[i]
		}
	}
	return nil
}

func (f *fakeEngine) InspectContainer(ctx context.Context, id string) (engine.ContainerInspect, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.ctr(id)
	if c == nil {
		return engine.ContainerInspect{}, fmt.Errorf("no such container %s: %w", id, engine.ErrNotFound)
	}
	var ci engine.ContainerInspect
	ci.ID, ci.Name = c.ID, "/"+c.Name
	ci.Config.Image = c.Image
	ci.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "NGINX_VERSION=1.27.0"}
	ci.Config.Cmd = []string{"nginx", "-g", "daemon off;"}
	return ci, nil
}

func (f *fakeEngine) Top(ctx context.Context, id, psArgs string) (engine.TopResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.topCalls++
	return f.top[id], nil
}

func (f *fakeEngine) setState(id, state string, exit int) {
	f.mu.Lock()
	if c := f.ctr(id); c != nil {
		c.State, c.ExitCode = state, exit
		if state == engine.StateRunning {
			c.StartedAt = testNow
		}
	}
	f.mu.Unlock()
}

func (f *fakeEngine) Start(ctx context.Context, id string) error {
	if err := f.record("Start " + id); err != nil {
		return err
	}
	f.setState(id, engine.StateRunning, 0)
	f.emit("container", "start", id)
	return nil
}

func (f *fakeEngine) Stop(ctx context.Context, id string, timeout *time.Duration) error {
	if err := f.record("Stop " + id); err != nil {
		return err
	}
	f.setState(id, engine.StateExited, 0)
	f.emit("container", "die", id)
	return nil
}

func (f *fakeEngine) Restart(ctx context.Context, id string, timeout *time.Duration) error {
	if err := f.record("Restart " + id); err != nil {
		return err
	}
	f.setState(id, engine.StateRunning, 0)
	f.emit("container", "restart", id)
	return nil
}

func (f *fakeEngine) Kill(ctx context.Context, id string, signal string) error {
	if err := f.record("Kill " + id + " " + signal); err != nil {
		return err
	}
	f.setState(id, engine.StateExited, 137)
	f.emit("container", "die", id)
	return nil
}

func (f *fakeEngine) Pause(ctx context.Context, id string) error {
	if err := f.record("Pause " + id); err != nil {
		return err
	}
	f.setState(id, engine.StatePaused, 0)
	f.emit("container", "pause", id)
	return nil
}

func (f *fakeEngine) Unpause(ctx context.Context, id string) error {
	if err := f.record("Unpause " + id); err != nil {
		return err
	}
	f.setState(id, engine.StateRunning, 0)
	f.emit("container", "unpause", id)
	return nil
}

func (f *fakeEngine) Remove(ctx context.Context, id string, opts engine.RemoveOptions) error {
	if err := f.record(fmt.Sprintf("Remove %s force=%v", id, opts.Force)); err != nil {
		return err
	}
	f.mu.Lock()
	f.ctrs = slices.DeleteFunc(f.ctrs, func(c engine.ContainerSummary) bool { return c.ID == id })
	f.mu.Unlock()
	f.emit("container", "destroy", id)
	return nil
}

func (f *fakeEngine) Create(ctx context.Context, opts engine.CreateOptions) (string, error) {
	if err := f.record("Create " + opts.Image + " " + opts.Name); err != nil {
		return "", err
	}
	f.mu.Lock()
	f.nextID++
	id := fmt.Sprintf("%064x", 0xc0ffee00+f.nextID)
	f.ctrs = append(f.ctrs, engine.ContainerSummary{ID: id, Name: opts.Name, Image: opts.Image, Created: testNow, State: engine.StateCreated})
	f.mu.Unlock()
	f.emit("container", "create", id)
	return id, nil
}

func (f *fakeEngine) Commit(ctx context.Context, id string, opts engine.CommitOptions) (engine.ImageSummary, error) {
	if err := f.record("Commit " + id + " " + opts.Ref); err != nil {
		return engine.ImageSummary{}, err
	}
	return engine.ImageSummary{ID: "sha256:" + id}, nil
}

func (f *fakeEngine) Volumes(ctx context.Context) ([]engine.Volume, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.vols), nil
}

func (f *fakeEngine) InspectVolume(ctx context.Context, name string) (engine.Volume, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, v := range f.vols {
		if v.Name == name {
			return v, nil
		}
	}
	return engine.Volume{}, fmt.Errorf("get %s: no such volume: %w", name, engine.ErrNotFound)
}

func (f *fakeEngine) RemoveVolume(ctx context.Context, name string, force bool) error {
	if err := f.record("RemoveVolume " + name); err != nil {
		return err
	}
	f.mu.Lock()
	for _, v := range f.vols {
		if v.Name == name && len(v.UsedBy) > 0 {
			f.mu.Unlock()
			return &engine.VolumeInUseError{Name: name, Containers: v.UsedBy}
		}
	}
	f.vols = slices.DeleteFunc(f.vols, func(v engine.Volume) bool { return v.Name == name })
	f.mu.Unlock()
	f.emit("volume", "destroy", name)
	return nil
}

func (f *fakeEngine) PruneVolumes(ctx context.Context, all bool, _ engine.PruneFilter) (engine.PruneReport, error) {
	if err := f.record(fmt.Sprintf("PruneVolumes all=%v", all)); err != nil {
		return engine.PruneReport{}, err
	}
	var rep engine.PruneReport
	f.mu.Lock()
	f.vols = slices.DeleteFunc(f.vols, func(v engine.Volume) bool {
		gone := len(v.UsedBy) == 0 && (all || len(v.Name) == 64)
		if gone {
			rep.Deleted = append(rep.Deleted, v.Name)
		}
		return gone
	})
	f.mu.Unlock()
	f.emit("volume", "prune", "")
	return rep, nil
}

func (f *fakeEngine) Networks(ctx context.Context) ([]engine.Network, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.nets), nil
}

func (f *fakeEngine) InspectNetwork(ctx context.Context, ref string) (engine.Network, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range f.nets {
		if n.ID == ref || n.Name == ref {
			return n, nil
		}
	}
	return engine.Network{}, &engine.NetworkNotFoundError{Ref: ref}
}

func (f *fakeEngine) CreateNetwork(ctx context.Context, name string, o engine.NetworkCreateOptions) (string, error) {
	if err := f.record("CreateNetwork " + name + " " + o.Subnet); err != nil {
		return "", err
	}
	f.mu.Lock()
	f.nextID++
	id := fmt.Sprintf("%064x", 0xbeef00+f.nextID)
	subnet := o.Subnet
	if subnet == "" {
		subnet = "172.30.0.0/16"
	}
	f.nets = append(f.nets, engine.Network{Name: name, ID: id, Driver: "bridge", Scope: "local", Created: testNow,
		IPAM: engine.NetworkIPAM{Driver: "default", Config: []engine.NetworkIPAMConfig{{Subnet: subnet}}}})
	f.mu.Unlock()
	f.emit("network", "create", id)
	return id, nil
}

func (f *fakeEngine) RemoveNetwork(ctx context.Context, ref string) error {
	if err := f.record("RemoveNetwork " + ref); err != nil {
		return err
	}
	f.mu.Lock()
	f.nets = slices.DeleteFunc(f.nets, func(n engine.Network) bool { return n.ID == ref || n.Name == ref })
	f.mu.Unlock()
	f.emit("network", "destroy", ref)
	return nil
}

func (f *fakeEngine) PruneNetworks(ctx context.Context, _ engine.PruneFilter) ([]string, error) {
	if err := f.record("PruneNetworks"); err != nil {
		return nil, err
	}
	var gone []string
	f.mu.Lock()
	f.nets = slices.DeleteFunc(f.nets, func(n engine.Network) bool {
		if predefinedNetwork(n.Name) || len(n.Containers) > 0 {
			return false
		}
		gone = append(gone, n.Name)
		return true
	})
	f.mu.Unlock()
	f.emit("network", "prune", "")
	return gone, nil
}

func (f *fakeEngine) LogPath(ctx context.Context, id string) (string, error) {
	return f.logFile(id), nil
}

func (f *fakeEngine) logFile(id string) string { return filepath.Join(f.logDir, id+".log") }

// Stats reports a CPU use that grows by 10% a sample, and 20MB of memory.
func (f *fakeEngine) Stats(ctx context.Context, id string) (engine.StatsSample, error) {
	return engine.StatsSample{ID: id, Read: testNow, CPUPercent: 5, MemUsage: 20_000_000}, nil
}

func (f *fakeEngine) StatsSince(ctx context.Context, id string, prev engine.StatsSample) (engine.StatsSample, error) {
	s := prev
	s.CPUPercent = min(prev.CPUPercent+10, 100)
	return s, nil
}

// hexID makes a 64-digit ID from a short seed.
func hexID(seed string) string {
	out := []byte{}
	for len(out) < 64 {
		out = append(out, seed...)
	}
	return string(out[:64])
}

// newFakeEngine returns an engine holding a few images and containers,
// with a log for the container "web".
func newFakeEngine(t *testing.T) *fakeEngine {
	t.Helper()
	f := &fakeEngine{logDir: t.TempDir(), failOn: map[string]error{}, history: map[string][]engine.HistoryEntry{},
		layers: map[string][]engine.LayerInfo{}, files: map[string][][]archive.Entry{}, top: map[string]engine.TopResult{}}
	img := func(seed, tag string, age time.Duration, size int64, users int) engine.ImageSummary {
		s := engine.ImageSummary{ID: "sha256:" + hexID(seed), Created: testNow.Add(-age), Size: size, Containers: users}
		if tag != "" {
			s.RepoTags = []string{tag}
		} else {
			s.Dangling = true
		}
		return s
	}
	f.images = []engine.ImageSummary{
		img("a1", "nginx:alpine", 30*24*time.Hour, 48_300_000, 1),
		img("b2", "postgres:16", 12*24*time.Hour, 432_000_000, 1),
		img("c3", "busybox:latest", 400*24*time.Hour, 4_260_000, 2),
		img("d4", "alpine:3.20", 60*24*time.Hour, 7_800_000, 1),
		img("e5", "", 3*time.Hour, 12_000_000, 0),
	}
	nginx := f.images[0].ID
	f.history[nginx] = []engine.HistoryEntry{
		{ID: nginx, Created: testNow.Add(-30 * 24 * time.Hour), CreatedBy: "/bin/sh -c #(nop)  CMD [\"nginx\" \"-g\" \"daemon off;\"]", EmptyLayer: true},
		{ID: "<missing>", Created: testNow.Add(-30 * 24 * time.Hour), CreatedBy: "/bin/sh -c apk add --no-cache nginx && rm -rf /var/cache/apk/*", Size: 40_100_000, Layer: "sha256:" + hexID("f6")},
		{ID: "<missing>", Created: testNow.Add(-31 * 24 * time.Hour), CreatedBy: "/bin/sh -c #(nop) ADD file:0123 in / ", Size: 8_200_000, Layer: "sha256:" + hexID("a7"), Comment: "base layer"},
	}
	f.layers[nginx] = []engine.LayerInfo{
		{Index: 0, DiffID: "sha256:" + hexID("a7"), Size: 8_200_000, CreatedBy: "/bin/sh -c #(nop) ADD file:0123 in / "},
		{Index: 1, DiffID: "sha256:" + hexID("f6"), Size: 40_100_000, CreatedBy: "/bin/sh -c apk add --no-cache nginx && rm -rf /var/cache/apk/*"},
	}
	f.files[nginx] = [][]archive.Entry{
		{
			{Path: "/bin", Type: archive.TypeDir},
			{Path: "/bin/busybox", Type: archive.TypeFile, Size: 800_000},
			{Path: "/etc", Type: archive.TypeDir},
			{Path: "/etc/nginx.conf", Type: archive.TypeFile, Size: 2_000},
			{Path: "/var/cache/apk/index.tar.gz", Type: archive.TypeFile, Size: 1_500_000},
		},
		{
			{Path: "/etc", Type: archive.TypeDir},
			{Path: "/etc/nginx.conf", Type: archive.TypeFile, Size: 2_400},
			{Path: "/usr/sbin/nginx", Type: archive.TypeFile, Size: 1_200_000},
			{Path: "/usr/sbin/nginx-debug", Type: archive.TypeSymlink, LinkTarget: "nginx"},
			{Path: "/var/cache/apk", Type: archive.TypeOpaque},
		},
	}
	ctr := func(seed, name, image, state string, exit int, started, created time.Duration, ports string) engine.ContainerSummary {
		c := engine.ContainerSummary{ID: hexID(seed), Name: name, Image: image, State: state, ExitCode: exit,
			Created: testNow.Add(-created), Ports: ports}
		if started > 0 {
			c.StartedAt = testNow.Add(-started)
		}
		return c
	}
	f.ctrs = []engine.ContainerSummary{
		ctr("1f", "web", "nginx:alpine", engine.StateRunning, 0, 3*time.Hour, 4*time.Hour, "0.0.0.0:8080->80/tcp"),
		ctr("2e", "db", "postgres:16", engine.StateRunning, 0, 50*time.Hour, 51*time.Hour, "5432/tcp"),
		ctr("3d", "job", "busybox:latest", engine.StateExited, 1, 0, 2*time.Hour, ""),
		ctr("4c", "old-build", "busybox:latest", engine.StateExited, 0, 0, 9*24*time.Hour, ""),
		ctr("5b", "fresh", "alpine:3.20", engine.StateCreated, 0, 0, 5*time.Minute, ""),
		ctr("6a", "frozen", "busybox:latest", engine.StatePaused, 0, 20*time.Minute, 30*time.Minute, ""),
	}
	f.vols = []engine.Volume{
		{Name: "pgdata", Driver: "local", Scope: "local", Mountpoint: "/var/lib/berth/volumes/pgdata/_data", CreatedAt: testNow.Add(-51 * time.Hour), UsedBy: []string{hexID("2e")}},
		{Name: "cache", Driver: "local", Scope: "local", Mountpoint: "/var/lib/berth/volumes/cache/_data", CreatedAt: testNow.Add(-5 * 24 * time.Hour)},
		{Name: hexID("9a"), Driver: "local", Scope: "local", Mountpoint: "/var/lib/berth/volumes/" + hexID("9a") + "/_data", CreatedAt: testNow.Add(-2 * time.Hour)},
	}
	nw := func(seed, name, driver, subnet, gw string, age time.Duration, ctrs map[string]engine.NetworkContainer) engine.Network {
		n := engine.Network{Name: name, ID: hexID(seed), Driver: driver, Scope: "local", Created: testNow.Add(-age), Containers: ctrs}
		if subnet != "" {
			n.IPAM.Config = []engine.NetworkIPAMConfig{{Subnet: subnet, Gateway: gw}}
		}
		return n
	}
	f.nets = []engine.Network{
		nw("b1", "backend", "bridge", "172.18.0.0/16", "172.18.0.1", 50*time.Hour, map[string]engine.NetworkContainer{
			hexID("2e"): {Name: "db", IPv4Address: "172.18.0.2/16"}, hexID("1f"): {Name: "web", IPv4Address: "172.18.0.3/16"}}),
		nw("b2", "bridge", "bridge", "172.17.0.0/16", "172.17.0.1", 60*24*time.Hour, map[string]engine.NetworkContainer{
			hexID("1f"): {Name: "web", IPv4Address: "172.17.0.2/16"}}),
		nw("b3", "host", "host", "", "", 60*24*time.Hour, nil),
		nw("b4", "none", "null", "", "", 60*24*time.Hour, nil),
		nw("b5", "scratch", "bridge", "10.20.0.0/24", "10.20.0.1", 3*time.Hour, nil),
	}
	f.top[hexID("1f")] = engine.TopResult{
		Titles:    []string{"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"},
		Processes: [][]string{{"root", "4211", "4190", "0", "09:00", "?", "00:00:00", "nginx: master process nginx -g daemon off;"}, {"nginx", "4260", "4211", "0", "09:00", "?", "00:00:01", "nginx: worker process"}},
	}
	f.writeLog(t, hexID("1f"), 60)
	return f
}

// writeLog writes n access-log lines (one of them an error) for id.
func (f *fakeEngine) writeLog(t *testing.T, id string, n int) {
	t.Helper()
	tick := testNow.Add(-time.Hour)
	w, err := logfile.Create(f.logFile(id), logfile.Clock(func() time.Time { tick = tick.Add(time.Second); return tick }))
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		line := fmt.Sprintf("172.17.0.1 - - \"GET /page/%d HTTP/1.1\" 200 %d \"-\" \"curl/8.5\"\n", i, 600+i)
		s := logfile.Stdout
		if i == n/2 {
			line = fmt.Sprintf("2025/06/01 11:30:00 [error] 29#29: *%d open() \"/usr/share/nginx/html/favicon.ico\" failed (2: No such file)\n", i)
			s = logfile.Stderr
		}
		if err := w.Write(s, []byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
