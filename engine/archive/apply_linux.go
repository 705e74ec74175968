package archive

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// copyBufferSize is the size of the buffer Apply and WriteDiff copy file
// content through.
const copyBufferSize = 1 << 20

// Stats summarises one Apply call.
type Stats struct {
	// Size is the number of bytes of regular file content written.
	Size int64
	// Entries is the number of tar entries processed.
	Entries int
}

// Apply unpacks the uncompressed layer tar stream r into dir, an existing
// empty directory that will become an overlayfs lower directory.
//
// Regular files, directories, symlinks, hardlinks to earlier entries,
// character and block devices and fifos are created with the numeric owner,
// mode (setuid, setgid and sticky bits included), modification time and
// extended attributes of their headers; directory times are set last. A
// `.wh.NAME` entry becomes an overlay whiteout (a 0:0 character device NAME)
// and `.wh..wh..opq` sets trusted.overlay.opaque=y on its directory. A later
// entry replaces an earlier one at the same path, except that a directory over
// a directory only updates its metadata. Other AUFS metadata (.wh..wh.*) is
// skipped, as docker skips it; a path that runs through a whiteout name fails
// with ErrInvalidEntry. Missing parent directories are created with mode 0755.
//
// Nothing is ever created or changed outside dir: every parent directory is
// opened with openat2 RESOLVE_IN_ROOT (symlinks inside the layer resolve as
// if dir were /), final components are never followed, names that climb out
// with ".." fail with ErrUnsafePath and leading slashes are stripped. Apply
// stops with ErrTooLarge once the declared file content passes WithMaxSize or
// the entry count passes WithMaxEntries. Per-entry failures are *EntryError.
// On error dir holds a partial layer the caller must discard.
//
// Apply does not fsync what it writes; call Sync once when done.
func Apply(ctx context.Context, dir string, r io.Reader, opts ...Option) (Stats, error) {
	o := makeOptions(opts)
	root, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return Stats{}, fmt.Errorf("open layer dir %s: %w", dir, err)
	}
	u := &unpacker{
		ctx:      ctx,
		root:     root,
		opts:     o,
		buf:      make([]byte, copyBufferSize),
		cacheFd:  -1,
		dirIndex: make(map[string]int),
	}
	defer u.close()

	tr := tar.NewReader(r)
	for {
		if err := ctx.Err(); err != nil {
			return u.stats, err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return u.stats, fmt.Errorf("read layer tar: %w", err)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		u.stats.Entries++
		if u.stats.Entries > o.maxEntries {
			return u.stats, &EntryError{Name: hdr.Name, Err: fmt.Errorf("more than %d entries: %w", o.maxEntries, ErrTooLarge)}
		}
		if err := u.entry(hdr, tr); err != nil {
			return u.stats, err
		}
	}
	if err := u.finishDirs(); err != nil {
		return u.stats, err
	}
	return u.stats, nil
}

