package trim

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A mapping replaced by its twin keeps its bytes and is then a mapping of
// the twin, with none of its pages mapped until they are read again.
func TestRemap(t *testing.T) {
	dir := t.TempDir()
	data := bytes.Repeat([]byte("berth twin "), 64<<10)
	data = data[:len(data)/4096*4096]
	a, b := filepath.Join(dir, "copy"), filepath.Join(dir, "twin")
	for _, p := range []string{a, b} {
		if err := os.WriteFile(p, data, 0o500); err != nil {
			t.Fatal(err)
		}
	}
	fa, err := os.Open(a)
	if err != nil {
		t.Fatal(err)
	}
	defer fa.Close()
	mem, err := unix.Mmap(int(fa.Fd()), 0, len(data), unix.PROT_READ, unix.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(mem)
	if !bytes.Equal(mem, data) {
		t.Fatal("mapping differs from the file")
	}
	fb, err := os.Open(b)
	if err != nil {
		t.Fatal(err)
	}
	defer fb.Close()
	start := uint64(uintptr(unsafe.Pointer(&mem[0])))
	m := mapping{start: start, end: start + uint64(len(mem)), perms: "r--p", path: a, clean: true}
	if err := remap(m, fb); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mem, data) {
		t.Error("the remapped range differs from the file")
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(maps)) {
		if strings.HasPrefix(line, fmt.Sprintf("%x-", start)) {
			if !strings.HasSuffix(strings.TrimSpace(line), " "+b) {
				t.Errorf("after the remap the range maps %q, want the twin %s", strings.TrimSpace(line), b)
			}
			return
		}
	}
	t.Errorf("no mapping at %x in /proc/self/maps", start)
}
