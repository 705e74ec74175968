// Package exitfast ends a process without its parent waiting for the
// teardown of its memory.
//
// A process's parent learns of its exit only once the kernel has torn its
// address space down: for berth's CLI, most of a millisecond of unmapping
// the binary's pages and its heap, on the path of every command. Exit
// first clones an heir that shares the address space (CLONE_VM), so that
// the exit drops one of two references to it and the parent is told at
// once; the heir, killed as its parent dies (PR_SET_PDEATHSIG), then does
// the teardown. The heir runs only raw system calls, on a stack of its
// own, with every signal blocked and no descriptor open.
package exitfast

import (
	"os"
	"unsafe"
)

// heirStack is the heir's stack; it uses a few bytes of its top.
var heirStack [1024]byte

// heir clones the heir of this process, whose PID is ppid, with its
// stack pointer at sp, and returns its PID, or a negative errno.
func heir(sp uintptr, ppid int) int

// Exit ends the process with code, as os.Exit does, after cloning its
// heir.
func Exit(code int) {
	startHeir()
	os.Exit(code)
}

// startHeir clones the heir and returns its PID, or a negative errno.
func startHeir() int {
	// The top of the stack, 16-byte aligned as the ABI wants.
	sp := (uintptr(unsafe.Pointer(&heirStack[0])) + uintptr(len(heirStack))) &^ 15
	return heir(sp, os.Getpid())
}
