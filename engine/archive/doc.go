// Package archive reads and writes OCI/Docker layer tar streams for the berth
// engine.
//
// Apply unpacks an uncompressed layer into an empty directory that becomes an
// overlayfs lower directory: whiteout files turn into 0:0 character devices,
// opaque markers into the trusted.overlay.opaque=y xattr, as docker's overlay2
// driver does. Safety is the point of the package: every entry is created
// through a directory handle resolved inside the root with openat2
// RESOLVE_IN_ROOT, final components are never followed, and hostile names,
// link targets and oversized streams are refused with typed errors
// (ErrUnsafePath, ErrTooLarge, ErrUnsupported, ErrInvalidEntry wrapped in an
// *EntryError).
//
// WriteDiff turns an overlay upper directory back into a layer (for commit),
// WriteDir archives a plain tree (for import and export), Changes lists what a
// container changed (docker diff) and ListTar lists a layer without touching
// the disk (for the layer browser).
//
// Extended attributes: berth keeps user.*, security.* (including
// security.capability), trusted.* and the POSIX ACL attributes
// system.posix_acl_access and system.posix_acl_default. It drops the overlayfs
// private namespaces trusted.overlay.* and user.overlay.* in both directions,
// so an image can never forge an opaque directory, a redirect or a metacopy
// file, and drops every other namespace.
package archive
