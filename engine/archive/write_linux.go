package archive

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// WriteDiff writes the overlay upper directory upper to w as an uncompressed
// PAX layer tar that Apply turns back into the same directory.
//
// Whiteouts (0:0 character devices) become `.wh.NAME` entries, and a
// directory marked trusted.overlay.opaque=y is written followed by
// `DIR/.wh..wh..opq`. Regular files, directories, symlinks, devices and fifos
// keep their numeric owner, mode, modification time (nanoseconds, in PAX
// records) and the xattrs berth keeps (never trusted.overlay.*); a second path
// to an inode already written becomes a hardlink entry; sockets are skipped.
// Entries come in a deterministic order: parents first, names within a
// directory sorted bytewise. The upper directory itself is not written.
//
// WriteDiff never follows symlinks while walking: every directory and file is
// opened with O_NOFOLLOW relative to its parent's handle. The tar is closed
// (footer written) but w is not.
func WriteDiff(ctx context.Context, w io.Writer, upper string) error {
	return writeTree(ctx, w, upper, true)
}

// WriteDir writes the directory tree dir to w as an uncompressed PAX tar with
// the same entry rules as WriteDiff, except that character devices 0:0 stay
// devices and opaque xattrs are not turned into markers. It is the tar behind
// importing a directory and exporting a container root filesystem.
func WriteDir(ctx context.Context, w io.Writer, dir string) error {
	return writeTree(ctx, w, dir, false)
}

// WritePath writes path to w as an uncompressed PAX tar with the same
// entry rules as WriteDir: the entry itself, named name (a file, a
// symbolic link, not followed, or a directory followed by its tree under
// name/).
func WritePath(ctx context.Context, w io.Writer, path, name string) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", dir, err)
	}
	defer unix.Close(fd)
	if base == "" {
		base = "."
	}
	tw := newTreeWriter(ctx, w, false)
	if err := tw.entry(fd, base, name); err != nil {
		return err
	}
	if err := tw.tw.Close(); err != nil {
		return fmt.Errorf("close tar of %s: %w", path, err)
	}
	return nil
}

type inode struct {
	dev, ino uint64
}

type treeWriter struct {
	ctx       context.Context
	tw        *tar.Writer
	whiteouts bool
	links     map[inode]string
	buf       []byte
}

func writeTree(ctx context.Context, w io.Writer, dir string, whiteouts bool) error {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", dir, err)
	}
	tw := newTreeWriter(ctx, w, whiteouts)
	if err := tw.walk(fd, ""); err != nil {
		return err
	}
	if err := tw.tw.Close(); err != nil {
		return fmt.Errorf("close tar of %s: %w", dir, err)
	}
	return nil
}

func newTreeWriter(ctx context.Context, w io.Writer, whiteouts bool) *treeWriter {
	return &treeWriter{
		ctx:       ctx,
		tw:        tar.NewWriter(w),
		whiteouts: whiteouts,
		links:     make(map[inode]string),
		buf:       make([]byte, copyBufferSize),
	}
}

// walk writes the children of the directory open as dfd, whose path in the
// tar is rel ("" for the top). It takes ownership of dfd.
func (t *treeWriter) walk(dfd int, rel string) error {
	f := os.NewFile(uintptr(dfd), rel)
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("read dir %q: %w", rel, err)
	}
	slices.Sort(names)
	for _, name := range names {
		if err := t.ctx.Err(); err != nil {
			return err
		}
		p := name
		if rel != "" {
			p = rel + "/" + name
		}
		if err := t.entry(dfd, name, p); err != nil {
			return err
		}
	}
	return nil
}

