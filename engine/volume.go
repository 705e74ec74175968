package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/berth-dev/berth/engine/spawn"
	"github.com/berth-dev/berth/store"
)

// Volume describes a named volume in the shape of docker volume inspect.
type Volume struct {
	Name       string
	Driver     string
	Mountpoint string
	CreatedAt  time.Time
	Labels     map[string]string
	Scope      string
	Options    map[string]string
	// UsedBy lists the IDs of the containers that mount it.
	UsedBy []string `json:"-"`
}

// VolumeInUseError is returned when removing a volume a container uses.
type VolumeInUseError struct {
	Name       string
	Containers []string
}

func (e *VolumeInUseError) Error() string {
	ids := make([]string, len(e.Containers))
	for i, c := range e.Containers {
		ids[i] = c
	}
	return fmt.Sprintf("remove %s: volume is in use - [%s]", e.Name, strings.Join(ids, ", "))
}

// Unwrap returns ErrConflict.
func (e *VolumeInUseError) Unwrap() error { return ErrConflict }

func (e *Engine) volumeInfo(v store.Volume, users map[string][]string) Volume {
	return Volume{
		Name:       v.Name,
		Driver:     v.Driver,
		Mountpoint: e.st.VolumePath(v.Name),
		CreatedAt:  v.Created,
		Labels:     v.Labels,
		Scope:      "local",
		Options:    map[string]string{},
		UsedBy:     users[v.Name],
	}
}

// volumeUsers maps volume names to the containers mounting them.
func (e *Engine) volumeUsers() map[string][]string {
	users := map[string][]string{}
	ids, err := e.st.ContainerIDs()
	if err != nil {
		return users
	}
	for _, id := range ids {
		rec, err := e.readRecord(id)
		if err != nil {
			continue
		}
		for _, m := range rec.Mounts {
			if m.Type == "volume" {
				users[m.Name] = append(users[m.Name], id)
			}
		}
	}
	return users
}

// CreateVolume creates a named volume; an empty name generates one. Like
// docker, creating a volume that exists returns it unchanged.
func (e *Engine) CreateVolume(ctx context.Context, name string, labels map[string]string) (Volume, error) {
	if name == "" {
		id, err := spawn.NewID()
		if err != nil {
			return Volume{}, err
		}
		name = id
	}
	if err := store.CheckName(name); err != nil {
		return Volume{}, fmt.Errorf("create volume %q: %w: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name, ErrInvalid)
	}
	err := e.st.CreateVolume(store.Volume{Name: name, Labels: labels})
	if err != nil && !errors.Is(err, store.ErrExists) {
		return Volume{}, err
	}
	if err == nil {
		e.emit("volume", "create", name, nil)
	}
	return e.InspectVolume(ctx, name)
}

// ensureVolume creates volume name if it does not exist and reports
// whether it did.
func (e *Engine) ensureVolume(name string) (bool, error) {
	err := e.st.CreateVolume(store.Volume{Name: name})
	if errors.Is(err, store.ErrExists) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("create volume %s: %w", name, err)
	}
	return true, nil
}

// Volumes lists the volumes, by name.
func (e *Engine) Volumes(ctx context.Context) ([]Volume, error) {
	vs, err := e.st.Volumes()
	if err != nil {
		return nil, err
	}
	users := e.volumeUsers()
	out := make([]Volume, 0, len(vs))
	for _, v := range vs {
		out = append(out, e.volumeInfo(v, users))
	}
	return out, nil
}

// FilterVolumes keeps the volumes of vs that docker's volume ls filters
// match: dangling=true|false (no container uses it, or one does),
// name= (a part of the name), label=KEY or KEY=VALUE, driver=. Filters
// with the same key are ORed, different keys ANDed.
func FilterVolumes(vs []Volume, filters []string) ([]Volume, error) {
	f := map[string][]string{}
	for _, s := range filters {
		k, v, ok := strings.Cut(s, "=")
		switch k {
		case "dangling":
			ok = ok && (v == "true" || v == "false" || v == "1" || v == "0")
		case "name", "label", "driver":
		default:
			ok = false
		}
		if !ok {
			return nil, invalidf("invalid filter '%s'", s)
		}
		f[k] = append(f[k], v)
	}
	match := func(key string, ok func(string) bool) bool {
		return len(f[key]) == 0 || slices.ContainsFunc(f[key], ok)
	}
	var out []Volume
	for _, v := range vs {
		if match("dangling", func(d string) bool { return (len(v.UsedBy) == 0) == (d == "true" || d == "1") }) &&
			match("name", func(n string) bool { return strings.Contains(v.Name, n) }) &&
			match("driver", func(d string) bool { return v.Driver == d }) &&
			match("label", func(l string) bool { return HasLabel(v.Labels, l) }) {
			out = append(out, v)
		}
	}
	return out, nil
}

// VolumeNotFoundError is returned for a volume name that does not exist.
type VolumeNotFoundError struct {
	Name string
}

func (e *VolumeNotFoundError) Error() string { return "no such volume: " + e.Name }

// Unwrap returns ErrNotFound.
func (e *VolumeNotFoundError) Unwrap() error { return ErrNotFound }

// InspectVolume returns volume name, or an error wrapping ErrNotFound.
func (e *Engine) InspectVolume(ctx context.Context, name string) (Volume, error) {
	v, err := e.st.Volume(name)
	if errors.Is(err, store.ErrNotFound) {
		return Volume{}, &VolumeNotFoundError{Name: name}
	}
	if err != nil {
		return Volume{}, err
	}
	return e.volumeInfo(v, e.volumeUsers()), nil
}

// RemoveVolume removes volume name and its data. A volume a container
// uses gives a *VolumeInUseError unless force (docker's -f does not
// override that either, it only ignores missing volumes: so force here
// means only that).
func (e *Engine) RemoveVolume(ctx context.Context, name string, force bool) error {
	if _, err := e.st.Volume(name); err != nil {
		if force && errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return &VolumeNotFoundError{Name: name}
	}
	unlock, err := e.st.Lock("volumes")
	if err != nil {
		return err
	}
	defer unlock()
	if users := e.volumeUsers()[name]; len(users) > 0 {
		return &VolumeInUseError{Name: name, Containers: users}
	}
	if err := e.st.DeleteVolume(name); err != nil {
		return err
	}
	e.emit("volume", "destroy", name, nil)
	return nil
}

// PruneVolumes removes the anonymous volumes no container uses (docker's
// default since 23.0) that f matches; with all, named ones too. Docker
// takes no until= filter for volumes; callers that follow it leave Until
// zero.
func (e *Engine) PruneVolumes(ctx context.Context, all bool, f PruneFilter) (PruneReport, error) {
	var rep PruneReport
	vs, err := e.Volumes(ctx)
	if err != nil {
		return rep, err
	}
	for _, v := range vs {
		if len(v.UsedBy) > 0 || (!all && !anonymousName(v.Name)) || !f.match(v.CreatedAt, v.Labels) {
			continue
		}
		size := dirSize(v.Mountpoint)
		if err := e.RemoveVolume(ctx, v.Name, false); err != nil {
			if errors.Is(err, ErrConflict) {
				continue
			}
			return rep, err
		}
		rep.Deleted = append(rep.Deleted, v.Name)
		rep.SpaceReclaimed += size
	}
	sort.Strings(rep.Deleted)
	return rep, nil
}

// anonymousName reports whether a volume name is a generated one.
func anonymousName(name string) bool { return len(name) == 64 && isHex(name) }
