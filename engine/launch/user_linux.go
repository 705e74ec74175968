package launch

import (
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// ExitError is a failure before the container's process runs, with
// docker's exit code for it: 125 an engine error, 126 the command cannot
// be executed, 127 it was not found.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// User is the resolved identity of a container process.
type User struct {
	UID, GID int
	// Groups are the supplementary groups, sorted, without GID.
	Groups []int
	// Home is the user's home directory from /etc/passwd, else "/".
	Home string
}

// ResolveUser resolves docker's -u grammar (user[:group], names or
// numbers) against the container's /etc/passwd and /etc/group. An empty
// spec is root.
func ResolveUser(spec string) (User, error) {
	u := User{Home: "/"}
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	passwd := readColonFile("/etc/passwd")
	groups := readColonFile("/etc/group")
	name := ""
	switch {
	case userPart == "":
		if e := FindEntry(passwd, "0"); e != nil {
			name, u.Home = e[0], e[5]
		} else {
			name = "root"
		}
	default:
		e := FindEntry(passwd, userPart)
		if e == nil {
			n, err := strconv.Atoi(userPart)
			if err != nil || n < 0 {
				return u, fmt.Errorf("unable to find user %s: no matching entries in passwd file", userPart)
			}
			u.UID = n
			break
		}
		name = e[0]
		u.UID, _ = strconv.Atoi(e[2])
		u.GID, _ = strconv.Atoi(e[3])
		u.Home = e[5]
	}
	if hasGroup {
		e := FindEntry(groups, groupPart)
		if e == nil {
			n, err := strconv.Atoi(groupPart)
			if err != nil || n < 0 {
				return u, fmt.Errorf("unable to find group %s: no matching entries in group file", groupPart)
			}
			u.GID = n
		} else {
			u.GID, _ = strconv.Atoi(e[2])
		}
	}
	seen := map[int]bool{u.GID: true}
	u.Groups = []int{}
	if name != "" {
		for _, g := range groups {
			if len(g) < 4 {
				continue
			}
			for _, m := range strings.Split(g[3], ",") {
				if m == name {
					if gid, err := strconv.Atoi(g[2]); err == nil && !seen[gid] {
						seen[gid] = true
						u.Groups = append(u.Groups, gid)
					}
				}
			}
		}
	}
	sort.Ints(u.Groups)
	return u, nil
}

// AddGroups adds the groups names (names in /etc/group, or numbers) to
// u's supplementary groups, as docker's --group-add does.
func AddGroups(u *User, names []string) error {
	if len(names) == 0 {
		return nil
	}
	groups := readColonFile("/etc/group")
	for _, n := range names {
		gid := -1
		if e := FindEntry(groups, n); e != nil {
			gid, _ = strconv.Atoi(e[2])
		} else if v, err := strconv.Atoi(n); err == nil && v >= 0 {
			gid = v
		}
		if gid < 0 {
			return fmt.Errorf("unable to find group %s: no matching entries in group file", n)
		}
		if gid != u.GID && !slices.Contains(u.Groups, gid) {
			u.Groups = append(u.Groups, gid)
		}
	}
	sort.Ints(u.Groups)
	return nil
}

// readColonFile parses a passwd or group file into its fields; a missing
// or unreadable file has no entries.
func readColonFile(path string) [][]string {
	b, err := readFileRaw(path)
	if err != nil {
		return nil
	}
	return ParseColonFile(b)
}

// ParseColonFile parses the lines of a passwd or group file into their
// fields (at least seven, the missing ones empty), without blank lines
// and comments.
func ParseColonFile(b []byte) [][]string {
	var out [][]string
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, ":")
		for len(fields) < 7 {
			fields = append(fields, "")
		}
		out = append(out, fields)
	}
	return out
}

// FindEntry finds a passwd or group entry (ParseColonFile) by name, or
// else by number.
func FindEntry(entries [][]string, key string) []string {
	for _, e := range entries {
		if e[0] == key {
			return e
		}
	}
	for _, e := range entries {
		if e[2] == key {
			return e
		}
	}
	return nil
}

// WithDefaultEnv adds PATH and HOME when the container's environment
// lacks them.
func WithDefaultEnv(env []string, home string) []string {
	hasPath, hasHome := false, false
	for _, kv := range env {
		hasPath = hasPath || strings.HasPrefix(kv, "PATH=")
		hasHome = hasHome || strings.HasPrefix(kv, "HOME=")
	}
	out := append([]string(nil), env...)
	if !hasPath {
		out = append(out, DefaultPath)
	}
	if !hasHome {
		out = append(out, "HOME="+home)
	}
	return out
}

// ensureWorkdir creates the working directory if it is missing, owned by
// the container's user as docker does. The process runs inside the new
// root by now, so the path cannot leave the rootfs.
func ensureWorkdir(cwd string, u User) error {
	if fi, err := os.Stat(cwd); err == nil {
		if !fi.IsDir() {
			return &ExitError{126, fmt.Errorf("chdir to cwd (%q) set in config.json failed: not a directory", cwd)}
		}
		return nil
	}
	if err := os.MkdirAll(cwd, 0o755); err != nil {
		return fmt.Errorf("create working directory %s: %w", cwd, err)
	}
	return os.Chown(cwd, u.UID, u.GID)
}

// LookCommand finds the container's command as docker does: a name with
// a slash is used as is, anything else is searched in the container's
// PATH. Not found is 127, found but not executable is 126.
func LookCommand(name string, env []string) (string, error) {
	if name == "" {
		return "", &ExitError{127, errors.New(`exec: "": executable file not found in $PATH`)}
	}
	check := func(p string) error {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		if fi.IsDir() {
			return syscall.EISDIR
		}
		if fi.Mode()&0o111 == 0 {
			return syscall.EACCES
		}
		return nil
	}
	if strings.Contains(name, "/") {
		if err := check(name); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return "", &ExitError{127, fmt.Errorf("exec: %q: stat %s: no such file or directory", name, name)}
			}
			return "", &ExitError{126, fmt.Errorf("exec: %q: %w", name, unwrapErrno(err))}
		}
		return name, nil
	}
	search := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			search = v
		}
	}
	var dirs []string
	if search != "" {
		dirs = strings.Split(search, ":")
	}
	var denied error
	for _, dir := range dirs {
		if dir == "" {
			dir = "."
		}
		p := path.Join(dir, name)
		err := check(p)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, os.ErrNotExist) && denied == nil {
			denied = err
		}
	}
	if denied != nil {
		return "", &ExitError{126, fmt.Errorf("exec: %q: %w", name, unwrapErrno(denied))}
	}
	return "", &ExitError{127, fmt.Errorf("exec: %q: executable file not found in $PATH", name)}
}

func unwrapErrno(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return err
}

// readFileRaw reads the whole file at path with plain system calls: an
// os.File costs three or four more (non-blocking mode, the poller).
func readFileRaw(path string) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	b := make([]byte, 0, 4096)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := unix.Read(fd, b[len(b):cap(b)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return b, nil
		}
		b = b[:len(b)+n]
	}
}