// Sync flushes the filesystem holding dir to stable storage with syncfs(2).
// Apply leaves this to the caller so that a layer costs one sync, not one
// per file.
func Sync(dir string) error {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer unix.Close(fd)
	if err := unix.Syncfs(fd); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

type dirTimes struct {
	path string
	ts   [2]unix.Timespec
}

// unpacker holds the state of one Apply call.
type unpacker struct {
	ctx   context.Context
	root  int
	opts  options
	buf   []byte
	stats Stats

	// cacheDir/cacheFd hold the parent directory of the latest entry, so that
	// runs of entries in one directory resolve it once. Entries only ever
	// remove children of the current parent, so the cached handle never goes
	// stale.
	cacheDir string
	cacheFd  int

	dirs     []dirTimes
	dirIndex map[string]int
}

func (u *unpacker) close() {
	if u.cacheFd >= 0 && u.cacheFd != u.root {
		unix.Close(u.cacheFd)
	}
	unix.Close(u.root)
}

// openIn opens p (relative to the root) with every symlink resolved inside the
// root, as if the root were "/".
func (u *unpacker) openIn(p string, flags int) (int, error) {
	return OpenInRoot(u.root, p, flags)
}

// OpenInRoot opens p relative to the directory root with openat2
// RESOLVE_IN_ROOT: every symbolic link and ".." resolves as if root were
// "/", and nothing outside it is reached. It tries again when the kernel
// cannot vouch for a ".." because something was renamed or mounted
// meanwhile (EAGAIN), as the system call's manual says to.
func OpenInRoot(root int, p string, flags int) (int, error) {
	how := unix.OpenHow{
		Flags:   uint64(flags | unix.O_CLOEXEC),
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	}
	for range 16 {
		fd, err := unix.Openat2(root, p, &how)
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		return fd, err
	}
	return -1, unix.EAGAIN
}

// parent returns a handle on directory dir inside the root, creating missing
// directories (mode 0755, owned by the caller) as docker does. The handle
// belongs to the unpacker; callers must not close it.
func (u *unpacker) parent(dir string) (int, error) {
	if dir == u.cacheDir && u.cacheFd >= 0 {
		return u.cacheFd, nil
	}
	var fd int
	if dir == "." {
		fd = u.root
	} else {
		var err error
		fd, err = u.openIn(dir, unix.O_PATH|unix.O_DIRECTORY)
		if err == unix.ENOENT {
			fd, err = u.mkdirAll(dir)
		}
		if err != nil {
			return -1, err
		}
	}
	if u.cacheFd >= 0 && u.cacheFd != u.root {
		unix.Close(u.cacheFd)
	}
	u.cacheDir, u.cacheFd = dir, fd
	return fd, nil
}

// mkdirAll creates the missing directories of dir one component at a time,
// each with mkdirat on a handle of its resolved parent, and returns an O_PATH
// handle on dir.
func (u *unpacker) mkdirAll(dir string) (int, error) {
	cur := u.root
	closeCur := func() {
		if cur != u.root {
			unix.Close(cur)
		}
	}
	parts := strings.Split(dir, "/")
	for i, comp := range parts {
		p := strings.Join(parts[:i+1], "/")
		next, err := u.openIn(p, unix.O_PATH|unix.O_DIRECTORY)
		if err == unix.ENOENT {
			if err = unix.Mkdirat(cur, comp, 0o755); err != nil && err != unix.EEXIST {
				closeCur()
				return -1, err
			}
			if err == nil {
				if err = chmodAt(cur, comp, 0o755); err != nil {
					closeCur()
					return -1, err
				}
			}
			existed := err == unix.EEXIST
			next, err = u.openIn(p, unix.O_PATH|unix.O_DIRECTORY)
			if existed && (err == unix.ENOENT || err == unix.ENOTDIR || err == unix.ELOOP) {
				// comp is a symlink that resolves to nothing inside the
				// root; following it anywhere else is exactly what Apply
				// must never do.
				err = fmt.Errorf("%q is a symlink that leads nowhere inside the root: %w", p, ErrUnsafePath)
			}
		}
		closeCur()
		if err != nil {
			return -1, err
		}
		cur = next
	}
	return cur, nil
}

func (u *unpacker) entry(hdr *tar.Header, tr *tar.Reader) error {
	fail := func(op string, err error) error {
		return &EntryError{Name: hdr.Name, Op: op, Err: err}
	}
	name, err := cleanName(hdr.Name)
	if err != nil {
		return fail("", err)
	}
	if o := u.opts.owner; o != nil {
		hdr.Uid, hdr.Gid = o[0], o[1]
	}
	if hdr.Uid < 0 || hdr.Gid < 0 || hdr.Uid > 1<<32-2 || hdr.Gid > 1<<32-2 {
		return fail("", fmt.Errorf("owner %d:%d out of range: %w", hdr.Uid, hdr.Gid, ErrInvalidEntry))
	}
	if name == "." {
		if hdr.Typeflag != tar.TypeDir {
			return fail("", fmt.Errorf("root entry is not a directory: %w", ErrInvalidEntry))
		}
		if err := u.setFdMeta(u.root, hdr); err != nil {
			return fail("set metadata", err)
		}
		u.deferDirTimes(name, hdr)
		return nil
	}
	if isAUFSMeta(name) && !u.opts.plain {
		return nil
	}
	dir, base := splitName(name)
	if dir != "." && !u.opts.plain {
		for _, comp := range strings.Split(dir, "/") {
			if strings.HasPrefix(comp, whiteoutPrefix) {
				return fail("", fmt.Errorf("path runs through whiteout %q: %w", comp, ErrInvalidEntry))
			}
		}
	}

	pfd, err := u.parent(dir)
	if err != nil {
		return fail("open parent", err)
	}

	switch {
	case u.opts.plain:
	case base == whiteoutOpaque:
		if err := u.opaque(dir); err != nil {
			return fail("set opaque", err)
		}
		return nil
	case strings.HasPrefix(base, whiteoutMetaPrefix):
		// Other AUFS metadata (.wh..wh.plnk, .wh..wh.aufs) carries nothing
		// overlay needs; docker skips it too.
		return nil
	case strings.HasPrefix(base, whiteoutPrefix):
		target := base[len(whiteoutPrefix):]
		if target == "" || target == "." || target == ".." {
			return fail("", fmt.Errorf("whiteout without a name: %w", ErrInvalidEntry))
		}
		if err := u.whiteout(pfd, target, hdr); err != nil {
			return fail("whiteout", err)
		}
		return nil
	}

	switch hdr.Typeflag {
	case tar.TypeReg, '\x00', tar.TypeGNUSparse:
		return u.regular(pfd, base, hdr, tr, fail)
	case tar.TypeDir:
		return u.dir(pfd, name, base, hdr, fail)
	case tar.TypeSymlink:
		return u.symlink(pfd, base, hdr, fail)
	case tar.TypeLink:
		return u.hardlink(pfd, base, hdr, fail)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		return u.node(pfd, base, hdr, fail)
	default:
		return fail("", fmt.Errorf("type %q: %w", hdr.Typeflag, ErrUnsupported))
	}
}

// retryExisting runs create; if it fails with EEXIST it removes whatever is
// at pfd/base (never following it) and runs create once more.
func retryExisting(pfd int, base string, create func() error) error {
	err := create()
	if err != unix.EEXIST {
		return err
	}
	if err := removeAll(pfd, base); err != nil {
		return err
	}
	return create()
}

func (u *unpacker) regular(pfd int, base string, hdr *tar.Header, tr *tar.Reader, fail func(string, error) error) error {
	if hdr.Size > u.opts.maxSize-u.stats.Size {
		return fail("", fmt.Errorf("file content past %d bytes: %w", u.opts.maxSize, ErrTooLarge))
	}
	var fd int
	err := retryExisting(pfd, base, func() error {
		var err error
		fd, err = unix.Openat(pfd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		return err
	})
	if err != nil {
		return fail("create", err)
	}
	defer unix.Close(fd)
	n, err := io.CopyBuffer(fdWriter(fd), ctxReader{ctx: u.ctx, r: tr}, u.buf)
	u.stats.Size += n
	if err != nil {
		return fail("write", err)
	}
	if n != hdr.Size {
		return fail("write", fmt.Errorf("wrote %d of %d bytes: %w", n, hdr.Size, io.ErrUnexpectedEOF))
	}
	if err := u.setFdMeta(fd, hdr); err != nil {
		return fail("set metadata", err)
	}
	ts := times(hdr)
	if err := futimens(fd, &ts); err != nil {
		return fail("utimes", err)
	}
	return nil
}

func (u *unpacker) dir(pfd int, name, base string, hdr *tar.Header, fail func(string, error) error) error {
	err := unix.Mkdirat(pfd, base, 0o700)
	if err == unix.EEXIST {
		var st unix.Stat_t
		if err = unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
			if err = removeAll(pfd, base); err == nil {
				err = unix.Mkdirat(pfd, base, 0o700)
			}
		}
	}
	if err != nil {
		return fail("mkdir", err)
	}
	fd, err := unix.Openat(pfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fail("open", err)
	}
	defer unix.Close(fd)
	if err := u.setFdMeta(fd, hdr); err != nil {
		return fail("set metadata", err)
	}
	u.deferDirTimes(name, hdr)
	return nil
}

func (u *unpacker) symlink(pfd int, base string, hdr *tar.Header, fail func(string, error) error) error {
	err := retryExisting(pfd, base, func() error {
		return unix.Symlinkat(hdr.Linkname, pfd, base)
	})
	if err != nil {
		return fail("symlink", err)
	}
	if err := unix.Fchownat(pfd, base, hdr.Uid, hdr.Gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fail("chown", err)
	}
	if err := setXattrsAt(pfd, base, hdr); err != nil {
		return fail("setxattr", err)
	}
	ts := times(hdr)
	if err := unix.UtimesNanoAt(pfd, base, ts[:], unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fail("utimes", err)
	}
	return nil
}

// hardlink links base to an earlier entry. The target's directory is resolved
// inside the root and the target itself is never followed, so a link to a
// symlink links the symlink, as link(2) does.
func (u *unpacker) hardlink(pfd int, base string, hdr *tar.Header, fail func(string, error) error) error {
	target, err := cleanName(hdr.Linkname)
	if err != nil {
		return fail("link", err)
	}
	if target == "." {
		return fail("link", fmt.Errorf("link to the root: %w", ErrInvalidEntry))
	}
	tdir, tbase := splitName(target)
	tfd := u.root
	if tdir != "." {
		if tfd, err = u.openIn(tdir, unix.O_PATH|unix.O_DIRECTORY); err != nil {
			return fail("open link target", err)
		}
		defer unix.Close(tfd)
	}
	err = unix.Linkat(tfd, tbase, pfd, base, 0)
	if err == unix.EEXIST {
		var a, b unix.Stat_t
		if unix.Fstatat(tfd, tbase, &a, unix.AT_SYMLINK_NOFOLLOW) == nil &&
			unix.Fstatat(pfd, base, &b, unix.AT_SYMLINK_NOFOLLOW) == nil &&
			a.Dev == b.Dev && a.Ino == b.Ino {
			return nil
		}
		if err = removeAll(pfd, base); err == nil {
			err = unix.Linkat(tfd, tbase, pfd, base, 0)
		}
	}
	if err != nil {
		return fail("link", err)
	}
	return nil
}

func (u *unpacker) node(pfd int, base string, hdr *tar.Header, fail func(string, error) error) error {
	var mode uint32
	switch hdr.Typeflag {
	case tar.TypeChar:
		mode = unix.S_IFCHR
	case tar.TypeBlock:
		mode = unix.S_IFBLK
	default:
		mode = unix.S_IFIFO
	}
	dev := int(unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor)))
	err := retryExisting(pfd, base, func() error {
		return unix.Mknodat(pfd, base, mode|0o600, dev)
	})
	if err != nil {
		return fail("mknod", err)
	}
	if err := unix.Fchownat(pfd, base, hdr.Uid, hdr.Gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fail("chown", err)
	}
	if err := chmodAt(pfd, base, uint32(hdr.Mode)&0o7777); err != nil {
		return fail("chmod", err)
	}
	if err := setXattrsAt(pfd, base, hdr); err != nil {
		return fail("setxattr", err)
	}
	ts := times(hdr)
	if err := unix.UtimesNanoAt(pfd, base, ts[:], unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fail("utimes", err)
	}
	return nil
}

