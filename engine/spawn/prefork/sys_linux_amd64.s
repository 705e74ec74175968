#include "textflag.h"

// func rawSyscall6(trap, a1, a2, a3, a4, a5, a6 uintptr) (r1, errno uintptr)
TEXT ·rawSyscall6(SB),NOSPLIT,$0-72
	MOVQ	trap+0(FP), AX
	MOVQ	a1+8(FP), DI
	MOVQ	a2+16(FP), SI
	MOVQ	a3+24(FP), DX
	MOVQ	a4+32(FP), R10
	MOVQ	a5+40(FP), R8
	MOVQ	a6+48(FP), R9
	SYSCALL
	CMPQ	AX, $0xfffffffffffff001
	JLS	ok
	MOVQ	$-1, r1+56(FP)
	NEGQ	AX
	MOVQ	AX, errno+64(FP)
	RET
ok:
	MOVQ	AX, r1+56(FP)
	MOVQ	$0, errno+64(FP)
	RET

// func rawForkExec(a *forkArgs) (r uintptr)
//
// Blocks every signal of the calling thread and forks as vfork does
// (CLONE_VM|CLONE_VFORK): this thread waits while the child, on this
// stack below its frame and with no call or push, moves the descriptors
// into place, starts a session if asked, resets every signal's action,
// unblocks the signals and execs. An exec that fails leaves its errno in
// a.err and exits with 127. Then the thread's signals are restored, and
// clone's result returned as it is (a PID, or -errno).
TEXT ·rawForkExec(SB),NOSPLIT,$48-16
	MOVQ	a+0(FP), R12
	// rt_sigprocmask(SIG_SETMASK, &all, &old, 8)
	MOVQ	$-1, all-16(SP)
	MOVQ	$2, DI
	LEAQ	all-16(SP), SI
	LEAQ	old-8(SP), DX
	MOVQ	$8, R10
	MOVQ	$14, AX
	SYSCALL
	// clone(CLONE_VM|CLONE_VFORK|SIGCHLD, 0, 0, 0, 0)
	MOVQ	$0x4111, DI
	MOVQ	$0, SI
	MOVQ	$0, DX
	MOVQ	$0, R10
	MOVQ	$0, R8
	MOVQ	$56, AX
	SYSCALL
	CMPQ	AX, $0
	JEQ	child
	MOVQ	AX, R13
	// rt_sigprocmask(SIG_SETMASK, &old, NULL, 8)
	MOVQ	$2, DI
	LEAQ	old-8(SP), SI
	MOVQ	$0, DX
	MOVQ	$8, R10
	MOVQ	$14, AX
	SYSCALL
	MOVQ	R13, r+8(FP)
	RET

child:
	// Descriptor i becomes a.fds[i] (dup2), or is closed if that is -1;
	// the sources are all above 9, out of the way.
	MOVQ	$0, R14
fds:
	MOVQ	24(R12)(R14*8), DI
	CMPQ	DI, $-1
	JEQ	closefd
	MOVQ	R14, SI
	MOVQ	$33, AX
	SYSCALL
	JMP	nextfd
closefd:
	MOVQ	R14, DI
	MOVQ	$3, AX
	SYSCALL
nextfd:
	INCQ	R14
	CMPQ	R14, $7
	JLT	fds
	// setsid() if a.setsid
	CMPQ	80(R12), $0
	JEQ	signals
	MOVQ	$112, AX
	SYSCALL
signals:
	// rt_sigaction(sig, &dfl, NULL, 8) for every signal: the handlers
	// are the parent's, in memory this child shares.
	MOVQ	$0, dfl-48(SP)
	MOVQ	$0, dfl-40(SP)
	MOVQ	$0, dfl-32(SP)
	MOVQ	$0, dfl-24(SP)
	MOVQ	$1, R14
sig:
	MOVQ	R14, DI
	LEAQ	dfl-48(SP), SI
	MOVQ	$0, DX
	MOVQ	$8, R10
	MOVQ	$13, AX
	SYSCALL
	INCQ	R14
	CMPQ	R14, $65
	JLT	sig
	// rt_sigprocmask(SIG_SETMASK, &old, NULL, 8)
	MOVQ	$2, DI
	LEAQ	old-8(SP), SI
	MOVQ	$0, DX
	MOVQ	$8, R10
	MOVQ	$14, AX
	SYSCALL
	// execve(a.path, a.argv, a.envp)
	MOVQ	0(R12), DI
	MOVQ	8(R12), SI
	MOVQ	16(R12), DX
	MOVQ	$59, AX
	SYSCALL
	NEGQ	AX
	MOVQ	AX, 88(R12)
exit:
	// exit(127)
	MOVQ	$127, DI
	MOVQ	$60, AX
	SYSCALL
	JMP	exit
