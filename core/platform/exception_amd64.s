//go:build tamago && amd64

#include "textflag.h"

// CPU exceptions after the runtime is up (see exception.go). Each vector's
// entry pushes a zero where the CPU pushes no error code, then the vector,
// so excCommon always sees (Intel SDM Vol. 3A, 6.14.2, 64-bit mode stack
// frame): 0(SP) vector, 8 error code, 16 RIP, 24 CS, 32 RFLAGS, 40 RSP,
// 48 SS. The gates are interrupt gates: IF is clear here.
#define NOCODE(v) PUSHQ $0; PUSHQ $v; JMP excCommon<>(SB)
#define WITHCODE(v) PUSHQ $v; JMP excCommon<>(SB)

// excCommon makes the fault a Go panic on the faulting goroutine: it
// returns (with a JMP, no IRETQ) to faultTrampoline on the faulting stack,
// with RIP+1 pushed as faultTrampoline's return address, so that the
// goroutine's traceback goes on from the faulting instruction (the
// unwinder looks up the caller's line at its return address minus one).
// The stack is reloaded from the frame rather than returned to with IRETQ
// because the pushed address may overwrite the frame's SS slot. Aborts
// (#DF, #MC) and faults with no goroutine go to faultFatal instead.
TEXT excCommon<>(SB),NOSPLIT|NOFRAME,$0
	MOVQ	0(SP), R10	// vector
	MOVQ	8(SP), R9	// error code
	MOVQ	16(SP), R8	// RIP
	MOVQ	32(SP), R11	// RFLAGS
	MOVQ	40(SP), R12	// RSP
	MOVQ	CR2, R13
	CMPQ	R10, $8
	JEQ	fatal
	CMPQ	R10, $18
	JEQ	fatal
	// The goroutine, as Go's TLS keeps it (-8 from FS's base).
	MOVQ	TLS, CX
	MOVQ	0(CX)(TLS*1), AX
	CMPQ	AX, $0
	JEQ	fatal
	LEAQ	1(R8), R14
	MOVQ	R14, -8(R12)
	LEAQ	-8(R12), SP
	MOVQ	AX, R14		// g, as ABIInternal code expects it
	JMP	·faultTrampoline(SB)
fatal:
	// Go's ABI0 frame for faultFatal(vector, code, rip, cr2 uint64),
	// on the faulting stack, below the frame.
	SUBQ	$32, SP
	MOVQ	R10, 0(SP)
	MOVQ	R9, 8(SP)
	MOVQ	R8, 16(SP)
	MOVQ	R13, 24(SP)
	CALL	·faultFatal(SB)
	CLI
hang:
	HLT
	JMP	hang

// faultTrampoline runs as if the faulting instruction had called it:
// it restores the interrupted RFLAGS (IF) and calls faultPanic.
TEXT ·faultTrampoline(SB),NOSPLIT,$32-0
	MOVQ	R10, 0(SP)
	MOVQ	R9, 8(SP)
	MOVQ	R8, 16(SP)
	MOVQ	R13, 24(SP)
	PUSHQ	R11
	POPFQ
	CALL	·faultPanic(SB)
	UD2	// faultPanic does not return

TEXT ·exc0(SB),NOSPLIT|NOFRAME,$0
	NOCODE(0)

TEXT ·exc1(SB),NOSPLIT|NOFRAME,$0
	NOCODE(1)

TEXT ·exc3(SB),NOSPLIT|NOFRAME,$0
	NOCODE(3)

TEXT ·exc4(SB),NOSPLIT|NOFRAME,$0
	NOCODE(4)

TEXT ·exc5(SB),NOSPLIT|NOFRAME,$0
	NOCODE(5)

TEXT ·exc6(SB),NOSPLIT|NOFRAME,$0
	NOCODE(6)

TEXT ·exc7(SB),NOSPLIT|NOFRAME,$0
	NOCODE(7)

TEXT ·exc8(SB),NOSPLIT|NOFRAME,$0
	WITHCODE(8)

TEXT ·exc9(SB),NOSPLIT|NOFRAME,$0
	NOCODE(9)

TEXT ·exc10(SB),NOSPLIT|NOFRAME,$0
	WITHCODE(10)

TEXT ·exc11(SB),NOSPLIT|NOFRAME,$0
	WITHCODE(11)

TEXT ·exc12(SB),NOSPLIT|NOFRAME,$0
	WITHCODE(12)

TEXT ·exc13(SB),NOSPLIT|NOFRAME,$0
	WITHCODE(13)

TEXT ·exc14(SB),NOSPLIT|NOFRAME,$0
	WITHCODE(14)

TEXT ·exc15(SB),NOSPLIT|NOFRAME,$0
	NOCODE(15)

TEXT ·exc16(SB),NOSPLIT|NOFRAME,$0
	NOCODE(16)

TEXT ·exc17(SB),NOSPLIT|NOFRAME,$0
	WITHCODE(17)

TEXT ·exc18(SB),NOSPLIT|NOFRAME,$0
	NOCODE(18)

TEXT ·exc19(SB),NOSPLIT|NOFRAME,$0
	NOCODE(19)

