package archive

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// ChangeKind says how a path differs from the image.
type ChangeKind int

const (
	// Changed marks a path that exists in a lower layer and was modified.
	Changed ChangeKind = iota
	// Added marks a path that no lower layer has.
	Added
	// Deleted marks a path removed by a whiteout.
	Deleted
)

// String returns "C", "A" or "D", as docker diff prints them.
func (k ChangeKind) String() string {
	switch k {
	case Changed:
		return "C"
	case Added:
		return "A"
	case Deleted:
		return "D"
	}
	return fmt.Sprintf("ChangeKind(%d)", int(k))
}

// Change is one line of a container diff.
type Change struct {
	// Kind says whether the path was added, changed or deleted.
	Kind ChangeKind
	// Path is the absolute path inside the container, such as /etc/hosts.
	Path string
}

// String formats the change as docker diff does: "C /etc".
func (c Change) String() string { return c.Kind.String() + " " + c.Path }

// Changes lists what the overlay upper directory upper changes relative to
// the lower layer directories lowers, with docker diff's semantics, sorted by
// path:
//
//   - a whiteout is D for the path it hides;
//   - an entry that exists in any lower is C, else A;
//   - a directory present in both with the same mode, size and mtime is not
//     reported by itself, but the parent directory of every A or D entry is
//     reported as C (unless it is / or already reported);
//   - an opaque directory is reported as C when a lower has it (docker prints
//     D for it; berth reports the directory that still exists as changed) and
//     A otherwise; lower children it hides are not listed, as in docker.
//
// Lookups in the lowers resolve inside each lower, so a symlink in an image
// layer never sends Changes outside it.
func Changes(upper string, lowers []string) ([]Change, error) {
	roots := make([]int, 0, len(lowers))
	defer func() {
		for _, fd := range roots {
			unix.Close(fd)
		}
	}()
	for _, l := range lowers {
		fd, err := unix.Open(l, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("open lower %s: %w", l, err)
		}
		roots = append(roots, fd)
	}

	var changes []Change
	changedDirs := make(map[string]bool)
	err := filepath.WalkDir(upper, func(full string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(upper, full)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		p := "/" + filepath.ToSlash(rel)
		var st unix.Stat_t
		if err := unix.Lstat(full, &st); err != nil {
			return err
		}
		typ := st.Mode & unix.S_IFMT
		ch := Change{Path: p}
		switch {
		case typ == unix.S_IFCHR && st.Rdev == 0:
			ch.Kind = Deleted
		default:
			ch.Kind = Added
			for _, root := range roots {
				var lst unix.Stat_t
				ok, err := lstatIn(root, p, &lst)
				if err != nil {
					return fmt.Errorf("stat %s in lower: %w", p, err)
				}
				if !ok {
					continue
				}
				if typ == unix.S_IFDIR && lst.Mode&unix.S_IFMT == unix.S_IFDIR && !isOpaque(full) &&
					st.Mode == lst.Mode && st.Size == lst.Size && sameTime(st.Mtim, lst.Mtim) {
					// The directory is only here because something below it
					// changed; its children say what.
					return nil
				}
				ch.Kind = Changed
				break
			}
		}
		if typ == unix.S_IFDIR {
			changedDirs[p] = true
		}
		if ch.Kind == Added || ch.Kind == Deleted {
			parent := filepath.Dir(p)
			if parent != "/" && !changedDirs[parent] {
				changes = append(changes, Change{Kind: Changed, Path: parent})
				changedDirs[parent] = true
			}
		}
		changes = append(changes, ch)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("diff %s: %w", upper, err)
	}
	slices.SortFunc(changes, func(a, b Change) int { return strings.Compare(a.Path, b.Path) })
	return changes, nil
}

// lstatIn stats p inside the lower whose root handle is root, resolving
// symlinks in the parent path within that root and not following the final
// component. It reports false when nothing is there.
func lstatIn(root int, p string, st *unix.Stat_t) (bool, error) {
	fd, err := OpenInRoot(root, strings.TrimPrefix(p, "/"), unix.O_PATH|unix.O_NOFOLLOW)
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer unix.Close(fd)
	if err := unix.Fstat(fd, st); err != nil {
		return false, err
	}
	return true, nil
}

func isOpaque(p string) bool {
	v, err := getXattr(p, opaqueXattr)
	return err == nil && v == "y"
}

// sameTime compares times as docker does: equal, or equal seconds when one
// side lost its nanoseconds.
func sameTime(a, b unix.Timespec) bool {
	return a == b || (a.Sec == b.Sec && (a.Nsec == 0 || b.Nsec == 0))
}
