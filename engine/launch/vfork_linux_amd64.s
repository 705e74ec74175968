#include "textflag.h"

// func vfork(args *cloneArgs, size uintptr) (pid uintptr, errno uintptr)
//
// clone3 with CLONE_VM|CLONE_VFORK in args: the child runs on this
// stack until its execve while this thread waits. The return address
// is kept in R12 across the system call, as syscall.rawVforkSyscall
// does: the child's own calls overwrite its stack slot.
TEXT ·vfork(SB),NOSPLIT|NOFRAME,$0-32
	MOVQ	args+0(FP), DI
	MOVQ	size+8(FP), SI
	MOVQ	$0, DX
	MOVQ	$0, R10
	MOVQ	$0, R8
	MOVQ	$0, R9
	MOVQ	$435, AX	// SYS_clone3
	POPQ	R12
	SYSCALL
	PUSHQ	R12
	CMPQ	AX, $0xfffffffffffff001
	JLS	ok
	MOVQ	$-1, pid+16(FP)
	NEGQ	AX
	MOVQ	AX, errno+24(FP)
	RET
ok:
	MOVQ	AX, pid+16(FP)
	MOVQ	$0, errno+24(FP)
	RET
