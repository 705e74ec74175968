package engine

import "unsafe"

// unsafeSlice views the memory at addr as a byte slice, for madvise.
func unsafeSlice(addr uintptr, n int) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(addr)), n)
}
