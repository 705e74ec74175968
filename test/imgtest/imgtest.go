// Package imgtest builds test images and serves them from an in-process
// registry, so that tests pull through berth's real code path without the
// internet. The base image is a busybox-static root filesystem taken from
// Debian's busybox-static package (/bin/busybox); tests that need it skip
// with a stated reason when it is not installed.
package imgtest

import (
	"archive/tar"
	"bytes"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/compression"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// BusyboxPath is where Debian's busybox-static package installs the
// statically linked busybox binary.
const BusyboxPath = "/bin/busybox"

// Epoch is the fixed time stamp of test image entries and history, so
// that the same image built twice has the same digests.
var epoch = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// Epoch returns the creation time recorded in test images.
func Epoch() time.Time { return epoch }

// Busybox returns the path of a static busybox binary, or skips t with the
// reason if there is none.
func Busybox(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(BusyboxPath)
	if err != nil {
		t.Skipf("no static busybox at %s (%v): install Debian's busybox-static (apt-get install -y busybox-static)", BusyboxPath, err)
	}
	// A static ELF has no PT_INTERP program header, whose path names the
	// dynamic loader.
	if bytes.Contains(b[:min(len(b), 4096)], []byte("/lib64/ld-linux")) || bytes.Contains(b[:min(len(b), 4096)], []byte("/lib/ld-linux")) {
		t.Skipf("%s is dynamically linked: install Debian's busybox-static (apt-get install -y busybox-static)", BusyboxPath)
	}
	return BusyboxPath
}

// Applets returns the names of the applets of the busybox binary bb.
func applets(t testing.TB, bb string) []string {
	t.Helper()
	out, err := exec.Command(bb, "--list").Output()
	if err != nil {
		t.Skipf("%s --list: %v: install Debian's busybox-static", bb, err)
	}
	var names []string
	for _, f := range strings.Fields(string(out)) {
		if f != "busybox" && !strings.Contains(f, "/") {
			names = append(names, f)
		}
	}
	sort.Strings(names)
	return names
}

const passwd = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
const group = "root:x:0:\nnobody:x:65534:\n"

// Entry is one member of a test layer tar.
type Entry struct {
	// Name is the path inside the layer, without a leading slash.
	Name string
	// Type is a tar type flag: tar.TypeReg (default), TypeDir, TypeSymlink,
	// TypeLink, TypeChar, TypeFifo.
	Type byte
	// Mode is the permission bits (default 0644 for files, 0755 for dirs,
	// 0777 for symlinks).
	Mode int64
	// Body is the content of a regular file.
	Body string
	// Linkname is the target of a symlink or hardlink.
	Linkname string
	// UID and GID own the entry.
	UID, GID int
	// Xattrs are PAX extended attributes (SCHILY.xattr.* records).
	Xattrs map[string]string
}

// File returns a regular file entry with mode 0644.
func File(name, body string) Entry { return Entry{Name: name, Body: body} }

// Dir returns a directory entry with mode 0755.
func Dir(name string) Entry { return Entry{Name: name, Type: tar.TypeDir} }

// Symlink returns a symbolic link entry name -> target.
func Symlink(name, target string) Entry {
	return Entry{Name: name, Type: tar.TypeSymlink, Linkname: target}
}

// Hardlink returns a hard link entry name -> target (a path in the layer).
func Hardlink(name, target string) Entry {
	return Entry{Name: name, Type: tar.TypeLink, Linkname: target}
}

// Whiteout returns the AUFS-style whiteout that deletes name from the
// layers below.
func Whiteout(name string) Entry {
	return Entry{Name: path.Join(path.Dir(name), ".wh."+path.Base(name))}
}

// Opaque returns the marker that hides everything below in directory dir.
func Opaque(dir string) Entry { return Entry{Name: path.Join(dir, ".wh..wh..opq")} }

// Tar returns the uncompressed tar of entries, in order.
func Tar(t testing.TB, entries ...Entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{
			Name:     e.Name,
			Typeflag: e.Type,
			Mode:     e.Mode,
			Linkname: e.Linkname,
			Uid:      e.UID,
			Gid:      e.GID,
			ModTime:  epoch,
			Format:   tar.FormatPAX,
		}
		switch e.Type {
		case 0, tar.TypeReg:
			h.Typeflag = tar.TypeReg
			h.Size = int64(len(e.Body))
			if h.Mode == 0 {
				h.Mode = 0o644
			}
		case tar.TypeDir:
			if h.Mode == 0 {
				h.Mode = 0o755
			}
			if !strings.HasSuffix(h.Name, "/") {
				h.Name += "/"
			}
		case tar.TypeSymlink:
			if h.Mode == 0 {
				h.Mode = 0o777
			}
		}
		if len(e.Xattrs) > 0 {
			h.PAXRecords = map[string]string{}
			for k, v := range e.Xattrs {
				h.PAXRecords["SCHILY.xattr."+k] = v
			}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("write tar header %s: %v", e.Name, err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := io.WriteString(tw, e.Body); err != nil {
				t.Fatalf("write tar entry %s: %v", e.Name, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatalf("close tar: %v", err)
	}
	return buf.Bytes()
}

// Layer returns a gzip-compressed image layer holding entries.
func Layer(t testing.TB, entries ...Entry) v1.Layer {
	t.Helper()
	return LayerFromTar(t, Tar(t, entries...))
}

// LayerFromTar returns a gzip-compressed image layer of the uncompressed
// tar b.
func LayerFromTar(t testing.TB, b []byte, opts ...tarball.LayerOption) v1.Layer {
	t.Helper()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}, append([]tarball.LayerOption{tarball.WithCompressedCaching}, opts...)...)
	if err != nil {
		t.Fatalf("make layer: %v", err)
	}
	return l
}

// BusyboxEntries returns the entries of a busybox root filesystem: the
// binary, every applet as a symlink to it in /bin, /etc/passwd and
// /etc/group with root and nobody, /tmp with mode 1777 and the empty
// mount points a container runtime expects.
func BusyboxEntries(t testing.TB) []Entry {
	t.Helper()
	bb := Busybox(t)
	body, err := os.ReadFile(bb)
	if err != nil {
		t.Fatalf("read busybox: %v", err)
	}
	es := []Entry{Dir("bin")}
	es = append(es, Entry{Name: "bin/busybox", Body: string(body), Mode: 0o755})
	for _, a := range applets(t, bb) {
		es = append(es, Symlink("bin/"+a, "busybox"))
	}
	for _, d := range []string{"dev", "etc", "home", "proc", "root", "sys", "usr", "usr/bin", "var", "var/log"} {
		es = append(es, Dir(d))
	}
	es = append(es,
		Entry{Name: "tmp", Type: tar.TypeDir, Mode: 0o1777},
		File("etc/passwd", passwd),
		File("etc/group", group),
		File("etc/hostname", "busybox\n"),
	)
	return es
}

// BusyboxRootfs returns a temporary directory holding a busybox root
// filesystem (see BusyboxEntries), applets as symlinks to /bin/busybox.
func BusyboxRootfs(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for _, e := range BusyboxEntries(t) {
		p := filepath.Join(dir, filepath.FromSlash(e.Name))
		var err error
		switch e.Type {
		case tar.TypeDir:
			mode := e.Mode
			if mode == 0 {
				mode = 0o755
			}
			if err = os.MkdirAll(p, 0o755); err == nil {
				err = os.Chmod(p, os.FileMode(mode&0o777)|modeBits(mode))
			}
		case tar.TypeSymlink:
			err = os.Symlink(e.Linkname, p)
		default:
			mode := e.Mode
			if mode == 0 {
				mode = 0o644
			}
			err = os.WriteFile(p, []byte(e.Body), os.FileMode(mode))
		}
		if err != nil {
			t.Fatalf("build rootfs: %v", err)
		}
	}
	return dir
}

func modeBits(m int64) os.FileMode {
	var fm os.FileMode
	if m&0o1000 != 0 {
		fm |= os.ModeSticky
	}
	if m&0o2000 != 0 {
		fm |= os.ModeSetgid
	}
	if m&0o4000 != 0 {
		fm |= os.ModeSetuid
	}
	return fm
}

// Option changes how BusyboxImage builds an image.
type Option func(*options)

type options struct {
	layers     []v1.Layer
	history    []string
	oci        bool
	zstd       bool
	arch, os   string
	variant    string
	cmd        []string
	entrypoint []string
	env        []string
	labels     map[string]string
	workdir    string
	user       string
}

// WithLayer adds a layer on top of busybox, recorded in the history as
// createdBy.
func WithLayer(l v1.Layer, createdBy string) Option {
	return func(o *options) {
		o.layers = append(o.layers, l)
		o.history = append(o.history, createdBy)
	}
}

// WithOCI makes the image use OCI media types instead of Docker's.
func WithOCI() Option { return func(o *options) { o.oci = true } }

// WithZstd compresses the busybox layer with zstd (implies OCI media types).
func WithZstd() Option { return func(o *options) { o.zstd, o.oci = true, true } }

// WithPlatform sets the image's os, architecture and variant.
func WithPlatform(os, arch, variant string) Option {
	return func(o *options) { o.os, o.arch, o.variant = os, arch, variant }
}

// WithCmd sets the image's default command (default ["sh"]).
func WithCmd(cmd ...string) Option { return func(o *options) { o.cmd = cmd } }

// WithEntrypoint sets the image's entrypoint.
func WithEntrypoint(ep ...string) Option { return func(o *options) { o.entrypoint = ep } }

// WithEnv adds environment variables (KEY=VALUE) to the image config.
func WithEnv(env ...string) Option { return func(o *options) { o.env = append(o.env, env...) } }

// WithLabel sets a label in the image config.
func WithLabel(k, v string) Option {
	return func(o *options) {
		if o.labels == nil {
			o.labels = map[string]string{}
		}
		o.labels[k] = v
	}
}

// WithWorkdir sets the image's working directory.
func WithWorkdir(dir string) Option { return func(o *options) { o.workdir = dir } }

// WithUser sets the image's default user.
func WithUser(u string) Option { return func(o *options) { o.user = u } }

// BusyboxImage returns an image whose first layer is the busybox root
// filesystem, with config Cmd ["sh"], Env PATH=..., a history entry per
// layer plus an empty-layer CMD entry, and the host's platform unless
// WithPlatform says otherwise.
func BusyboxImage(t testing.TB, opts ...Option) v1.Image {
	t.Helper()
	o := options{os: "linux", arch: runtime.GOARCH, cmd: []string{"sh"}}
	for _, opt := range opts {
		opt(&o)
	}
	var lopts []tarball.LayerOption
	if o.zstd {
		lopts = append(lopts, tarball.WithCompression(compression.ZStd), tarball.WithMediaType(types.OCILayerZStd))
	}
	base := LayerFromTar(t, Tar(t, BusyboxEntries(t)...), lopts...)
	layers := append([]v1.Layer{base}, o.layers...)
	history := append([]string{"ADD busybox-static rootfs / # buildkit"}, o.history...)
	return build(t, layers, history, o)
}

// Image assembles an image from layers (bottom first) with one history
// entry per layer (createdBy) and the config opts describe; unlike
// BusyboxImage it adds no base layer.
func Image(t testing.TB, layers []v1.Layer, createdBy []string, opts ...Option) v1.Image {
	t.Helper()
	o := options{os: "linux", arch: runtime.GOARCH, cmd: []string{"sh"}}
	for _, opt := range opts {
		opt(&o)
	}
	return build(t, append(layers, o.layers...), append(createdBy, o.history...), o)
}

func build(t testing.TB, layers []v1.Layer, createdBy []string, o options) v1.Image {
	t.Helper()
	var img v1.Image = empty.Image
	if o.oci {
		img = mutate.MediaType(img, types.OCIManifestSchema1)
		img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	}
	adds := make([]mutate.Addendum, len(layers))
	for i, l := range layers {
		by := ""
		if i < len(createdBy) {
			by = createdBy[i]
		}
		mt := types.DockerLayer
		if o.oci {
			mt = types.OCILayer
		}
		if m, err := l.MediaType(); err == nil && m == types.OCILayerZStd {
			mt = m
		}
		adds[i] = mutate.Addendum{
			Layer:     l,
			MediaType: mt,
			History:   v1.History{Created: v1.Time{Time: epoch.Add(time.Duration(i) * time.Minute)}, CreatedBy: by},
		}
	}
	img, err := mutate.Append(img, adds...)
	if err != nil {
		t.Fatalf("append layers: %v", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = o.os, o.arch, o.variant
	cf.Created = v1.Time{Time: epoch.Add(time.Hour)}
	cf.Config.Cmd = o.cmd
	cf.Config.Entrypoint = o.entrypoint
	cf.Config.Env = append([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, o.env...)
	cf.Config.Labels = o.labels
	cf.Config.WorkingDir = o.workdir
	cf.Config.User = o.user
	cf.History = append(cf.History, v1.History{
		Created:    v1.Time{Time: epoch.Add(time.Hour)},
		CreatedBy:  `CMD ["` + strings.Join(o.cmd, `" "`) + `"]`,
		EmptyLayer: true,
	})
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatalf("set config: %v", err)
	}
	return img
}

// Expect describes one path of a stacked image filesystem: its content
// if it is a regular file, its target if it is a symlink, or that it must
// not exist.
type Expect struct {
	Path    string
	Content string
	Link    string
	Dir     bool
	Absent  bool
}

// LayeredImage returns a four-layer image (busybox plus three layers that
// use whiteouts, an opaque directory, hardlinks and symlinks) and what
// its stacked filesystem must contain.
func LayeredImage(t testing.TB, opts ...Option) (v1.Image, []Expect) {
	t.Helper()
	l2 := Layer(t,
		Dir("data"), File("data/a.txt", "a1\n"), File("data/b.txt", "b1\n"),
		Dir("data/sub"), File("data/sub/c.txt", "c1\n"),
		Dir("opq"), File("opq/old1", "old1\n"), Dir("opq/olddir"), File("opq/olddir/x", "x\n"),
		Dir("hl"), File("hl/orig", "shared\n"), Hardlink("hl/link", "hl/orig"),
		Symlink("lnk", "data/a.txt"), Symlink("abs", "/data/sub/c.txt"),
		Dir("del"), File("del/gone.txt", "gone\n"), File("del/keep.txt", "keep\n"),
		Dir("deldir"), File("deldir/inner", "inner\n"),
	)
	l3 := Layer(t,
		Dir("data"), Whiteout("data/b.txt"), File("data/a.txt", "a2\n"),
		Dir("opq"), Opaque("opq"), File("opq/new", "new\n"),
		Dir("del"), Whiteout("del/gone.txt"),
		Whiteout("deldir"),
		Entry{Name: "bin/suid", Body: "#!/bin/sh\n", Mode: 0o4755},
	)
	l4 := Layer(t,
		Dir("deldir"), File("deldir/reborn", "reborn\n"),
		Dir("data"), Dir("data/sub"), Symlink("data/sub/up", "../a.txt"),
		Dir("hl"), File("hl/orig", "shared\n"), Hardlink("hl/link2", "hl/orig"),
	)
	opts = append([]Option{
		WithLayer(l2, "COPY data /"),
		WithLayer(l3, "RUN rm -rf /data/b.txt /del/gone.txt /deldir"),
		WithLayer(l4, "RUN mkdir /deldir"),
	}, opts...)
	img := BusyboxImage(t, opts...)
	return img, []Expect{
		{Path: "bin/busybox", Content: "\x7fELF"},
		{Path: "data/a.txt", Content: "a2\n"},
		{Path: "data/b.txt", Absent: true},
		{Path: "data/sub/c.txt", Content: "c1\n"},
		{Path: "data/sub/up", Link: "../a.txt"},
		{Path: "opq/new", Content: "new\n"},
		{Path: "opq/old1", Absent: true},
		{Path: "opq/olddir", Absent: true},
		{Path: "hl/orig", Content: "shared\n"},
		{Path: "hl/link", Content: "shared\n"},
		{Path: "hl/link2", Content: "shared\n"},
		{Path: "lnk", Link: "data/a.txt"},
		{Path: "abs", Link: "/data/sub/c.txt"},
		{Path: "del/gone.txt", Absent: true},
		{Path: "del/keep.txt", Content: "keep\n"},
		{Path: "deldir/inner", Absent: true},
		{Path: "deldir/reborn", Content: "reborn\n"},
		{Path: "bin/suid", Content: "#!/bin/sh\n"},
		{Path: "tmp", Dir: true},
	}
}

// Index returns an image index holding imgs, each with the platform from
// its config.
func Index(t testing.TB, imgs ...v1.Image) v1.ImageIndex {
	t.Helper()
	var adds []mutate.IndexAddendum
	for _, img := range imgs {
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatalf("config: %v", err)
		}
		mt, err := img.MediaType()
		if err != nil {
			t.Fatalf("media type: %v", err)
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
			MediaType: mt,
			Platform:  &v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant},
		}})
	}
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), adds...)
	return idx
}