// whiteout replaces whatever is at pfd/name with an overlay whiteout: a
// character device 0:0 with mode 0 (as overlayfs creates them), owned as the
// header says.
func (u *unpacker) whiteout(pfd int, name string, hdr *tar.Header) error {
	if err := removeAll(pfd, name); err != nil {
		return err
	}
	if err := unix.Mknodat(pfd, name, unix.S_IFCHR, 0); err != nil {
		return err
	}
	if err := unix.Fchownat(pfd, name, hdr.Uid, hdr.Gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	ts := times(hdr)
	return unix.UtimesNanoAt(pfd, name, ts[:], unix.AT_SYMLINK_NOFOLLOW)
}

// opaque marks directory dir (relative to the root) opaque for overlayfs.
func (u *unpacker) opaque(dir string) error {
	fd := u.root
	if dir != "." {
		var err error
		if fd, err = u.openIn(dir, unix.O_RDONLY|unix.O_DIRECTORY); err != nil {
			return err
		}
		defer unix.Close(fd)
	}
	return unix.Fsetxattr(fd, opaqueXattr, []byte{'y'}, 0)
}

// setFdMeta sets owner, mode and xattrs on an open regular file or directory,
// in that order: chown clears setuid/setgid bits and file capabilities, so
// those come after it.
func (u *unpacker) setFdMeta(fd int, hdr *tar.Header) error {
	if err := unix.Fchown(fd, hdr.Uid, hdr.Gid); err != nil {
		return fmt.Errorf("chown: %w", err)
	}
	if err := unix.Fchmod(fd, uint32(hdr.Mode)&0o7777); err != nil {
		return fmt.Errorf("chmod: %w", err)
	}
	for name, value := range xattrs(hdr) {
		if err := unix.Fsetxattr(fd, name, []byte(value), 0); err != nil && !ignorableXattrErr(err) {
			return fmt.Errorf("setxattr %s: %w", name, err)
		}
	}
	return nil
}

func (u *unpacker) deferDirTimes(name string, hdr *tar.Header) {
	dt := dirTimes{path: name, ts: times(hdr)}
	if i, ok := u.dirIndex[name]; ok {
		u.dirs[i] = dt
		return
	}
	u.dirIndex[name] = len(u.dirs)
	u.dirs = append(u.dirs, dt)
}

// finishDirs sets directory times once every child exists. A directory that
// a later entry removed or replaced is skipped.
func (u *unpacker) finishDirs() error {
	for i := len(u.dirs) - 1; i >= 0; i-- {
		d := u.dirs[i]
		fd, err := u.openIn(d.path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW)
		if err == unix.ENOENT || err == unix.ENOTDIR || err == unix.ELOOP {
			continue
		}
		if err != nil {
			return &EntryError{Name: d.path, Op: "utimes", Err: err}
		}
		err = futimens(fd, &d.ts)
		unix.Close(fd)
		if err != nil {
			return &EntryError{Name: d.path, Op: "utimes", Err: err}
		}
	}
	return nil
}

// xattrs returns the extended attributes of hdr that berth keeps.
func xattrs(hdr *tar.Header) map[string]string {
	var m map[string]string
	for k, v := range hdr.PAXRecords {
		name, ok := strings.CutPrefix(k, paxSchilyXattr)
		if !ok || !keepXattr(name) {
			continue
		}
		if m == nil {
			m = make(map[string]string)
		}
		m[name] = v
	}
	return m
}

// ignorableXattrErr reports the errors docker also ignores when setting
// xattrs: the filesystem lacks them, or the namespace is not allowed on this
// kind of file (user.* on symlinks and devices).
func ignorableXattrErr(err error) bool {
	return err == unix.ENOTSUP || err == unix.EPERM
}

// setXattrsAt sets the kept xattrs of hdr on pfd/base without following base.
func setXattrsAt(pfd int, base string, hdr *tar.Header) error {
	x := xattrs(hdr)
	if len(x) == 0 {
		return nil
	}
	p := procPath(pfd, base)
	for name, value := range x {
		if err := unix.Lsetxattr(p, name, []byte(value), 0); err != nil && !ignorableXattrErr(err) {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// times returns the access and modification times for hdr. As docker does,
// the access time is never earlier than the modification time.
func times(hdr *tar.Header) [2]unix.Timespec {
	mt := hdr.ModTime
	at := hdr.AccessTime
	if at.Before(mt) {
		at = mt
	}
	return [2]unix.Timespec{timespec(at), timespec(mt)}
}

func timespec(t time.Time) unix.Timespec {
	return unix.Timespec{Sec: t.Unix(), Nsec: int64(t.Nanosecond())}
}

// ctxReader stops a long copy when its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
