package archive_test

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// ent is one entry of a tar built in a test. Regular files get their size
// from body unless h.Size is set.
type ent struct {
	h    tar.Header
	body string
}

func reg(name, body string, mode int64) ent {
	return ent{h: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode}, body: body}
}

func dir(name string, mode int64) ent {
	return ent{h: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode}}
}

func symlink(name, target string) ent {
	return ent{h: tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777}}
}

func hardlink(name, target string) ent {
	return ent{h: tar.Header{Typeflag: tar.TypeLink, Name: name, Linkname: target}}
}

func with(e ent, f func(h *tar.Header)) ent {
	f(&e.h)
	return e
}

var epoch = time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)

// buildTar writes entries as a PAX tar. Entries without a ModTime get epoch.
func buildTar(tb testing.TB, ents ...ent) []byte {
	tb.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		h := e.h
		if h.Typeflag == tar.TypeReg && h.Size == 0 {
			h.Size = int64(len(e.body))
		}
		if h.ModTime.IsZero() {
			h.ModTime = epoch
		}
		h.Format = tar.FormatPAX
		if err := tw.WriteHeader(&h); err != nil {
			tb.Fatalf("WriteHeader(%q) = %v", h.Name, err)
		}
		if e.body != "" {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				tb.Fatalf("Write(%q) = %v", h.Name, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		tb.Fatalf("Close() = %v", err)
	}
	return buf.Bytes()
}

// node is what a test knows about one path on disk.
type node struct {
	typ    string
	mode   uint32
	uid    uint32
	gid    uint32
	size   int64
	data   string
	link   string
	rdev   uint64
	mtime  unix.Timespec
	xattrs map[string]string
	ino    uint64
	nlink  uint64
}

// describe renders the fields every structural comparison cares about.
func (n node) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %04o %d:%d", n.typ, n.mode, n.uid, n.gid)
	switch n.typ {
	case "file":
		fmt.Fprintf(&b, " %q", n.data)
	case "symlink":
		fmt.Fprintf(&b, " -> %s", n.link)
	case "char", "block":
		fmt.Fprintf(&b, " %d,%d", unix.Major(n.rdev), unix.Minor(n.rdev))
	}
	if len(n.xattrs) > 0 {
		keys := make([]string, 0, len(n.xattrs))
		for k := range n.xattrs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, " %s=%q", k, n.xattrs[k])
		}
	}
	return b.String()
}

func lstatNode(tb testing.TB, p string) node {
	tb.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		tb.Fatalf("Lstat(%s) = %v", p, err)
	}
	n := node{
		mode:  st.Mode & 0o7777,
		uid:   st.Uid,
		gid:   st.Gid,
		size:  st.Size,
		mtime: st.Mtim,
		ino:   st.Ino,
		nlink: uint64(st.Nlink),
		rdev:  st.Rdev,
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		n.typ = "file"
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatalf("ReadFile(%s) = %v", p, err)
		}
		if len(b) > 256 {
			sum := sha256.Sum256(b)
			n.data = "sha256:" + hex.EncodeToString(sum[:])
		} else {
			n.data = string(b)
		}
	case unix.S_IFDIR:
		n.typ = "dir"
		n.size = 0
	case unix.S_IFLNK:
		n.typ = "symlink"
		l, err := os.Readlink(p)
		if err != nil {
			tb.Fatalf("Readlink(%s) = %v", p, err)
		}
		n.link = l
	case unix.S_IFCHR:
		n.typ = "char"
		if st.Rdev == 0 {
			n.typ = "whiteout"
		}
	case unix.S_IFBLK:
		n.typ = "block"
	case unix.S_IFIFO:
		n.typ = "fifo"
	case unix.S_IFSOCK:
		n.typ = "socket"
	}
	n.xattrs = listXattrs(tb, p)
	return n
}

func listXattrs(tb testing.TB, p string) map[string]string {
	tb.Helper()
	buf := make([]byte, 64<<10)
	sz, err := unix.Llistxattr(p, buf)
	if err != nil {
		tb.Fatalf("Llistxattr(%s) = %v", p, err)
	}
	var m map[string]string
	for _, k := range strings.Split(string(buf[:sz]), "\x00") {
		if k == "" {
			continue
		}
		v := make([]byte, 64<<10)
		vs, err := unix.Lgetxattr(p, k, v)
		if err != nil {
			tb.Fatalf("Lgetxattr(%s, %s) = %v", p, k, err)
		}
		if m == nil {
			m = make(map[string]string)
		}
		m[k] = string(v[:vs])
	}
	return m
}

// snapshot records every path below root (root itself as ".").
func snapshot(tb testing.TB, root string) map[string]node {
	tb.Helper()
	m := make(map[string]node)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		m[rel] = lstatNode(tb, p)
		return nil
	})
	if err != nil {
		tb.Fatalf("WalkDir(%s) = %v", root, err)
	}
	return m
}

// describeTree renders a snapshot as path -> description, leaving out ".".
func describeTree(snap map[string]node) map[string]string {
	m := make(map[string]string)
	for p, n := range snap {
		if p == "." {
			continue
		}
		m[p] = n.describe()
	}
	return m
}

func diffMaps(got, want map[string]string) string {
	var b strings.Builder
	keys := make([]string, 0, len(got)+len(want))
	for k := range got {
		keys = append(keys, k)
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		g, gok := got[k]
		w, wok := want[k]
		switch {
		case !gok:
			fmt.Fprintf(&b, "  %s: missing, want %s\n", k, w)
		case !wok:
			fmt.Fprintf(&b, "  %s: got %s, want nothing\n", k, g)
		case g != w:
			fmt.Fprintf(&b, "  %s: got %s, want %s\n", k, g, w)
		}
	}
	return b.String()
}
