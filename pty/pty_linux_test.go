package pty

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// openTestPTY allocates a PTY from /dev/ptmx and opens its slave; both are
// closed when the test ends.
func openTestPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, slavePath, err := OpenPTY("/dev/ptmx")
	if err != nil {
		t.Fatalf("OpenPTY(/dev/ptmx) error = %v", err)
	}
	t.Cleanup(func() { master.Close() })
	slave, err = os.OpenFile(slavePath, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open slave %s: %v", slavePath, err)
	}
	t.Cleanup(func() { slave.Close() })
	return master, slave
}

// roundTrip writes msg to w and checks that exactly msg can be read from r.
func roundTrip(t *testing.T, w io.Writer, r io.Reader, msg string) {
	t.Helper()
	if _, err := w.Write([]byte(msg)); err != nil {
		t.Fatalf("Write(%q) error = %v", msg, err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(r, got); err != nil {
		t.Fatalf("ReadFull() error = %v", err)
	}
	if string(got) != msg {
		t.Errorf("read %q, want %q", got, msg)
	}
}

func TestOpenPTY(t *testing.T) {
	master, slavePath, err := OpenPTY("/dev/ptmx")
	if err != nil {
		t.Fatalf("OpenPTY(/dev/ptmx) error = %v", err)
	}
	defer master.Close()
	if dir := filepath.Dir(slavePath); dir != "/dev/pts" {
		t.Errorf("OpenPTY slave path = %q, want it in /dev/pts", slavePath)
	}
	slave, err := os.OpenFile(slavePath, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open slave %s: %v", slavePath, err)
	}
	defer slave.Close()

	t.Run("slave to master", func(t *testing.T) {
		roundTrip(t, slave, master, "hello")
	})
	t.Run("master to slave", func(t *testing.T) {
		roundTrip(t, master, slave, "line\n")
	})
	t.Run("size set on master is seen by slave", func(t *testing.T) {
		want := Size{Rows: 40, Cols: 132}
		if err := SetFileSize(master, want); err != nil {
			t.Fatalf("SetFileSize() error = %v", err)
		}
		got, err := GetSize(int(slave.Fd()))
		if err != nil {
			t.Fatalf("GetSize(slave) error = %v", err)
		}
		if got != want {
			t.Errorf("GetSize(slave) = %+v, want %+v", got, want)
		}
		if got, err := GetFileSize(master); err != nil || got != want {
			t.Errorf("GetFileSize(master) = %+v, %v; want %+v", got, err, want)
		}
	})
}

func TestOpenPeer(t *testing.T) {
	master, slavePath, err := OpenPTY("/dev/ptmx")
	if err != nil {
		t.Fatalf("OpenPTY(/dev/ptmx) error = %v", err)
	}
	defer master.Close()
	peer, err := OpenPeer(master)
	if err != nil {
		t.Fatalf("OpenPeer() error = %v", err)
	}
	defer peer.Close()
	if want := "/dev/pts/" + filepath.Base(slavePath); peer.Name() != want {
		t.Errorf("OpenPeer().Name() = %q, want %q", peer.Name(), want)
	}
	var a, b unix.Stat_t
	if err := unix.Stat(slavePath, &a); err != nil {
		t.Fatal(err)
	}
	if err := unix.Fstat(int(peer.Fd()), &b); err != nil {
		t.Fatal(err)
	}
	if a.Rdev != b.Rdev {
		t.Errorf("peer device = %#x, want slave device %#x", b.Rdev, a.Rdev)
	}
	roundTrip(t, peer, master, "from peer")
	roundTrip(t, master, peer, "to peer\n")
}

// mountDevpts mounts a new devpts instance at dir, as the container init does
// for a container's /dev/pts, and unmounts it when the test ends.
func mountDevpts(t *testing.T, dir string) {
	t.Helper()
	err := unix.Mount("devpts", dir, "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620")
	if errors.Is(err, unix.EPERM) {
		t.Skip("mounting devpts needs root (CAP_SYS_ADMIN)")
	}
	if err != nil {
		t.Fatalf("mount devpts on %s: %v", dir, err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
}

func TestOpenPTYNewInstance(t *testing.T) {
	dev := t.TempDir()
	pts := filepath.Join(dev, "pts")
	if err := os.Mkdir(pts, 0o755); err != nil {
		t.Fatal(err)
	}
	mountDevpts(t, pts)
	// A container's /dev/ptmx is a symlink into its own devpts.
	if err := os.Symlink("pts/ptmx", filepath.Join(dev, "ptmx")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, ptmx, wantSlave string
	}{
		{"devpts ptmx", filepath.Join(pts, "ptmx"), filepath.Join(pts, "0")},
		// Each case closes its master, so the fresh instance reuses 0.
		{"symlink to devpts ptmx", filepath.Join(dev, "ptmx"), filepath.Join(pts, "0")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			master, slavePath, err := OpenPTY(tt.ptmx)
			if err != nil {
				t.Fatalf("OpenPTY(%q) error = %v", tt.ptmx, err)
			}
			defer master.Close()
			if slavePath != tt.wantSlave {
				t.Errorf("OpenPTY(%q) slave = %q, want %q", tt.ptmx, slavePath, tt.wantSlave)
			}
			slave, err := os.OpenFile(slavePath, os.O_RDWR|unix.O_NOCTTY, 0)
			if err != nil {
				t.Fatalf("open slave: %v", err)
			}
			defer slave.Close()
			roundTrip(t, slave, master, "inside")
			peer, err := OpenPeer(master)
			if err != nil {
				t.Fatalf("OpenPeer() error = %v", err)
			}
			defer peer.Close()
			if want := "/dev/pts/" + filepath.Base(tt.wantSlave); peer.Name() != want {
				t.Errorf("OpenPeer().Name() = %q, want %q", peer.Name(), want)
			}
			roundTrip(t, peer, master, "peer")
		})
	}
	// Closing the master removes the slave from the instance.
	if _, err := os.Stat(filepath.Join(pts, "0")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("slave 0 still exists after its master closed: %v", err)
	}
}

func TestOpenPTYRejects(t *testing.T) {
	regular := filepath.Join(t.TempDir(), "ptmx")
	if err := os.WriteFile(regular, []byte("not a device"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		want error
	}{
		{"regular file", regular, ErrNotPTMX},
		{"other device", "/dev/null", ErrNotPTMX},
		{"missing", filepath.Join(t.TempDir(), "nope"), fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _, err := OpenPTY(tt.path)
			if !errors.Is(err, tt.want) {
				if m != nil {
					m.Close()
				}
				t.Errorf("OpenPTY(%q) error = %v, want %v", tt.path, err, tt.want)
			}
		})
	}
}

func TestTerminalMode(t *testing.T) {
	_, slave := openTestPTY(t)
	fd := int(slave.Fd())
	if !IsTerminal(fd) {
		t.Fatal("IsTerminal(slave) = false, want true")
	}
	f, err := os.CreateTemp(t.TempDir(), "plain")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(int(f.Fd())) {
		t.Error("IsTerminal(regular file) = true, want false")
	}

	echo := func() bool {
		tio, err := unix.IoctlGetTermios(fd, unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		return tio.Lflag&unix.ECHO != 0
	}
	if !echo() {
		t.Fatal("new PTY has ECHO off")
	}
	restore, err := MakeRaw(fd)
	if err != nil {
		t.Fatalf("MakeRaw() error = %v", err)
	}
	if echo() {
		t.Error("ECHO still on after MakeRaw")
	}
	if err := restore(); err != nil {
		t.Fatalf("restore() error = %v", err)
	}
	if !echo() {
		t.Error("ECHO off after restore")
	}
	if _, err := MakeRaw(int(f.Fd())); err == nil {
		t.Error("MakeRaw(regular file) succeeded, want error")
	}
}

func TestNotifyResize(t *testing.T) {
	master, slave := openTestPTY(t)
	first := Size{Rows: 24, Cols: 80}
	if err := SetFileSize(master, first); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	ch := NotifyResize(ctx, int(slave.Fd()))
	if got := <-ch; got != first {
		t.Errorf("first size = %+v, want %+v", got, first)
	}
	next := Size{Rows: 50, Cols: 200}
	if err := SetFileSize(master, next); err != nil {
		t.Fatal(err)
	}
	// The slave is not our controlling terminal, so raise SIGWINCH as the
	// kernel would for the foreground process group.
	if err := unix.Kill(os.Getpid(), unix.SIGWINCH); err != nil {
		t.Fatal(err)
	}
	if got := <-ch; got != next {
		t.Errorf("size after SIGWINCH = %+v, want %+v", got, next)
	}
	cancel()
	for range ch {
	}
}

func TestPollableInput(t *testing.T) {
	master, slave := openTestPTY(t)
	fd := int(slave.Fd())
	restoreRaw, err := MakeRaw(fd)
	if err != nil {
		t.Fatal(err)
	}
	defer restoreRaw()
	in, restore, err := PollableInput(fd)
	if err != nil {
		t.Fatalf("PollableInput() error = %v", err)
	}
	d := NewDetachReader(in, []byte{ctrlP, ctrlQ})
	if _, err := master.Write([]byte("k")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8)
	if n, err := d.Read(buf); err != nil || string(buf[:n]) != "k" {
		t.Fatalf("Read() = %q, %v; want %q", buf[:n], err, "k")
	}
	// The pump is now blocked reading the terminal. Close must interrupt
	// it and wait for it, so the next key goes to the next reader.
	d.Close()
	if err := restore(); err != nil {
		t.Fatalf("restore() error = %v", err)
	}
	if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); err != nil || fl&unix.O_NONBLOCK != 0 {
		t.Errorf("fd flags after restore = %#x, %v; want blocking", fl, err)
	}
	if _, err := master.Write([]byte("z")); err != nil {
		t.Fatal(err)
	}
	n, err := slave.Read(buf)
	if err != nil || !bytes.Equal(buf[:n], []byte("z")) {
		t.Errorf("next reader got %q, %v; want %q", buf[:n], err, "z")
	}
}

func TestSendRecvFd(t *testing.T) {
	a, b := socketpair(t)
	master, slave := openTestPTY(t)

	t.Run("pty master", func(t *testing.T) {
		if err := SendFd(a, master); err != nil {
			t.Fatalf("SendFd() error = %v", err)
		}
		got, err := RecvFd(b)
		if err != nil {
			t.Fatalf("RecvFd() error = %v", err)
		}
		defer got.Close()
		if got.Name() != master.Name() {
			t.Errorf("RecvFd().Name() = %q, want %q", got.Name(), master.Name())
		}
		roundTrip(t, slave, got, "via passed fd")
	})
	t.Run("regular file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "data")
		if err := os.WriteFile(path, []byte("content"), 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := SendFd(a, f); err != nil {
			t.Fatalf("SendFd() error = %v", err)
		}
		f.Close() // the receiver's descriptor stays valid
		got, err := RecvFd(b)
		if err != nil {
			t.Fatalf("RecvFd() error = %v", err)
		}
		defer got.Close()
		data, err := io.ReadAll(got)
		if err != nil || string(data) != "content" {
			t.Errorf("read passed file = %q, %v; want %q", data, err, "content")
		}
		flags, err := unix.FcntlInt(got.Fd(), unix.F_GETFD, 0)
		if err != nil || flags&unix.FD_CLOEXEC == 0 {
			t.Errorf("passed fd flags = %#x, %v; want FD_CLOEXEC", flags, err)
		}
	})
	t.Run("message without fd", func(t *testing.T) {
		if _, err := a.Write([]byte("plain")); err != nil {
			t.Fatal(err)
		}
		if f, err := RecvFd(b); !errors.Is(err, ErrNoFd) {
			if f != nil {
				f.Close()
			}
			t.Errorf("RecvFd() error = %v, want ErrNoFd", err)
		}
	})
}

// socketpair returns two connected unix sockets, closed when the test ends.
func socketpair(t *testing.T) (*net.UnixConn, *net.UnixConn) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	conns := make([]*net.UnixConn, 2)
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "socketpair")
		c, err := net.FileConn(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		conns[i] = c.(*net.UnixConn)
	}
	return conns[0], conns[1]
}
