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
	var start, end uint64
	clean := false
	drop := func() {
		if clean && end > start {
			unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_DONTNEED)
		}
		clean = false
	}
	for line := range strings.Lines(string(b)) {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if k, v, ok := strings.Cut(fields[0], "-"); ok && !strings.HasSuffix(fields[0], ":") {
			// A mapping's header: 00400000-00452000 r-xp 00000000 08:02 173521 /usr/bin/x
			drop()
			lo, err1 := strconv.ParseUint(k, 16, 64)
			hi, err2 := strconv.ParseUint(v, 16, 64)
			if err1 != nil || err2 != nil || len(fields) < 6 || !strings.HasPrefix(fields[5], "/") {
				continue
			}
			start, end = lo, hi
			clean = len(fields[1]) == 4 && fields[1][1] == '-' && fields[1][3] == 'p'
			continue
		}
		// Anonymous counts the pages of a private file mapping that were
		// copied on write.
		if fields[0] == "Anonymous:" && (len(fields) < 2 || fields[1] != "0") {
			clean = false
		}
	}
	drop()
}
