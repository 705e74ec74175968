package archive

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"
)

// EntryType classifies a layer entry for the layer browser.
type EntryType int

const (
	// TypeFile is a regular file.
	TypeFile EntryType = iota
	// TypeDir is a directory.
	TypeDir
	// TypeSymlink is a symbolic link; LinkTarget holds its target verbatim.
	TypeSymlink
	// TypeHardlink is a hardlink; LinkTarget is the absolute path it links to.
	TypeHardlink
	// TypeWhiteout deletes Path from the layers below.
	TypeWhiteout
	// TypeOpaque hides everything the layers below have under directory Path.
	TypeOpaque
	// TypeOther is a device or fifo.
	TypeOther
)

// String returns a short lowercase name such as "file" or "whiteout".
func (t EntryType) String() string {
	switch t {
	case TypeFile:
		return "file"
	case TypeDir:
		return "dir"
	case TypeSymlink:
		return "symlink"
	case TypeHardlink:
		return "hardlink"
	case TypeWhiteout:
		return "whiteout"
	case TypeOpaque:
		return "opaque"
	case TypeOther:
		return "other"
	}
	return fmt.Sprintf("EntryType(%d)", int(t))
}

// Entry describes one entry of a layer as the layer browser shows it.
type Entry struct {
	// Path is the absolute, cleaned path the entry affects, such as
	// /etc/passwd. For a whiteout it is the deleted path, for an opaque
	// marker the directory made opaque.
	Path string
	// Type classifies the entry.
	Type EntryType
	// Size is the file content size; zero for everything but files.
	Size int64
	// Mode holds the permission, setuid/setgid/sticky and type bits.
	Mode fs.FileMode
	// LinkTarget is the symlink target, or the hardlink target's absolute path.
	LinkTarget string
	// UID and GID are the numeric owner.
	UID, GID int
	// ModTime is the modification time.
	ModTime time.Time
}

// ListTar reads the uncompressed layer tar stream r and calls fn for every
// entry, in stream order, without writing anything to disk. The root entry,
// PAX global headers and AUFS metadata other than opaque markers are skipped.
// A name that climbs out of the root fails with ErrUnsafePath. If fn returns
// an error, ListTar stops and returns it unchanged.
func ListTar(ctx context.Context, r io.Reader, fn func(Entry) error) error {
	tr := tar.NewReader(r)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read layer tar: %w", err)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		name, err := cleanName(hdr.Name)
		if err != nil {
			return fmt.Errorf("list entry %q: %w", hdr.Name, err)
		}
		if name == "." || isAUFSMeta(name) {
			continue
		}
		e := Entry{
			Path:    absPath(name),
			Mode:    hdr.FileInfo().Mode(),
			UID:     hdr.Uid,
			GID:     hdr.Gid,
			ModTime: hdr.ModTime,
		}
		dir, base := splitName(name)
		switch {
		case base == whiteoutOpaque:
			e.Type = TypeOpaque
			e.Path = absPath(dir)
		case strings.HasPrefix(base, whiteoutMetaPrefix):
			continue
		case strings.HasPrefix(base, whiteoutPrefix):
			e.Type = TypeWhiteout
			e.Path = absPath(dir + "/" + base[len(whiteoutPrefix):])
		default:
			switch hdr.Typeflag {
			case tar.TypeReg, '\x00', tar.TypeGNUSparse:
				e.Type = TypeFile
				e.Size = hdr.Size
			case tar.TypeDir:
				e.Type = TypeDir
			case tar.TypeSymlink:
				e.Type = TypeSymlink
				e.LinkTarget = hdr.Linkname
			case tar.TypeLink:
				e.Type = TypeHardlink
				target, err := cleanName(hdr.Linkname)
				if err != nil {
					return fmt.Errorf("list entry %q: %w", hdr.Name, err)
				}
				e.LinkTarget = absPath(target)
			default:
				e.Type = TypeOther
			}
		}
		if err := fn(e); err != nil {
			return err
		}
	}
}

// absPath turns a clean relative path into an absolute one.
func absPath(rel string) string {
	return path.Clean("/" + rel)
}
