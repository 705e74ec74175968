// Package trim shrinks the memory of berth's long-lived helper processes
// (a container's monitor, the init of a container run with --init) once
// they have started.
package trim

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/engine/spawn/prefork"
)

// Memory gives back what the process touched only to start: the heap
// it no longer uses, and the pages of the berth binary (the code and
// read-only data of the package initializers of everything berth links,
// the runtime's tables the start-up read) that its start mapped in. Only
// read-only file mappings none of whose pages the process modified are
// dropped: dropping the pages of a clean private mapping only unmaps them,
// and a page needed later faults back in from the page cache. A read-only
// mapping with modified pages (data the dynamic loader relocated before
// protecting it, RELRO) keeps them: dropping them would undo the
// relocations.
//
// A process running from a sealed copy of berth whose lean twin it
// reaches (a monitor) maps the twin in place of the copy instead: the
// copy is laid out in 2 MiB folios, which the kernel maps whole at a
// fault, quick to start from but 2 MiB of RSS for each page needed later.
// The twin holds the same bytes in 64 KiB folios.
//
// From then on a helper does little (a monitor copies output, an init
// waits), so its heap is kept small: collections run at 20% growth, and
// more often as its memory nears 8 MB. (Set before start, a tight limit
// makes the collector run through the whole start-up and slows it
// tenfold.)
func Memory() {
	debug.SetGCPercent(20)
	debug.SetMemoryLimit(8 << 20)
	debug.FreeOSMemory()
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return
	}
	var lean *os.File
	exe, fd, err := prefork.OpenLean()
	if err == nil {
		lean = os.NewFile(uintptr(fd), exe+prefork.LeanSuffix)
		defer lean.Close()
	}
	var m mapping
	drop := func() {
		if m.clean && m.end > m.start {
			if lean == nil || m.path != exe || remap(m, lean) != nil {
				unix.Syscall(unix.SYS_MADVISE, uintptr(m.start), uintptr(m.end-m.start), unix.MADV_DONTNEED)
			}
		}
		m = mapping{}
	}
	for line := range strings.Lines(string(b)) {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if k, v, ok := strings.Cut(fields[0], "-"); ok && !strings.HasSuffix(fields[0], ":") {
			// A mapping's header: 00400000-00452000 r-xp 00000000 08:02 173521 /usr/bin/x
			drop()
			if len(fields) < 6 || !strings.HasPrefix(fields[5], "/") {
				continue
			}
			lo, err1 := strconv.ParseUint(k, 16, 64)
			hi, err2 := strconv.ParseUint(v, 16, 64)
			off, err3 := strconv.ParseUint(fields[2], 16, 64)
			if err1 != nil || err2 != nil || err3 != nil {
				continue
			}
			m = mapping{start: lo, end: hi, off: off, perms: fields[1], path: fields[5]}
			m.clean = len(m.perms) == 4 && m.perms[1] == '-' && m.perms[3] == 'p'
			continue
		}
		// Anonymous counts the pages of a private file mapping that were
		// copied on write.
		if fields[0] == "Anonymous:" && (len(fields) < 2 || fields[1] != "0") {
			m.clean = false
		}
	}
	drop()
}

// mapping is a file mapping as /proc/self/smaps lists it.
type mapping struct {
	start, end, off uint64
	perms, path     string
	// clean says the mapping is private, read-only and unmodified.
	clean bool
}

// remap maps the same range of f, which holds the same bytes as the file
// m maps, in place of m. The new mapping has none of m's pages: a thread
// running code in m meanwhile faults and reads the same bytes from f.
func remap(m mapping, f *os.File) error {
	prot := unix.PROT_READ
	if m.perms[2] == 'x' {
		prot |= unix.PROT_EXEC
	}
	_, _, errno := unix.Syscall6(unix.SYS_MMAP, uintptr(m.start), uintptr(m.end-m.start), uintptr(prot),
		unix.MAP_PRIVATE|unix.MAP_FIXED, f.Fd(), uintptr(m.off))
	if errno != 0 {
		return errno
	}
	return nil
}
