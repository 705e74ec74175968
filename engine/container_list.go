package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/store"
)

// ContainerSummary is one row of the container list.
type ContainerSummary struct {
	ID      string
	Name    string
	Image   string
	ImageID string
	// Command is the entrypoint and command, quoted as docker ps shows it.
	Command    string
	Created    time.Time
	StartedAt  time.Time
	FinishedAt time.Time
	// State is created, running, paused, restarting, exited or dead.
	State string
	// Status is docker's human status: "Up 3 minutes", "Exited (0) 2
	// seconds ago".
	Status   string
	ExitCode int
	// Error is why the container stopped or could not start, if berth
	// knows (a failed exec, a dead monitor).
	Error  string
	Ports  string
	Labels map[string]string
	// Networks are the names of the networks the container is on, sorted.
	Networks []string
	// Mounts are its volume and bind mounts (tmpfs mounts are not
	// listed, as in docker).
	Mounts []MountPoint
	// SizeRw is the size of the files the container changed, SizeRootFs
	// that and its image's: docker's fields, set with
	// ListContainersOptions.Size.
	SizeRw, SizeRootFs int64
	// Pid is the host PID of the container's main process while it runs.
	Pid int
	// Tty reports a container with a terminal.
	Tty bool
	// RestartCount counts restarts by the restart policy.
	RestartCount int
	// Health is the health check's status (starting, healthy or
	// unhealthy), or "none" for a container without one.
	Health string
	// published and exposed are the container ports ("80/tcp") it
	// publishes and exposes, for the publish= and expose= filters.
	published, exposed map[string]struct{}
}

// ListContainersOptions select the containers Containers returns.
type ListContainersOptions struct {
	// All includes stopped containers (by default only running ones).
	All bool
	// Last keeps only the n most recently created (implies All); 0 is no
	// limit.
	Last int
	// Filters are docker ps filters: status=, name=, ancestor=, id=,
	// label=, exited=, health=, network=, volume=, before= and since= (a
	// container), publish= and expose= (PORT[-PORT][/PROTO]). Filters
	// with the same key are ORed, different keys ANDed.
	Filters []string
	// Size fills in the summaries' SizeRw and SizeRootFs, which walks
	// each container's changes.
	Size bool
}

