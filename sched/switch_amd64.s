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

// Preemption: the timer's gate (preemptEntry, on the CPU's IST stack) and
// the way back into a preempted thread (resumePreempted).

// The interrupt frame preemptEntry builds (kernel.go, type iframe): the
// general registers as pushed, AX first, then what the CPU pushed (Intel
// SDM Vol. 3A, 6.14.2, Figure 6-9: RIP, CS, RFLAGS, RSP, SS).
#define f_ax 0
#define f_bx 8
#define f_cx 16
#define f_dx 24
#define f_si 32
#define f_di 40
#define f_bp 48
#define f_r8 56
#define f_r9 64
#define f_r10 72
#define f_r11 80
#define f_r12 88
#define f_r13 96
#define f_r14 104
#define f_r15 112
#define f_rip 120
#define f_cs 128
#define f_rflags 136
#define f_rsp 144
#define f_ss 152

// preemptEntry is the gate of the scheduler's timer vector: an interrupt
// gate (interrupts off) on IST 1, the CPU's own interrupt stack. It saves
// every general register and, with FXSAVE, the x87/SSE state (SSE is all
// Aero enables: no XSAVE), and calls onTick(frame, fx). If onTick returns,
// the thread goes on: the state is restored and IRETQ resumes it. If it
// switches, the state was copied into the thread and this stack is left
// for good (the next interrupt starts at its top again).
TEXT ·preemptEntry(SB),NOSPLIT|NOFRAME,$0
	PUSHQ	R15
	PUSHQ	R14
	PUSHQ	R13
	PUSHQ	R12
	PUSHQ	R11
	PUSHQ	R10
	PUSHQ	R9
	PUSHQ	R8
	PUSHQ	BP
	PUSHQ	DI
	PUSHQ	SI
	PUSHQ	DX
	PUSHQ	CX
	PUSHQ	BX
	PUSHQ	AX
	MOVQ	SP, BX
	// onTick's arguments at 0 and 8, the frame's address at 16, the
	// FXSAVE area (512 bytes, 16-aligned) at 32.
	SUBQ	$(32+512+16), SP
	ANDQ	$~15, SP
	MOVQ	BX, 16(SP)
	LEAQ	32(SP), CX
	FXSAVE64	(CX)
	CLD // the interrupted code may have been copying backwards
	MOVQ	BX, 0(SP)
	MOVQ	CX, 8(SP)
	CALL	·onTick(SB)
	LEAQ	32(SP), CX
	FXRSTOR64	(CX)
	MOVQ	16(SP), SP
	POPQ	AX
	POPQ	BX
	POPQ	CX
	POPQ	DX
	POPQ	SI
	POPQ	DI
	POPQ	BP
	POPQ	R8
	POPQ	R9
	POPQ	R10
	POPQ	R11
	POPQ	R12
	POPQ	R13
	POPQ	R14
	POPQ	R15
	IRETQ

// resumePreempted is a preempted thread's resume PC (its context's pc):
// switchTo leaves the saved frame's address in DX and the FXSAVE area's in
// R14, FS already the thread's. It restores the x87/SSE state, builds an
// IRETQ frame just below the thread's saved stack pointer (where the CPU
// would have pushed it without an IST; Go keeps no red zone), releases the
// scheduler lock (interrupts stay off until IRETQ restores RFLAGS) and
// returns to the preempted instruction with every register as it was.
TEXT ·resumePreempted(SB),NOSPLIT|NOFRAME,$0
	FXRSTOR64	(R14)
	MOVQ	f_rsp(DX), AX
	SUBQ	$40, AX
	MOVQ	f_rip(DX), BX
	MOVQ	BX, 0(AX)
	MOVQ	f_cs(DX), BX
	MOVQ	BX, 8(AX)
	MOVQ	f_rflags(DX), BX
	MOVQ	BX, 16(AX)
	MOVQ	f_rsp(DX), BX
	MOVQ	BX, 24(AX)
	MOVQ	f_ss(DX), BX
	MOVQ	BX, 32(AX)
	MOVQ	AX, SP
	MOVL	$0, ·schedLock(SB)
	MOVQ	f_ax(DX), AX
	MOVQ	f_bx(DX), BX
	MOVQ	f_cx(DX), CX
	MOVQ	f_si(DX), SI
	MOVQ	f_di(DX), DI
	MOVQ	f_bp(DX), BP
	MOVQ	f_r8(DX), R8
	MOVQ	f_r9(DX), R9
	MOVQ	f_r10(DX), R10
	MOVQ	f_r11(DX), R11
	MOVQ	f_r12(DX), R12
	MOVQ	f_r13(DX), R13
	MOVQ	f_r14(DX), R14
	MOVQ	f_r15(DX), R15
	MOVQ	f_dx(DX), DX
	IRETQ

// func preemptEntryPC() uintptr
TEXT ·preemptEntryPC(SB),NOSPLIT,$0-8
	MOVQ	$·preemptEntry(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// func resumePreemptedPC() uintptr
TEXT ·resumePreemptedPC(SB),NOSPLIT,$0-8
	MOVQ	$·resumePreempted(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// func fsBase() uintptr
TEXT ·fsBase(SB),NOSPLIT,$0-8
	MOVL	MSR_FS_BASE, CX
	RDMSR
	SHLQ	$32, DX
	ORQ	DX, AX
	MOVQ	AX, ret+0(FP)
	RET

// func gdtBase() uintptr
TEXT ·gdtBase(SB),NOSPLIT,$16-8
	SGDT	0(SP)
	MOVQ	2(SP), AX
	MOVQ	AX, ret+0(FP)
	RET

// func loadTSS(gdtr *[10]byte, sel uint16)
// Loads the CPU's own GDT (the same code and data descriptors at the same
// selectors, so the segment registers stay valid) and its task register,
// whose TSS holds the IST stack (SDM Vol. 3A, 7.7, 7.2.4).
TEXT ·loadTSS(SB),NOSPLIT,$0-10
	MOVQ	gdtr+0(FP), AX
	LGDT	(AX)
	MOVW	sel+8(FP), AX
	LTR	AX
	RET

// reschedEntry is the reschedule IPI's gate (see installReschedGate):
// count it, write the EOI (x2APIC: MSR 0x80b; xAPIC: the EOI register at
// 0xfee000b0; Intel SDM Vol. 3A, 11.8.5, 11.12.1.2) and return: the IPI
// has done its work by ending the HLT it interrupted.
TEXT ·reschedEntry(SB),NOSPLIT|NOFRAME,$0
	PUSHQ	AX
	PUSHQ	CX
	PUSHQ	DX
	LOCK
	INCQ	·reschedTaken(SB)
	CMPB	·x2apic(SB), $0
	JEQ	xapic
	MOVL	$0x80b, CX
	XORL	AX, AX
	XORL	DX, DX
	WRMSR
	JMP	eoidone
xapic:
	MOVL	$0xfee000b0, AX
	MOVL	$0, (AX)
eoidone:
	POPQ	DX
	POPQ	CX
	POPQ	AX
	IRETQ

// func reschedEntryPC() uintptr
TEXT ·reschedEntryPC(SB),NOSPLIT,$0-8
	MOVQ	$·reschedEntry(SB), AX
	MOVQ	AX, ret+0(FP)
	RET
