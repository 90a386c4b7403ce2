//go:build tamago

#include "textflag.h"

// The thread switch and the few privileged instructions the scheduler
// needs. Everything here runs with interrupts off and the scheduler lock
// held (see lock in kernel.go).

// IA32_FS_BASE (Intel SDM Vol. 4, Table 2-2): the runtime keeps an M's TLS
// there (g at -8(FS), runtime·settls), so it is part of a thread's state.
#define MSR_FS_BASE $0xc0000100

// The context offsets: sp, bp, pc, fs, g, fn (kernel.go, type context).
#define ctx_sp 0
#define ctx_bp 8
#define ctx_pc 16
#define ctx_fs 24
#define ctx_g 32
#define ctx_fn 40

// func switchTo(from, to *context)
//
// Saves the caller's state in from and loads to's. A voluntary switch is a
// call, so only what Go's ABI says survives a call has to be kept: SP, BP
// and the return PC (ABIInternal has no other callee-saved general
// registers; the ABI0 wrapper of this function reloads R14 from TLS and
// zeroes X15 on return), plus the FS base, which is per thread. X0-X14 and
// the x87 registers are caller-saved, and Go never changes MXCSR or the
// x87 control word, so no FXSAVE is needed here.
//
// A context that was never run has pc at threadStart or idleStart; its g
// and fn go to R14 and DX for them. fs 0 means "leave FS alone" (a new M
// sets its own TLS in tamagoThreadStart).
TEXT ·switchTo(SB),NOSPLIT|NOFRAME,$0-16
	MOVQ	from+0(FP), SI
	MOVQ	to+8(FP), DI
	MOVL	MSR_FS_BASE, CX
	RDMSR
	SHLQ	$32, DX
	ORQ	AX, DX
	MOVQ	DX, ctx_fs(SI)
	MOVQ	0(SP), AX
	MOVQ	AX, ctx_pc(SI)
	LEAQ	8(SP), AX
	MOVQ	AX, ctx_sp(SI)
	MOVQ	BP, ctx_bp(SI)

	MOVQ	ctx_fs(DI), AX
	TESTQ	AX, AX
	JZ	nofs
	MOVQ	AX, DX
	SHRQ	$32, DX
	MOVL	MSR_FS_BASE, CX
	WRMSR
nofs:
	MOVQ	ctx_bp(DI), BP
	MOVQ	ctx_g(DI), R14
	MOVQ	ctx_fn(DI), DX
	MOVQ	ctx_pc(DI), AX
	MOVQ	ctx_sp(DI), SP
	JMP	AX

// threadStart is a new M's first instruction under this scheduler: SP is
// the top of its g0 stack, R14 the g register the runtime's Start hook
// gave, DX its entry (runtime·tamagoThreadStart). The thread that switched
// here holds the scheduler lock: release it (a plain store releases on
// x86, Intel SDM Vol. 3A, 9.2.3.2), enable interrupts, and enter.
TEXT ·threadStart(SB),NOSPLIT|NOFRAME,$0
	MOVL	$0, ·schedLock(SB)
	STI
	JMP	DX

// idleStart is the boot CPU's idle context's first instruction: SP is the
// top of its stack and FS points at a zero TLS word (g is nil).
TEXT ·idleStart(SB),NOSPLIT|NOFRAME,$0
	MOVQ	$0, BP
	XORL	R14, R14
	CLD
	CALL	·idleMain(SB)
	// idleMain never returns.
	CLI
	HLT

// func threadStartPC() uintptr
TEXT ·threadStartPC(SB),NOSPLIT,$0-8
	MOVQ	$·threadStart(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// func idleStartPC() uintptr
TEXT ·idleStartPC(SB),NOSPLIT,$0-8
	MOVQ	$·idleStart(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// func pause()
TEXT ·pause(SB),NOSPLIT,$0
	PAUSE
	RET
