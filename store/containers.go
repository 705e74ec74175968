package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ContainerPaths are the files and directories of one container.
type ContainerPaths struct {
	Dir    string
	Config string // config.json, the container's spec
	State  string // state.json, its status
	Health string // health.json, its health checks' results
	Upper  string // overlay upper directory
	Work   string // overlay work directory
	Merged string // overlay mount point, the rootfs
	Log    string // ctr.log, captured output
	// Run is the container's runtime directory, on the tmpfs RunStores:
	// what is remade for each start or matters only while the host
	// runs. LockContainer makes it.
	Run  string
	Lock string // ctr.lock, flocked by LockContainer
	// Monitor is held open for writing (and flocked) by the container's
	// monitor for its whole life. Its lock tells whether the monitor
	// lives; its close on the monitor's exit wakes waiters watching with
	// inotify.
	Monitor    string
	AttachSock string // attach.sock, served by the monitor
	Hosts      string // hosts, bind mounted to /etc/hosts
	Hostname   string // hostname, bind mounted to /etc/hostname
	ResolvConf string // resolv.conf, bind mounted to /etc/resolv.conf
}

// Container returns the paths of container id. It does not check that the
// container exists.
func (s *Store) Container(id string) ContainerPaths {
	d := filepath.Join(s.root, "containers", id)
	r := filepath.Join(s.run, id)
	return ContainerPaths{
		Dir:        d,
		Config:     filepath.Join(d, "config.json"),
		State:      filepath.Join(d, "state.json"),
		Health:     filepath.Join(d, "health.json"),
		Upper:      filepath.Join(d, "upper"),
		Work:       filepath.Join(d, "work"),
		Merged:     filepath.Join(d, "merged"),
		Log:        filepath.Join(d, "ctr.log"),
		Run:        r,
		Lock:       filepath.Join(r, "ctr.lock"),
		Monitor:    filepath.Join(r, "monitor"),
		AttachSock: filepath.Join(r, "attach.sock"),
		Hosts:      filepath.Join(r, "hosts"),
		Hostname:   filepath.Join(r, "hostname"),
		ResolvConf: filepath.Join(r, "resolv.conf"),
	}
}

func validID(id string) error {
	if len(id) != 64 || !isHex64(id) {
		return fmt.Errorf("container id %q: %w", id, ErrInvalidName)
	}
	return nil
}

// CreateContainer creates the directory of container id with its config,
// staged and renamed into place so it appears complete or not at all. It
// returns ErrExists if the ID is taken. With NoSync it skips the fsyncs.
func (s *Store) CreateContainer(id string, config any, opts ...WriteOption) (ContainerPaths, error) {
	o := makeWriteOptions(opts)
	if err := validID(id); err != nil {
		return ContainerPaths{}, err
	}
	p := s.Container(id)
	if _, err := os.Lstat(p.Dir); err == nil {
		return p, fmt.Errorf("create container %s: %w", id, ErrExists)
	}
	stage, release, err := s.stage(filepath.Join(s.root, "tmp"), ".tmp-ctr-", true)
	if err != nil {
		return p, fmt.Errorf("create container %s: %w", id, err)
	}
	defer release()
	fail := func(err error) (ContainerPaths, error) {
		os.RemoveAll(stage)
		return p, fmt.Errorf("create container %s: %w", id, err)
	}
	for _, d := range []string{"upper", "work", "merged"} {
		if err := os.Mkdir(filepath.Join(stage, d), 0o755); err != nil {
			return fail(err)
		}
	}
	if err := writeJSONPlain(filepath.Join(stage, "config.json"), config); err != nil {
		return fail(err)
	}
	if !o.noSync {
		if err := syncDir(stage); err != nil {
			return fail(err)
		}
	}
	if err := os.Rename(stage, p.Dir); err != nil {
		return fail(err)
	}
	if o.noSync {
		return p, nil
	}
	return p, syncDir(filepath.Dir(p.Dir))
}

// WriteContainerConfig replaces the config of container id atomically.
func (s *Store) WriteContainerConfig(id string, config any) error {
	if err := s.containerExists(id); err != nil {
		return err
	}
	return s.writeJSON(s.Container(id).Config, config)
}

