package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/engine/archive"
	"github.com/berth-dev/berth/engine/launch"
)

// PathStat describes a path in a container's filesystem.
type PathStat struct {
	Name string
	Size int64
	Mode os.FileMode
	// LinkTarget is a symbolic link's target.
	LinkTarget string
}

// PathNotFoundError is the error for a path a container does not have.
type PathNotFoundError struct {
	Container, Path string
}

func (e *PathNotFoundError) Error() string {
	return fmt.Sprintf("Could not find the file %s in container %s", e.Path, e.Container)
}

func (e *PathNotFoundError) Unwrap() error { return ErrNotFound }

// StatPath describes path in container ref, as its processes see it: a
// symbolic link itself, or with follow what it leads to (inside the
// container).
func (e *Engine) StatPath(ctx context.Context, ref, p string, follow bool) (PathStat, error) {
	var ps PathStat
	err := e.withRoot(ctx, ref, func(r containerRoot) error {
		dir, base, err := r.resolve(p, follow)
		if err != nil {
			return err
		}
		defer dir.Close()
		ps, err = r.stat(dir, base, p)
		return err
	})
	return ps, err
}

// CopyFrom writes path p in container ref to w as a tar whose one top
// entry, named name, is the file, the symbolic link (with follow, what it
// leads to) or the directory with its tree. Owners, modes, times and
// extended attributes are kept; nothing is followed out of the container.
func (e *Engine) CopyFrom(ctx context.Context, ref, p, name string, follow bool, w io.Writer) error {
	return e.withRoot(ctx, ref, func(r containerRoot) error {
		dir, base, err := r.resolve(p, follow)
		if err != nil {
			return err
		}
		defer dir.Close()
		if _, err := r.stat(dir, base, p); err != nil {
			return err
		}
		return archive.WritePath(ctx, w, fdPath(dir)+"/"+base, name)
	})
}

// CopyTo unpacks the tar r into directory dir of container ref (see
// archive.Apply: nothing lands outside dir), with the entries' owners
// with keepOwners, else root's.
func (e *Engine) CopyTo(ctx context.Context, ref, dir string, rd io.Reader, keepOwners bool) error {
	return e.withRoot(ctx, ref, func(r containerRoot) error {
		parent, base, err := r.resolve(dir, true)
		if err != nil {
			return err
		}
		defer parent.Close()
		ps, err := r.stat(parent, base, dir)
		if err != nil {
			return err
		}
		if !ps.Mode.IsDir() {
			return fmt.Errorf("extraction point %s is not a directory: %w", dir, ErrInvalid)
		}
		// Opened again inside the container's root, not through a path
		// below parent: a process of the container may have made base a
		// symbolic link since.
		fd, err := unix.Openat2(int(parent.Fd()), base, &unix.OpenHow{
			Flags:   unix.O_PATH | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC,
			Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS,
		})
		if err != nil {
			return fmt.Errorf("open %s in container %s: %w", dir, r.id[:12], err)
		}
		target := os.NewFile(uintptr(fd), dir)
		defer target.Close()
		opts := []archive.Option{archive.WithPlainNames()}
		if !keepOwners {
			opts = append(opts, archive.WithOwner(0, 0))
		}
		_, err = archive.Apply(ctx, fdPath(target), rd, opts...)
		return err
	})
}

// containerRoot is a container's root directory, open, through which its
// paths resolve as they do for its processes.
type containerRoot struct {
	id   string
	root *os.File
}

// resolve returns the directory holding p, open, and p's last name in it
// ("." for the root): symbolic links resolve inside the container, and
// with follow the last one too.
func (r containerRoot) resolve(p string, follow bool) (*os.File, string, error) {
	notFound := &PathNotFoundError{Container: r.id[:12], Path: p}
	clean := path.Clean("/" + p)
	for range 40 {
		dir, base := path.Split(clean)
		if base == "" {
			base = "."
		}
		fd, err := archive.OpenInRoot(int(r.root.Fd()), "."+dir, unix.O_PATH|unix.O_DIRECTORY)
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
			return nil, "", notFound
		}
		if err != nil {
			return nil, "", fmt.Errorf("open %s in container %s: %w", dir, r.id[:12], err)
		}
		f := os.NewFile(uintptr(fd), dir)
		if !follow || base == "." {
			return f, base, nil
		}
		target, err := readlinkAt(fd, base)
		if err != nil {
			// Not a symbolic link (or missing: stat says so).
			return f, base, nil
		}
		f.Close()
		if !path.IsAbs(target) {
			target = path.Join(dir, target)
		}
		clean = path.Clean(target)
	}
	return nil, "", fmt.Errorf("resolve %s in container %s: %w", p, r.id[:12], unix.ELOOP)
}

