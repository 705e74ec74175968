#include "textflag.h"

// func heir(sp uintptr, ppid int) int
//
// Blocks every signal of the calling thread, clones with CLONE_VM (no exit
// signal) onto sp, and restores the thread's signals. The child, which
// starts with every signal blocked, closes every descriptor, asks for
// SIGKILL when its parent dies, and waits for it; if the parent is gone
// already, it exits.
TEXT ·heir(SB),NOSPLIT,$16-24
	// rt_sigprocmask(SIG_SETMASK, &all, &old, 8)
	MOVQ	$-1, all-8(SP)
	MOVQ	$2, DI
	LEAQ	all-8(SP), SI
	LEAQ	old-16(SP), DX
	MOVQ	$8, R10
	MOVQ	$14, AX
	SYSCALL
	MOVQ	ppid+8(FP), R12
	// clone(CLONE_VM, sp, 0, 0, 0)
	MOVQ	$0x100, DI
	MOVQ	sp+0(FP), SI
	MOVQ	$0, DX
	MOVQ	$0, R10
	MOVQ	$0, R8
	MOVQ	$56, AX
	SYSCALL
	CMPQ	AX, $0
	JEQ	child
	MOVQ	AX, ret+16(FP)
	// rt_sigprocmask(SIG_SETMASK, &old, NULL, 8)
	MOVQ	$2, DI
	LEAQ	old-16(SP), SI
	MOVQ	$0, DX
	MOVQ	$8, R10
	MOVQ	$14, AX
	SYSCALL
	RET

child:
	// close_range(0, ~0, 0)
	MOVQ	$0, DI
	MOVL	$0xffffffff, SI
	MOVQ	$0, DX
	MOVQ	$436, AX
	SYSCALL
	// prctl(PR_SET_PDEATHSIG, SIGKILL)
	MOVQ	$1, DI
	MOVQ	$9, SI
	MOVQ	$157, AX
	SYSCALL
	// getppid()
	MOVQ	$110, AX
	SYSCALL
	CMPQ	AX, R12
	JNE	gone
wait:
	// pause()
	MOVQ	$34, AX
	SYSCALL
	JMP	wait
gone:
	// exit(0)
	MOVQ	$0, DI
	MOVQ	$60, AX
	SYSCALL
	JMP	gone