// ReadContainerConfig decodes the config of container id into v.
func (s *Store) ReadContainerConfig(id string, v any) error {
	if err := s.containerExists(id); err != nil {
		return err
	}
	return readJSON(s.Container(id).Config, v)
}

// WriteContainerState replaces the state of container id atomically.
func (s *Store) WriteContainerState(id string, state any) error {
	if err := s.containerExists(id); err != nil {
		return err
	}
	return s.writeJSON(s.Container(id).State, state)
}

// WriteContainerHealth replaces the health check results of container id
// atomically.
func (s *Store) WriteContainerHealth(id string, health any) error {
	if err := s.containerExists(id); err != nil {
		return err
	}
	return s.writeJSON(s.Container(id).Health, health)
}

// ReadContainerState decodes the state of container id into v. A container
// that has no state yet yields ErrNotFound, wrapped.
func (s *Store) ReadContainerState(id string, v any) error {
	if err := s.containerExists(id); err != nil {
		return err
	}
	err := readJSON(s.Container(id).State, v)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("container %s state: %w", id, ErrNotFound)
	}
	return err
}

func (s *Store) containerExists(id string) error {
	if err := validID(id); err != nil {
		return err
	}
	if _, err := os.Stat(s.Container(id).Config); err != nil {
		return fmt.Errorf("container %s: %w", id, ErrNotFound)
	}
	return nil
}