// stat describes dir/base, p in the container.
func (r containerRoot) stat(dir *os.File, base, p string) (PathStat, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(int(dir.Fd()), base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return PathStat{}, &PathNotFoundError{Container: r.id[:12], Path: p}
		}
		return PathStat{}, fmt.Errorf("stat %s in container %s: %w", p, r.id[:12], err)
	}
	ps := PathStat{Name: path.Base(path.Clean("/" + p)), Size: st.Size, Mode: fileMode(st.Mode)}
	if ps.Name == "/" {
		ps.Name = "."
	}
	if ps.Mode&os.ModeSymlink != 0 {
		ps.LinkTarget, _ = readlinkAt(int(dir.Fd()), base)
	}
	return ps, nil
}

func readlinkAt(dfd int, name string) (string, error) {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(dfd, name, buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// fileMode turns a stat mode into an os.FileMode.
func fileMode(m uint32) os.FileMode {
	mode := os.FileMode(m & 0o777)
	switch m & unix.S_IFMT {
	case unix.S_IFDIR:
		mode |= os.ModeDir
	case unix.S_IFLNK:
		mode |= os.ModeSymlink
	case unix.S_IFIFO:
		mode |= os.ModeNamedPipe
	case unix.S_IFSOCK:
		mode |= os.ModeSocket
	case unix.S_IFCHR:
		mode |= os.ModeDevice | os.ModeCharDevice
	case unix.S_IFBLK:
		mode |= os.ModeDevice
	}
	return mode
}

// fdPath names the open file f through /proc/self/fd.
func fdPath(f *os.File) string {
	return "/proc/self/fd/" + strconv.Itoa(int(f.Fd()))
}

// withRoot runs fn with container ref's root: a running container's
// through /proc/PID/root of its init, which shows its mounts; a stopped
// one's root filesystem and bind mounts mounted in a private namespace
// of a thread of its own (launch.MountFilesystem), while the container
// lock keeps it from starting.
func (e *Engine) withRoot(ctx context.Context, ref string, fn func(containerRoot) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	id, err := e.ResolveContainer(ctx, ref)
	if err != nil {
		return err
	}
	unlock, err := e.lockContainer(id)
	if err != nil {
		return err
	}
	locked := true
	defer func() {
		if locked {
			unlock()
		}
	}()
	st, err := e.readState(id)
	if err != nil {
		return err
	}
	switch st.Status {
	case StateRestarting:
		return &StateError{ID: id, State: st.Status, Msg: fmt.Sprintf("container %s is restarting, wait until the container is running", id)}
	case StateRunning, StatePaused:
		root, err := os.OpenFile("/proc/"+strconv.Itoa(st.Pid)+"/root", unix.O_PATH|unix.O_DIRECTORY, 0)
		if err != nil {
			return fmt.Errorf("copy in container %s: open its root: %w", id[:12], err)
		}
		defer root.Close()
		// The PID was read before the root was opened: make sure it still
		// names the container's init.
		if now, err := e.readStateRaw(id); err != nil || now.Pid != st.Pid {
			return fmt.Errorf("copy in container %s: it stopped: %w", id[:12], ErrConflict)
		}
		// The copy no longer needs the container to stay as it is.
		unlock()
		locked = false
		return fn(containerRoot{id: id, root: root})
	}
	rec, err := e.readRecord(id)
	if err != nil {
		return err
	}
	spec, err := e.launchSpec(rec)
	if err != nil {
		return err
	}
	type mounted struct {
		root *os.File
		err  error
	}
	ready := make(chan mounted, 1)
	release := make(chan struct{})
	defer close(release)
	goThrowaway(func() {
		root, err := launch.MountFilesystem(spec)
		ready <- mounted{root, err}
		if err == nil {
			<-release
			root.Close()
		}
	})
	m := <-ready
	if m.err != nil {
		return fmt.Errorf("copy in container %s: %w", id[:12], m.err)
	}
	return fn(containerRoot{id: id, root: m.root})
}
