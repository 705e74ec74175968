#include "textflag.h"

// func vfork(args *cloneArgs, size uintptr) (pid uintptr, errno uintptr)
//
// clone3 with CLONE_VM|CLONE_VFORK in args: the child runs on this
// stack until its execve while this thread waits. The return address
// stays in the link register, which the system call preserves.
TEXT ·vfork(SB),NOSPLIT,$0-32
	MOVD	args+0(FP), R0
	MOVD	size+8(FP), R1
	MOVD	$0, R2
	MOVD	$0, R3
	MOVD	$0, R4
	MOVD	$0, R5
	MOVD	$435, R8	// SYS_clone3
	SVC
	CMN	$4095, R0
	BCC	ok
	MOVD	$-1, R4
	MOVD	R4, pid+16(FP)
	NEG	R0, R0
	MOVD	R0, errno+24(FP)
	RET
ok:
	MOVD	R0, pid+16(FP)
	MOVD	ZR, errno+24(FP)
	RET