TEXT ·exc20(SB),NOSPLIT|NOFRAME,$0
	NOCODE(20)

TEXT ·exc21(SB),NOSPLIT|NOFRAME,$0
	WITHCODE(21)

TEXT ·exc22(SB),NOSPLIT|NOFRAME,$0
	NOCODE(22)

TEXT ·exc23(SB),NOSPLIT|NOFRAME,$0
	NOCODE(23)

TEXT ·exc24(SB),NOSPLIT|NOFRAME,$0
	NOCODE(24)

TEXT ·exc25(SB),NOSPLIT|NOFRAME,$0
	NOCODE(25)

TEXT ·exc26(SB),NOSPLIT|NOFRAME,$0
	NOCODE(26)

TEXT ·exc27(SB),NOSPLIT|NOFRAME,$0
	NOCODE(27)

TEXT ·exc28(SB),NOSPLIT|NOFRAME,$0
	NOCODE(28)

TEXT ·exc30(SB),NOSPLIT|NOFRAME,$0
	WITHCODE(30)

TEXT ·exc31(SB),NOSPLIT|NOFRAME,$0
	NOCODE(31)

// func exceptionEntries(t *[32]uintptr)
// fills t[v] with the entry of vector v (0: the gate stays tamago's).
TEXT ·exceptionEntries(SB),NOSPLIT,$0-8
	MOVQ	t+0(FP), DI
	MOVQ	$·exc0(SB), AX
	MOVQ	AX, 0(DI)
	MOVQ	$·exc1(SB), AX
	MOVQ	AX, 8(DI)
	MOVQ	$·exc3(SB), AX
	MOVQ	AX, 24(DI)
	MOVQ	$·exc4(SB), AX
	MOVQ	AX, 32(DI)
	MOVQ	$·exc5(SB), AX
	MOVQ	AX, 40(DI)
	MOVQ	$·exc6(SB), AX
	MOVQ	AX, 48(DI)
	MOVQ	$·exc7(SB), AX
	MOVQ	AX, 56(DI)
	MOVQ	$·exc8(SB), AX
	MOVQ	AX, 64(DI)
	MOVQ	$·exc9(SB), AX
	MOVQ	AX, 72(DI)
	MOVQ	$·exc10(SB), AX
	MOVQ	AX, 80(DI)
	MOVQ	$·exc11(SB), AX
	MOVQ	AX, 88(DI)
	MOVQ	$·exc12(SB), AX
	MOVQ	AX, 96(DI)
	MOVQ	$·exc13(SB), AX
	MOVQ	AX, 104(DI)
	MOVQ	$·exc14(SB), AX
	MOVQ	AX, 112(DI)
	MOVQ	$·exc15(SB), AX
	MOVQ	AX, 120(DI)
	MOVQ	$·exc16(SB), AX
	MOVQ	AX, 128(DI)
	MOVQ	$·exc17(SB), AX
	MOVQ	AX, 136(DI)
	MOVQ	$·exc18(SB), AX
	MOVQ	AX, 144(DI)
	MOVQ	$·exc19(SB), AX
	MOVQ	AX, 152(DI)
	MOVQ	$·exc20(SB), AX
	MOVQ	AX, 160(DI)
	MOVQ	$·exc21(SB), AX
	MOVQ	AX, 168(DI)
	MOVQ	$·exc22(SB), AX
	MOVQ	AX, 176(DI)
	MOVQ	$·exc23(SB), AX
	MOVQ	AX, 184(DI)
	MOVQ	$·exc24(SB), AX
	MOVQ	AX, 192(DI)
	MOVQ	$·exc25(SB), AX
	MOVQ	AX, 200(DI)
	MOVQ	$·exc26(SB), AX
	MOVQ	AX, 208(DI)
	MOVQ	$·exc27(SB), AX
	MOVQ	AX, 216(DI)
	MOVQ	$·exc28(SB), AX
	MOVQ	AX, 224(DI)
	MOVQ	$·exc30(SB), AX
	MOVQ	AX, 240(DI)
	MOVQ	$·exc31(SB), AX
	MOVQ	AX, 248(DI)
	RET

// The instructions Raise executes: each raises its exception.

// func raiseDivide()
TEXT ·raiseDivide(SB),NOSPLIT,$0-0
	XORL	CX, CX
	XORL	DX, DX
	MOVL	$1, AX
	DIVQ	CX	// #DE: divisor 0 (SDM Vol. 2A, DIV)
	RET

// func raiseInvalidOpcode()
TEXT ·raiseInvalidOpcode(SB),NOSPLIT,$0-0
	UD2	// #UD by definition (SDM Vol. 2B, UD)
	RET

// func raiseGeneralProtection()
TEXT ·raiseGeneralProtection(SB),NOSPLIT,$0-0
	MOVQ	$0x8000000000000000, AX
	MOVQ	(AX), AX	// #GP: a non-canonical address (SDM Vol. 3A, 6.15, interrupt 13)
	RET

// func raiseWithoutG()
TEXT ·raiseWithoutG(SB),NOSPLIT,$0-0
	MOVQ	TLS, CX
	MOVQ	$0, 0(CX)(TLS*1)	// g = nil
	UD2
	RET
