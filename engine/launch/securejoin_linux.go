package launch

import (
	"errors"
	"os"
	"path"
	"strings"
	"syscall"
)

// maxSymlinks bounds the symlinks secureJoin follows, as the kernel's
// path walk does (ELOOP past 40 nested; the total bound here is looser).
const maxSymlinks = 255

// secureJoin returns the host path of unsafePath resolved inside root, as
// if root were the filesystem root: each component is looked up under
// root, symlinks are expanded with absolute targets taken relative to
// root, and ".." never climbs above root. The result is always root or
// below it, whatever symlinks the container's image holds. Components
// that do not exist are taken as they are, for the caller to create. It
// reads the filesystem before the container runs anything, so nothing
// can change the path between the resolution and its use.
func secureJoin(root, unsafePath string) (string, error) {
	root = path.Clean(root)
	cur := "" // resolved so far below root: clean, absolute, no symlinks
	rest := unsafePath
	links := 0
	for rest != "" {
		var part string
		part, rest, _ = strings.Cut(rest, "/")
		next := path.Join("/", cur, part)
		if next == "/" {
			cur = ""
			continue
		}
		full := root + next
		fi, err := os.Lstat(full)
		if err != nil && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return "", err
		}
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			cur = next
			continue
		}
		links++
		if links > maxSymlinks {
			return "", &os.PathError{Op: "resolve", Path: path.Join(root, unsafePath), Err: syscall.ELOOP}
		}
		dest, err := os.Readlink(full)
		if err != nil {
			return "", err
		}
		rest = dest + "/" + rest
		if path.IsAbs(dest) {
			cur = ""
		}
	}
	return path.Join(root, path.Join("/", cur)), nil
}