func (t *treeWriter) entry(dfd int, name, p string) error {
	fail := func(op string, err error) error {
		return fmt.Errorf("write entry %q: %s: %w", p, op, err)
	}
	var st unix.Stat_t
	if err := unix.Fstatat(dfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fail("stat", err)
	}
	hdr := &tar.Header{
		Name:    p,
		Mode:    int64(st.Mode & 0o7777),
		Uid:     int(st.Uid),
		Gid:     int(st.Gid),
		ModTime: time.Unix(st.Mtim.Sec, st.Mtim.Nsec),
		Format:  tar.FormatPAX,
	}
	typ := st.Mode & unix.S_IFMT

	if typ == unix.S_IFCHR && st.Rdev == 0 && t.whiteouts {
		dir, base := splitName(p)
		hdr.Name = whiteoutPrefix + base
		if dir != "." {
			hdr.Name = dir + "/" + hdr.Name
		}
		hdr.Typeflag = tar.TypeReg
		hdr.Mode = 0o600
		if err := t.tw.WriteHeader(hdr); err != nil {
			return fail("write header", err)
		}
		return nil
	}

	x, err := readXattrs(dfd, name)
	if err != nil {
		return fail("read xattrs", err)
	}
	opaque := x[opaqueXattr] == "y"
	for k, v := range x {
		if !keepXattr(k) {
			continue
		}
		if hdr.PAXRecords == nil {
			hdr.PAXRecords = make(map[string]string)
		}
		hdr.PAXRecords[paxSchilyXattr+k] = v
	}

	if typ != unix.S_IFDIR && st.Nlink > 1 {
		id := inode{dev: st.Dev, ino: st.Ino}
		if first, ok := t.links[id]; ok {
			hdr.Typeflag = tar.TypeLink
			hdr.Linkname = first
			hdr.PAXRecords = nil
			if err := t.tw.WriteHeader(hdr); err != nil {
				return fail("write header", err)
			}
			return nil
		}
		t.links[id] = p
	}

	switch typ {
	case unix.S_IFREG:
		return t.regular(dfd, name, hdr, &st, fail)
	case unix.S_IFDIR:
		hdr.Typeflag = tar.TypeDir
		hdr.Name = p + "/"
		fd, err := unix.Openat(dfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return fail("open", err)
		}
		if err := t.tw.WriteHeader(hdr); err != nil {
			unix.Close(fd)
			return fail("write header", err)
		}
		if opaque && t.whiteouts {
			wo := &tar.Header{
				Typeflag: tar.TypeReg,
				Name:     p + "/" + whiteoutOpaque,
				Mode:     0o600,
				Uid:      hdr.Uid,
				Gid:      hdr.Gid,
				ModTime:  hdr.ModTime,
				Format:   tar.FormatPAX,
			}
			if err := t.tw.WriteHeader(wo); err != nil {
				unix.Close(fd)
				return fail("write header", err)
			}
		}
		return t.walk(fd, p)
	case unix.S_IFLNK:
		target, err := readlinkAt(dfd, name)
		if err != nil {
			return fail("readlink", err)
		}
		hdr.Typeflag = tar.TypeSymlink
		hdr.Linkname = target
	case unix.S_IFCHR, unix.S_IFBLK:
		hdr.Typeflag = tar.TypeChar
		if typ == unix.S_IFBLK {
			hdr.Typeflag = tar.TypeBlock
		}
		hdr.Devmajor = int64(unix.Major(st.Rdev))
		hdr.Devminor = int64(unix.Minor(st.Rdev))
	case unix.S_IFIFO:
		hdr.Typeflag = tar.TypeFifo
	default:
		// Sockets cannot be archived; docker skips them as well.
		return nil
	}
	if err := t.tw.WriteHeader(hdr); err != nil {
		return fail("write header", err)
	}
	return nil
}

func (t *treeWriter) regular(dfd int, name string, hdr *tar.Header, st *unix.Stat_t, fail func(string, error) error) error {
	fd, err := unix.Openat(dfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fail("open", err)
	}
	f := os.NewFile(uintptr(fd), hdr.Name)
	defer f.Close()
	var fst unix.Stat_t
	if err := unix.Fstat(fd, &fst); err != nil {
		return fail("stat", err)
	}
	if fst.Ino != st.Ino || fst.Dev != st.Dev {
		return fail("open", fmt.Errorf("file replaced while writing"))
	}
	hdr.Typeflag = tar.TypeReg
	hdr.Size = fst.Size
	if err := t.tw.WriteHeader(hdr); err != nil {
		return fail("write header", err)
	}
	n, err := io.CopyBuffer(t.tw, io.LimitReader(ctxReader{ctx: t.ctx, r: f}, hdr.Size), t.buf)
	if err != nil {
		return fail("copy", err)
	}
	if n != hdr.Size {
		return fail("copy", fmt.Errorf("file shrank from %d to %d bytes while writing", hdr.Size, n))
	}
	return nil
}

func readlinkAt(dfd int, name string) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(dfd, name, buf)
		if err != nil {
			return "", err
		}
		if n < size {
			return string(buf[:n]), nil
		}
	}
}

// readXattrs returns every extended attribute of dfd/name without following
// it. A filesystem without xattr support yields none.
func readXattrs(dfd int, name string) (map[string]string, error) {
	p := procPath(dfd, name)
	var list []byte
	for size := 256; ; size *= 4 {
		list = make([]byte, size)
		n, err := unix.Llistxattr(p, list)
		if err == unix.ERANGE && size < 1<<20 {
			continue
		}
		if err == unix.ENOTSUP {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		list = list[:n]
		break
	}
	if len(list) == 0 {
		return nil, nil
	}
	m := make(map[string]string)
	for _, k := range strings.Split(strings.TrimRight(string(list), "\x00"), "\x00") {
		if k == "" {
			continue
		}
		v, err := getXattr(p, k)
		if err == unix.ENODATA {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		m[k] = v
	}
	return m, nil
}

func getXattr(p, name string) (string, error) {
	for size := 256; ; size *= 4 {
		buf := make([]byte, size)
		n, err := unix.Lgetxattr(p, name, buf)
		if err == unix.ERANGE && size < 1<<20 {
			continue
		}
		if err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	}
}