// ContainerIDs lists the IDs of all containers.
func (s *Store) ContainerIDs() ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(s.root, "containers"))
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	out := make([]string, 0, len(ents))
	for _, e := range ents {
		if isHex64(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// DeleteContainer removes the directory of container id. The caller
// unmounts its rootfs first. Removing a missing container succeeds.
func (s *Store) DeleteContainer(id string) error {
	remove, err := s.DetachContainer(id)
	if err == nil {
		err = remove()
	}
	if err != nil {
		return fmt.Errorf("delete container %s: %w", id, err)
	}
	return nil
}

// DetachContainer takes container id out of the store at once, with one
// rename: from then on it is neither listed nor found, and its name can be
// released. The returned function deletes its files and its runtime
// directory, which can take a while for a large container and may run
// later. If it never runs (the process dies first), Open removes the
// files and CollectRunDirs the runtime directory. The caller unmounts the
// container's rootfs first. Detaching a missing container succeeds, with
// a remove function that does nothing.
func (s *Store) DetachContainer(id string) (remove func() error, err error) {
	if err := validID(id); err != nil {
		return nil, err
	}
	p := s.Container(id)
	files, err := s.detach(p.Dir)
	if err != nil {
		return nil, fmt.Errorf("detach container %s: %w", id, err)
	}
	return func() error {
		return errors.Join(files(), os.RemoveAll(p.Run))
	}, nil
}

// RemoveIncompleteContainers removes container directories whose config
// is missing or empty, which only a power loss after a NoSync create can
// leave (a kill -9 cannot: a container appears by one rename, complete).
// It reads every container's directory, so it is not part of Open; the
// engine runs it with its repairs, which include the first command after
// a reboot.
func (s *Store) RemoveIncompleteContainers() error {
	ids, err := s.ContainerIDs()
	if err != nil {
		return err
	}
	for _, id := range ids {
		if fi, err := os.Stat(s.Container(id).Config); errors.Is(err, os.ErrNotExist) || err == nil && fi.Size() == 0 {
			s.log.Info("remove container without config", "container", id)
			if err := s.DeleteContainer(id); err != nil {
				return err
			}
		}
	}
	return nil
}

// ReserveName records that name belongs to container id. It returns
// ErrExists, wrapped, if another existing container holds the name. A
// reservation left by a container that no longer exists is taken over.
// With NoSync it skips the fsyncs.
func (s *Store) ReserveName(name, id string, opts ...WriteOption) error {
	if err := checkName(name); err != nil {
		return err
	}
	unlock, err := s.Lock("names")
	if err != nil {
		return err
	}
	defer unlock()
	path := s.namePath(name)
	if b, err := os.ReadFile(path); err == nil {
		owner := strings.TrimSpace(string(b))
		if owner != id && s.containerExists(owner) == nil {
			return fmt.Errorf("reserve name %q: %w: in use by container %s", name, ErrExists, owner)
		}
	}
	return s.writeFile(path, []byte(id+"\n"), opts...)
}

// ReleaseName drops the reservation of name if container id holds it.
func (s *Store) ReleaseName(name, id string) error {
	unlock, err := s.Lock("names")
	if err != nil {
		return err
	}
	defer unlock()
	path := s.namePath(name)
	b, err := os.ReadFile(path)
	if err != nil || strings.TrimSpace(string(b)) != id {
		return nil
	}
	return os.Remove(path)
}

// LookupName returns the ID of the container holding name, or ErrNotFound.
func (s *Store) LookupName(name string) (string, error) {
	if checkName(name) != nil {
		return "", fmt.Errorf("container name %q: %w", name, ErrNotFound)
	}
	b, err := os.ReadFile(s.namePath(name))
	if err != nil {
		return "", fmt.Errorf("container name %q: %w", name, ErrNotFound)
	}
	id := strings.TrimSpace(string(b))
	if s.containerExists(id) != nil {
		return "", fmt.Errorf("container name %q: %w", name, ErrNotFound)
	}
	return id, nil
}

func (s *Store) namePath(name string) string {
	return filepath.Join(s.root, "containers", ".names", name)
}

// checkName applies docker's rule for container names:
// [a-zA-Z0-9][a-zA-Z0-9_.-]*.
func checkName(name string) error {
	if name == "" || len(name) > 255 {
		return fmt.Errorf("name %q: %w", name, ErrInvalidName)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || (c != '_' && c != '.' && c != '-')) {
			return fmt.Errorf("name %q: %w: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name, ErrInvalidName)
		}
	}
	return nil
}

// CheckName reports whether name is a valid container or volume name.
func CheckName(name string) error { return checkName(name) }

// InitLayer returns the directory every container's overlay has as its
// top lower layer, docker's "-init" layer: the mount points of /dev,
// /proc, /sys and the /etc files a container gets bound over
// (etc/hosts, etc/hostname, etc/resolv.conf, dev/console) and etc/mtab.
// Its content is the same for every container, so the store holds one,
// made on first use: staged, then renamed into place, so it is complete
// or absent. Being a lower layer, it never shows in diff or commit.
func (s *Store) InitLayer() (string, error) {
	dir := filepath.Join(s.root, "containers", ".init")
	if _, err := os.Lstat(dir); err == nil {
		return dir, nil
	}
	stage, release, err := s.stage(filepath.Join(s.root, "tmp"), ".tmp-init-", true)
	if err != nil {
		return "", fmt.Errorf("create init layer: %w", err)
	}
	defer release()
	if err := writeInitLayer(stage); err != nil {
		os.RemoveAll(stage)
		return "", fmt.Errorf("create init layer: %w", err)
	}
	if err := os.Chmod(stage, 0o755); err != nil {
		os.RemoveAll(stage)
		return "", fmt.Errorf("create init layer: %w", err)
	}
	// Another process may have made it meanwhile: either one serves.
	if err := os.Rename(stage, dir); err != nil {
		os.RemoveAll(stage)
		if _, serr := os.Lstat(dir); serr != nil {
			return "", fmt.Errorf("create init layer: %w", err)
		}
		return dir, nil
	}
	return dir, syncDir(filepath.Dir(dir))
}

func writeInitLayer(dir string) error {
	for _, d := range []string{"dev/pts", "dev/shm", "proc", "sys", "etc"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	for _, f := range []string{"etc/hosts", "etc/hostname", "etc/resolv.conf", "dev/console"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			return err
		}
	}
	if err := os.Symlink("/proc/mounts", filepath.Join(dir, "etc/mtab")); err != nil {
		return err
	}
	for _, d := range []string{"dev", "etc", ""} {
		if err := syncDir(filepath.Join(dir, d)); err != nil {
			return err
		}
	}
	return nil
}