// Registry starts an in-memory registry on 127.0.0.1 for the duration of
// the test and returns its host:port.
func Registry(t testing.TB) string {
	t.Helper()
	return RegistryWith(t, nil)
}

// RegistryWith starts a registry like Registry, with its handler wrapped by
// wrap (if not nil), so that a test can corrupt, truncate or refuse
// responses. It returns the host:port.
func RegistryWith(t testing.TB, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// BasicAuth wraps a registry's handler (RegistryWith) so that it serves
// only requests that carry user and password, and asks for them as
// registries do otherwise.
func BasicAuth(user, password string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if u, p, ok := r.BasicAuth(); !ok || u != user || p != password {
				w.Header().Set("WWW-Authenticate", `Basic realm="berth-test"`)
				http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
}

// Push uploads img to host as ref ("repo:tag" or "repo") and returns the
// manifest digest.
func Push(t testing.TB, host, ref string, img v1.Image) v1.Hash {
	t.Helper()
	r, err := name.ParseReference(host+"/"+ref, name.Insecure)
	if err != nil {
		t.Fatalf("parse %s: %v", ref, err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatalf("push %s: %v", r, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatalf("digest: %v", err)
	}
	return d
}

// PushIndex uploads idx to host as ref and returns the index digest.
func PushIndex(t testing.TB, host, ref string, idx v1.ImageIndex) v1.Hash {
	t.Helper()
	r, err := name.ParseReference(host+"/"+ref, name.Insecure)
	if err != nil {
		t.Fatalf("parse %s: %v", ref, err)
	}
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatalf("push %s: %v", r, err)
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatalf("digest: %v", err)
	}
	return d
}

// PushTwoPlatforms uploads to host, as ref, an index of two busybox
// images: native for this machine's architecture and foreign for other,
// another one; each is labelled arch=ARCH.
func PushTwoPlatforms(t testing.TB, host, ref string) (native, foreign v1.Image, other string) {
	t.Helper()
	other = "arm64"
	if runtime.GOARCH == "arm64" {
		other = "amd64"
	}
	native = BusyboxImage(t, WithLabel("arch", runtime.GOARCH))
	foreign = BusyboxImage(t, WithPlatform("linux", other, ""), WithLabel("arch", other))
	PushIndex(t, host, ref, Index(t, foreign, native))
	return native, foreign, other
}