// Containers lists containers, newest first.
func (e *Engine) Containers(ctx context.Context, o ListContainersOptions) ([]ContainerSummary, error) {
	filters := map[string][]string{}
	for _, f := range o.Filters {
		k, v, ok := strings.Cut(f, "=")
		switch k {
		case "status", "name", "ancestor", "id", "label", "exited", "health", "network", "volume", "before", "since":
		case "publish", "expose":
			if _, err := portFilter(v); err != nil {
				return nil, invalidf("invalid filter '%s': %v", f, err)
			}
		default:
			ok = false
		}
		if !ok {
			return nil, invalidf("invalid filter '%s'", f)
		}
		if k == "status" {
			switch v {
			case StateCreated, StateRunning, StatePaused, StateRestarting, StateExited, StateDead, "removing":
			default:
				return nil, invalidf("invalid filter 'status=%s'", v)
			}
		}
		filters[k] = append(filters[k], v)
	}
	var ancestors map[string]bool
	if refs := filters["ancestor"]; len(refs) > 0 {
		ancestors = map[string]bool{}
		for _, r := range refs {
			if img, _, err := e.LookupImage(ctx, r); err == nil {
				ancestors[string(img.ID)] = true
			}
		}
	}
	// before= and since= name containers, and keep those created before
	// the latest and after the earliest of them.
	var before, since time.Time
	for _, k := range []string{"before", "since"} {
		for _, ref := range filters[k] {
			rec, err := e.lookupRecord(ctx, ref)
			if err != nil {
				return nil, err
			}
			if k == "before" && rec.Created.After(before) {
				before = rec.Created
			} else if k == "since" && (since.IsZero() || rec.Created.Before(since)) {
				since = rec.Created
			}
		}
	}
	ids, err := e.st.ContainerIDs()
	if err != nil {
		return nil, err
	}
	db, err := e.st.ReadNetworks()
	if err != nil {
		return nil, err
	}
	// A network filter names a network, or gives its ID or a prefix of it.
	for i, v := range filters["network"] {
		if n := db.Network(v); n != nil {
			filters["network"][i] = n.Name
		}
	}
	var out []ContainerSummary
	for _, id := range ids {
		s, err := e.summary(&db, id)
		if err != nil {
			continue // removed meanwhile
		}
		if !o.All && o.Last == 0 && len(filters["status"]) == 0 && s.State != StateRunning && s.State != StatePaused && s.State != StateRestarting {
			continue
		}
		if !matchFilters(s, filters, ancestors) || !before.IsZero() && !s.Created.Before(before) || !since.IsZero() && !s.Created.After(since) {
			continue
		}
		if o.Size {
			s.SizeRw, s.SizeRootFs = e.containerSize(id, s.ImageID)
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	if o.Last > 0 && len(out) > o.Last {
		out = out[:o.Last]
	}
	return out, nil
}

func matchFilters(s ContainerSummary, f map[string][]string, ancestors map[string]bool) bool {
	any := func(key string, ok func(string) bool) bool {
		vs := f[key]
		if len(vs) == 0 {
			return true
		}
		for _, v := range vs {
			if ok(v) {
				return true
			}
		}
		return false
	}
	return any("status", func(v string) bool { return s.State == v }) &&
		any("name", func(v string) bool { return strings.Contains(s.Name, strings.TrimPrefix(v, "/")) }) &&
		any("id", func(v string) bool { return strings.HasPrefix(s.ID, v) }) &&
		any("ancestor", func(v string) bool { return ancestors[s.ImageID] || s.Image == v }) &&
		any("exited", func(v string) bool { return s.State == StateExited && strconv.Itoa(s.ExitCode) == v }) &&
		any("health", func(v string) bool { return s.Health == v }) &&
		any("network", func(v string) bool { return slices.Contains(s.Networks, v) }) &&
		any("volume", func(v string) bool {
			return slices.ContainsFunc(s.Mounts, func(m MountPoint) bool { return m.Name == v || m.Destination == v })
		}) &&
		any("label", func(v string) bool { return HasLabel(s.Labels, v) }) &&
		any("publish", func(v string) bool { return hasPort(s.published, v) }) &&
		any("expose", func(v string) bool { return hasPort(s.exposed, v) })
}

// portRange is the container ports a publish= or expose= filter names.
type portRange struct {
	start, end uint64
	proto      string
}

// portFilter parses a publish= or expose= filter value: PORT or
// START-END, then /PROTO (tcp if none).
func portFilter(v string) (portRange, error) {
	port, proto, _ := strings.Cut(v, "/")
	if proto == "" {
		proto = "tcp"
	}
	lo, hi, isRange := strings.Cut(port, "-")
	start, err1 := strconv.ParseUint(lo, 10, 16)
	end, err2 := start, error(nil)
	if isRange {
		end, err2 = strconv.ParseUint(hi, 10, 16)
	}
	if err1 != nil || err2 != nil || start == 0 || end < start || proto != "tcp" && proto != "udp" && proto != "sctp" {
		return portRange{}, errors.New("use PORT[-PORT][/PROTO], e.g. 80, 8000-8080/tcp or 53/udp")
	}
	return portRange{start, end, proto}, nil
}

// hasPort reports whether ports ("80/tcp") hold a port the filter value
// v names.
func hasPort(ports map[string]struct{}, v string) bool {
	r, _ := portFilter(v)
	for p := range ports {
		num, proto, _ := strings.Cut(p, "/")
		n, err := strconv.ParseUint(num, 10, 16)
		if err == nil && proto == r.proto && n >= r.start && n <= r.end {
			return true
		}
	}
	return false
}

// summary reads one container's row; db gives its published ports.
func (e *Engine) summary(db *store.NetworkDB, id string) (ContainerSummary, error) {
	rec, err := e.readRecord(id)
	if err != nil {
		return ContainerSummary{}, err
	}
	st, err := e.readState(id)
	if err != nil {
		return ContainerSummary{}, err
	}
	health, status := "none", statusString(st, time.Now())
	if h := e.health(rec, st); h != nil {
		health = h.Status
		status += healthSuffix(h, st)
	}
	return ContainerSummary{
		ID:           id,
		Name:         rec.Name,
		Image:        rec.Image,
		ImageID:      rec.ImageID,
		Command:      commandString(rec.Path, rec.Args),
		Created:      rec.Created,
		StartedAt:    st.StartedAt,
		FinishedAt:   st.FinishedAt,
		State:        st.Status,
		Status:       status,
		Health:       health,
		published:    publishedPorts(rec),
		exposed:      rec.Config.ExposedPorts,
		ExitCode:     st.ExitCode,
		Error:        st.Error,
		Ports:        portsString(db, rec, st.Pid > 0),
		Labels:       rec.Config.Labels,
		Networks:     networkNames(db, rec),
		Mounts:       listedMounts(rec),
		Pid:          st.Pid,
		Tty:          rec.Config.Tty,
		RestartCount: st.RestartCount,
	}, nil
}

// publishedPorts returns the container ports rec publishes: those with a
// binding (-p), and with -P those it exposes.
func publishedPorts(rec *containerRecord) map[string]struct{} {
	out := map[string]struct{}{}
	for p := range rec.HostConfig.PortBindings {
		out[p] = struct{}{}
	}
	if rec.HostConfig.PublishAllPorts {
		for p := range rec.Config.ExposedPorts {
			out[p] = struct{}{}
		}
	}
	return out
}

// containerSize returns the size of what container id changed (its
// upper directory) and that plus the size of its image imageID.
func (e *Engine) containerSize(id, imageID string) (rw, rootfs int64) {
	rw = dirSize(e.st.Container(id).Upper)
	rootfs = rw
	if img, err := e.st.Image(store.Digest(imageID)); err == nil {
		rootfs += img.Size
	}
	return rw, rootfs
}

// networkNames returns the sorted names of the networks rec is on, as
// inspect lists them (without a PID, networkSettings skips the ports).
func networkNames(db *store.NetworkDB, rec *containerRecord) []string {
	ns := networkSettings(db, rec, 0)
	names := make([]string, 0, len(ns.Networks))
	for n := range ns.Networks {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// listedMounts returns the mounts of rec that ps lists: volumes and binds.
func listedMounts(rec *containerRecord) []MountPoint {
	var out []MountPoint
	for _, m := range rec.mountPoints() {
		if m.Type != "tmpfs" {
			out = append(out, m)
		}
	}
	return out
}

// commandString quotes a command as docker ps does.
func commandString(path string, args []string) string {
	s := strconv.Quote(strings.Join(append([]string{path}, args...), " "))
	return s
}

// statusString is docker's human status line.
func statusString(st containerState, now time.Time) string {
	switch st.Status {
	case StateRunning:
		return "Up " + humanDuration(now.Sub(st.StartedAt))
	case StatePaused:
		return "Up " + humanDuration(now.Sub(st.StartedAt)) + " (Paused)"
	case StateRestarting:
		return fmt.Sprintf("Restarting (%d) %s ago", st.ExitCode, humanDuration(now.Sub(st.FinishedAt)))
	case StateExited:
		return fmt.Sprintf("Exited (%d) %s ago", st.ExitCode, humanDuration(now.Sub(st.FinishedAt)))
	case StateDead:
		return "Dead"
	}
	return "Created"
}

// humanDuration is docker's units.HumanDuration.
func humanDuration(d time.Duration) string {
	switch s := int(d.Seconds()); {
	case s < 1:
		return "Less than a second"
	case s == 1:
		return "1 second"
	case s < 60:
		return fmt.Sprintf("%d seconds", s)
	}
	switch m := int(d.Minutes()); {
	case m == 1:
		return "About a minute"
	case m < 60:
		return fmt.Sprintf("%d minutes", m)
	}
	switch h := int(d.Hours() + 0.5); {
	case h == 1:
		return "About an hour"
	case h < 48:
		return fmt.Sprintf("%d hours", h)
	case h < 24*7*2:
		return fmt.Sprintf("%d days", h/24)
	case h < 24*30*2:
		return fmt.Sprintf("%d weeks", h/24/7)
	case h < 24*365*2:
		return fmt.Sprintf("%d months", h/24/30)
	}
	return fmt.Sprintf("%d years", int(d.Hours())/24/365)
}
