package engine

import (
	"bufio"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// trimMemory gives back what the monitor touched only to start: the heap
// it no longer uses, and the code pages of the berth binary (the package
// initializers of everything berth links, which a monitor never runs
// again) that its start mapped in. Dropping the pages of a private
// read-only code mapping only unmaps them; a page needed later faults
// back in from the page cache.
//
// From then on the monitor only copies output, so its heap is kept small:
// collections run at 20% growth, and more often as its memory nears 8 MB.
// (Set before start, a tight limit makes the collector run through the
// whole start-up and slows it tenfold.)
func trimMemory() {
	debug.SetGCPercent(20)
	debug.SetMemoryLimit(8 << 20)
	debug.FreeOSMemory()
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// 00400000-00452000 r-xp 00000000 08:02 173521 /usr/bin/x
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || !strings.HasPrefix(fields[5], "/") {
			continue
		}
		// Only code: read-only data may hold relocations the dynamic
		// loader wrote before protecting it (RELRO), which dropping the
		// pages would undo.
		if fields[1] != "r-xp" {
			continue
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_DONTNEED)
	}
}
