package cmd

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCopy(t *testing.T) {
	b := buildBerth(t)
	host := t.TempDir()
	write := func(name, body string) string {
		t.Helper()
		p := filepath.Join(host, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o640); err != nil {
			t.Fatal(err)
		}
		return p
	}
	read := func(p string) string {
		t.Helper()
		body, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(body)
	}
	id := strings.TrimSpace(b.ok("run", "-d", "--name", "cpbox", "bb", "sleep", "300"))
	t.Cleanup(func() { b.run("", "rm", "-f", id) })
	b.ok("exec", "cpbox", "sh", "-c", "mkdir -p /srv/tree/sub && echo a > /srv/tree/a && echo b > /srv/tree/sub/b && ln -s /etc/passwd /srv/link && ln -s ../../../../.. /srv/up")

	t.Run("out of a running container", func(t *testing.T) {
		dst := t.TempDir()
		b.ok("cp", "cpbox:/srv/tree", dst)
		if a, sub := read(filepath.Join(dst, "tree", "a")), read(filepath.Join(dst, "tree", "sub", "b")); a != "a\n" || sub != "b\n" {
			t.Errorf("copied tree holds %q and %q", a, sub)
		}
		b.ok("cp", "cpbox:/srv/tree/.", filepath.Join(dst, "contents"))
		if got := read(filepath.Join(dst, "contents", "a")); got != "a\n" {
			t.Errorf("copy of a directory's contents: a = %q", got)
		}
		b.ok("cp", "cpbox:/srv/link", dst)
		if target, err := os.Readlink(filepath.Join(dst, "link")); err != nil || target != "/etc/passwd" {
			t.Errorf("a symbolic link copied as %q, %v; want the link itself", target, err)
		}
		b.ok("cp", "-L", "cpbox:/srv/link", filepath.Join(dst, "passwd"))
		// Symbolic links resolve inside the container, never to the host's
		// files: /srv/up/etc/passwd is the container's /etc/passwd.
		b.ok("cp", "cpbox:/srv/up/etc/passwd", filepath.Join(dst, "up-passwd"))
		image := b.ok("exec", "cpbox", "cat", "/etc/passwd")
		for _, name := range []string{"passwd", "up-passwd"} {
			if got := read(filepath.Join(dst, name)); got != image {
				t.Errorf("%s = %q, want the container's /etc/passwd %q", name, got, image)
			}
		}
	})

	t.Run("into a running container", func(t *testing.T) {
		src := write("in/file.txt", "from the host\n")
		if err := os.Chown(src, 1000, 1000); err != nil {
			t.Fatal(err)
		}
		b.ok("cp", src, "cpbox:/srv/")
		b.ok("cp", src, "cpbox:/srv/renamed.txt")
		b.ok("cp", "-a", src, "cpbox:/srv/kept.txt")
		b.ok("cp", filepath.Dir(src), "cpbox:/srv/newdir")
		out := b.ok("exec", "cpbox", "sh", "-c", "cat /srv/file.txt /srv/renamed.txt /srv/newdir/file.txt; stat -c '%u:%g %a' /srv/file.txt /srv/kept.txt")
		want := "from the host\nfrom the host\nfrom the host\n0:0 640\n1000:1000 640\n"
		if out != want {
			t.Errorf("container holds:\n%s\nwant:\n%s", out, want)
		}
	})

	t.Run("tar streams", func(t *testing.T) {
		code, out, errs := b.run("", "cp", "cpbox:/srv/tree/a", "-")
		if code != 0 {
			t.Fatalf("cp to stdout: %d %s", code, errs)
		}
		tr := tar.NewReader(strings.NewReader(out))
		hdr, err := tr.Next()
		if err != nil || hdr.Name != "a" {
			t.Fatalf("tar on stdout starts with %v, %v; want entry a", hdr, err)
		}
		var in bytes.Buffer
		tw := tar.NewWriter(&in)
		tw.WriteHeader(&tar.Header{Name: "streamed", Mode: 0o644, Size: 3, Typeflag: tar.TypeReg})
		io.WriteString(tw, "in\n")
		tw.Close()
		if code, _, errs := b.run(in.String(), "cp", "-", "cpbox:/srv"); code != 0 {
			t.Fatalf("cp from stdin: %d %s", code, errs)
		}
		if got := b.ok("exec", "cpbox", "cat", "/srv/streamed"); got != "in\n" {
			t.Errorf("streamed file = %q", got)
		}
	})

	t.Run("a stopped container and its volume", func(t *testing.T) {
		t.Cleanup(func() { b.run("", "rm", "-f", "cpstopped"); b.run("", "volume", "rm", "cpvol") })
		b.ok("create", "--name", "cpstopped", "-v", "cpvol:/data", "bb", "cat", "/data/v", "/root/r")
		b.ok("cp", write("v", "volume\n"), "cpstopped:/data/")
		b.ok("cp", write("r", "rootfs\n"), "cpstopped:/root/")
		if out := b.ok("start", "-a", "cpstopped"); out != "volume\nrootfs\n" {
			t.Errorf("the container read %q, want what was copied in while it was stopped", out)
		}
		dst := t.TempDir()
		b.ok("cp", "cpstopped:/data/v", dst)
		if got := read(filepath.Join(dst, "v")); got != "volume\n" {
			t.Errorf("copied out of a stopped container's volume: %q", got)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		dst := t.TempDir()
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"cpbox:/no/such", dst}, "Could not find the file /no/such in container"},
			{[]string{"nosuch:/etc", dst}, "no such container"},
			{[]string{"cpbox:/srv/tree", write("afile", "x")}, "cannot copy a directory to a file"},
			{[]string{write("f2", "x"), "cpbox:/no/dir/"}, "destination directory /no/dir/ must exist"},
			{[]string{write("f3", "x"), "cpbox:/no/dir/file"}, "Could not find the file /no/dir in container"},
			{[]string{"local", "other"}, "must specify at least one container source"},
			{[]string{"cpbox:/a", "cpbox:/b"}, "copying between containers is not supported"},
		} {
			code, _, errs := b.run("", append([]string{"cp"}, tc.args...)...)
			if code != 1 || !strings.Contains(errs, tc.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
				t.Errorf("cp %v = %d %q, want 1 and one line with %q", tc.args, code, errs, tc.want)
			}
		}
	})
}
