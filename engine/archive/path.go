package archive

import (
	"fmt"
	"path"
	"strings"
)

const (
	whiteoutPrefix     = ".wh."
	whiteoutMetaPrefix = ".wh..wh."
	whiteoutOpaque     = ".wh..wh..opq"
	opaqueXattr        = "trusted.overlay.opaque"
	paxSchilyXattr     = "SCHILY.xattr."
)

// cleanName turns a tar entry name into a clean slash-separated path relative
// to the root ("." for the root itself). Leading slashes are stripped, as
// docker does; a name that climbs above the root with ".." is refused with
// ErrUnsafePath rather than clamped, again as docker does.
func cleanName(name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("empty name: %w", ErrInvalidEntry)
	}
	if strings.IndexByte(name, 0) >= 0 {
		return "", fmt.Errorf("name holds a NUL byte: %w", ErrInvalidEntry)
	}
	p := strings.TrimLeft(name, "/")
	if p == "" {
		return ".", nil
	}
	p = path.Clean(p)
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", fmt.Errorf("name %q leaves the root: %w", name, ErrUnsafePath)
	}
	return p, nil
}

// splitName splits a clean relative path into its parent directory ("." at
// the top) and final component.
func splitName(p string) (dir, base string) {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return ".", p
	}
	return p[:i], p[i+1:]
}

// keepXattr reports whether an extended attribute travels in layers. The
// overlayfs private namespaces are dropped so images cannot forge overlay
// metadata; so is every namespace berth does not know.
func keepXattr(name string) bool {
	switch {
	case strings.HasPrefix(name, "trusted.overlay."), strings.HasPrefix(name, "user.overlay."):
		return false
	case strings.HasPrefix(name, "user."), strings.HasPrefix(name, "security."), strings.HasPrefix(name, "trusted."):
		return true
	case name == "system.posix_acl_access", name == "system.posix_acl_default":
		return true
	}
	return false
}

// isAUFSMeta reports whether clean path p lies under top-level AUFS metadata
// such as .wh..wh.plnk/ or .wh..wh.aufs, which docker skips when unpacking.
// The opaque marker is not metadata.
func isAUFSMeta(p string) bool {
	first, _, _ := strings.Cut(p, "/")
	return strings.HasPrefix(first, whiteoutMetaPrefix) && p != whiteoutOpaque
}
