package spawn

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/berth-dev/berth/engine/spawn/prefork"
)

// sealedExeDir holds the read-only copies of berth binaries that container
// helpers run from. It is outside any store, so that stores in temporary
// directories can be removed while copies stay mounted.
const sealedExeDir = prefork.SealedDir

// Sealed is an open, read-only copy of the berth binary. Holding it (a
// shared flock on the copy) keeps it from being collected.
type Sealed struct {
	Path string
	f    *os.File
}

// Close releases the copy.
func (s *Sealed) Close() error { return s.f.Close() }

// Seal returns the sealed copy of the berth binary self that container
// monitors (whose forks become containers' processes) must run from,
// instead of the host binary: a process inside the container can reach
// the binary of such a helper through /proc/PID/exe and, if it were the
// host binary, overwrite it (CVE-2019-5736).
//
// The copy is made once per binary (keyed by device, inode, size and
// modification time) and bind-mounted read-only onto itself, so writes
// through /proc/PID/exe fail with EROFS whatever the writer's
// capabilities. That costs one fstatfs per start once the copy exists,
// where a sealed memfd would cost a copy of the whole binary per start.
// The copy is checked to still be mounted read-only (after a reboot it is
// not) and re-sealed if needed. Copies of other binaries that no process
// holds are collected when a new copy is made.
func Seal(self string) (*Sealed, error) {
	fi, err := os.Stat(self)
	if err != nil {
		return nil, fmt.Errorf("seal berth binary: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, fmt.Errorf("seal berth binary: no stat data")
	}
	key := prefork.SealedKey(prefork.FileID{Dev: st.Dev, Ino: st.Ino, Size: st.Size, ModNs: st.Mtim.Sec*1e9 + st.Mtim.Nsec})
	path := sealedExeDir + "/" + key
	if s, err := openSealed(path); err == nil {
		return s, nil
	}
	if err := os.MkdirAll(sealedExeDir, 0o700); err != nil {
		return nil, fmt.Errorf("seal berth binary: %w", err)
	}
	lock, err := os.OpenFile(sealedExeDir+"/.lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("seal berth binary: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return nil, fmt.Errorf("seal berth binary: %w", err)
	}
	if s, err := openSealed(path); err == nil {
		return s, nil
	}
	collectSealed(key)
	if err := makeSealed(self, path); err != nil {
		return nil, fmt.Errorf("seal berth binary: %w", err)
	}
	return openSealed(path)
}

// openSealed opens the copy at path with a shared lock and checks that it
// is on a read-only mount.
func openSealed(path string) (*Sealed, error) {
	fd, err := prefork.OpenSealed(path)
	if errors.Is(err, prefork.ErrNotSealed) {
		return nil, fmt.Errorf("%s is not sealed", path)
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: sysErr(err)}
	}
	return &Sealed{Path: path, f: os.NewFile(uintptr(fd), path)}, nil
}

// makeSealed copies src to path, and to its lean twin, and bind-mounts
// both read-only onto themselves. Copies left unsealed (after a reboot)
// are sealed again.
//
// The copy is written in writes of hugeChunk at offsets aligned to it.
// Each fills one large folio of its page cache, which the kernel maps
// whole at the first fault on it: a monitor's start then faults on the
// binary's text and read-only data some 25 times instead of some 170.
// The twin is written in writes of leanChunk: a helper that has started
// maps it in place of the copy (package trim), so that each page it needs
// later brings back 64 KiB, not 2 MiB.
func makeSealed(src, path string) error {
	lean := path + prefork.LeanSuffix
	for _, c := range []struct {
		path  string
		chunk int
	}{{lean, leanChunk}, {path, hugeChunk}} {
		if _, err := os.Stat(c.path); err == nil {
			continue
		}
		if err := copyFile(src, c.path, c.chunk); err != nil {
			return err
		}
	}
	for _, p := range []string{lean, path} {
		if sealed(p) {
			continue
		}
		if err := syscall.Mount(p, p, "", syscall.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind %s: %w", p, err)
		}
		if err := syscall.Mount("", p, "", syscall.MS_BIND|syscall.MS_REMOUNT|syscall.MS_RDONLY|syscall.MS_NOSUID|syscall.MS_NODEV, ""); err != nil {
			syscall.Unmount(p, syscall.MNT_DETACH)
			return fmt.Errorf("remount %s read-only: %w", p, err)
		}
	}
	return nil
}

// hugeChunk is the size of a PMD mapping on amd64 and arm64 with 4 KiB
// pages, the largest page cache folio a filesystem like ext4 makes;
// leanChunk is the span the kernel maps around a fault by default.
const (
	hugeChunk = 2 << 20
	leanChunk = 64 << 10
)

// copyFile copies src to path (through path.tmp) in writes of chunk bytes.
func copyFile(src, path string, chunk int) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := path + ".tmp"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o500)
	if err != nil {
		return err
	}
	buf := make([]byte, chunk)
	for err == nil {
		var n int
		n, err = io.ReadFull(in, buf)
		if n > 0 {
			if _, werr := out.Write(buf[:n]); werr != nil {
				err = werr
			}
		}
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = nil
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// collectSealed removes the copies other than keep that no process holds.
// The caller holds the directory's lock.
func collectSealed(keep string) {
	ents, err := os.ReadDir(sealedExeDir)
	if err != nil {
		return
	}
	for _, ent := range ents {
		name := ent.Name()
		if name == keep || !strings.HasPrefix(name, "berth-") || strings.HasSuffix(name, ".tmp") {
			continue
		}
		p := sealedExeDir + "/" + name
		if copyOf, ok := strings.CutSuffix(name, prefork.LeanSuffix); ok {
			// A twin goes with its copy, or alone if its copy was
			// never made.
			if copyOf != keep {
				if _, err := os.Stat(sealedExeDir + "/" + copyOf); errors.Is(err, os.ErrNotExist) {
					unmountAll(p)
					os.Remove(p)
				}
			}
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
			f.Close()
			continue
		}
		f.Close()
		unmountAll(p)
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			continue
		}
		unmountAll(p + prefork.LeanSuffix)
		os.Remove(p + prefork.LeanSuffix)
	}
}

// sealed reports whether the file at p is on a read-only mount.
func sealed(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	return prefork.IsSealed(int(f.Fd()))
}

// unmountAll unmounts every mount stacked on p.
func unmountAll(p string) {
	for syscall.Unmount(p, syscall.MNT_DETACH) == nil {
	}
}

// Hold takes over, in a monitor, the sealed copy of berth it runs from:
// Fork passes it open on SealedFd with its shared flock, which thus
// never lapses between the starter's hold and the monitor's (a process
// sealing another binary meanwhile collects every copy nobody holds). It
// checks that the copy is still sealed and is this process's binary.
func Hold() (*Sealed, error) {
	f := os.NewFile(SealedFd, "sealed")
	var exe, held syscall.Stat_t
	if err := syscall.Fstat(SealedFd, &held); err != nil {
		return nil, fmt.Errorf("sealed berth binary: %w", err)
	}
	if err := syscall.Stat("/proc/self/exe", &exe); err != nil || exe.Dev != held.Dev || exe.Ino != held.Ino {
		f.Close()
		return nil, errors.New("sealed berth binary: descriptor 6 is not this process's binary")
	}
	if !prefork.IsSealed(SealedFd) {
		f.Close()
		return nil, errors.New("sealed berth binary: the copy is not sealed")
	}
	return &Sealed{Path: "/proc/self/exe", f: f}, nil
}
