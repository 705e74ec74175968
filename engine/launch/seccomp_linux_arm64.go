package launch

import (
	"sync"

	"golang.org/x/sys/unix"
)

// sysArches are the calling conventions of arm64: its own only (32-bit
// ARM programs are refused).
var sysArches = sync.OnceValue(func() []sysArch {
	return []sysArch{{unix.AUDIT_ARCH_AARCH64, nativeNums()}}
})

// archNums are the calls only arm64 has of those the filter names: none.
var archNums = map[string]uint32{}
