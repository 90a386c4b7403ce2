//go:build tamago && linkcpuinit

#include "go_asm.h"
#include "textflag.h"

// The early IDT's handlers (see fault.go): they run on whatever stack the
// CPU was on, with no g and possibly no SSE, and need none of it.

#define MSR_FS_BASE 0xc0000100

// earlyVectors is the handlers of vectors 0-31, one 5-byte CALL each (CALL
// rel32 has no shorter form): earlyFault finds the vector from the return
// address the CALL pushed.
TEXT earlyVectors<>(SB),NOSPLIT|NOFRAME,$0
	CALL	earlyFault<>(SB)	// 0
	CALL	earlyFault<>(SB)	// 1
	CALL	earlyFault<>(SB)	// 2
	CALL	earlyFault<>(SB)	// 3
	CALL	earlyFault<>(SB)	// 4
	CALL	earlyFault<>(SB)	// 5
	CALL	earlyFault<>(SB)	// 6
	CALL	earlyFault<>(SB)	// 7
	CALL	earlyFault<>(SB)	// 8
	CALL	earlyFault<>(SB)	// 9
	CALL	earlyFault<>(SB)	// 10
	CALL	earlyFault<>(SB)	// 11
	CALL	earlyFault<>(SB)	// 12
	CALL	earlyFault<>(SB)	// 13
	CALL	earlyFault<>(SB)	// 14
	CALL	earlyFault<>(SB)	// 15
	CALL	earlyFault<>(SB)	// 16
	CALL	earlyFault<>(SB)	// 17
	CALL	earlyFault<>(SB)	// 18
	CALL	earlyFault<>(SB)	// 19
	CALL	earlyFault<>(SB)	// 20
	CALL	earlyFault<>(SB)	// 21
	CALL	earlyFault<>(SB)	// 22
	CALL	earlyFault<>(SB)	// 23
	CALL	earlyFault<>(SB)	// 24
	CALL	earlyFault<>(SB)	// 25
	CALL	earlyFault<>(SB)	// 26
	CALL	earlyFault<>(SB)	// 27
	CALL	earlyFault<>(SB)	// 28
	CALL	earlyFault<>(SB)	// 29
	CALL	earlyFault<>(SB)	// 30
	CALL	earlyFault<>(SB)	// 31

// Stack on entry (Intel SDM Vol. 3A, 6.14.2): the CALL's return address,
// the error code for the vectors that have one, then RIP, CS, RFLAGS,
// RSP, SS.
TEXT earlyFault<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ	BX
	PUSHQ	CX
	MOVQ	16(SP), BX
	MOVQ	$earlyVectors<>(SB), CX
	SUBQ	CX, BX			// BX = 5 * (vector + 1)
	CMPQ	BX, $(3*5)
	JNE	fault
	// An NMI (vector 2) is no fault: an AP waiting for its first task in
	// apEarlyStart is woken by one. Return to where it came.
	POPQ	CX
	POPQ	BX
	ADDQ	$8, SP
	IRETQ

fault:
	CLI
	MOVQ	BX, AX
	XORL	DX, DX
	MOVQ	$5, CX
	DIVQ	CX
	DECQ	AX
	MOVQ	AX, R8			// R8 = vector
	ADDQ	$24, SP			// drop CX, BX and the return address
	XORL	R10, R10		// R10 = error code
	MOVL	$const_faultErrorCodeVectors, R9
	MOVQ	R8, CX
	SHRL	CX, R9
	ANDL	$1, R9
	JZ	noerror
	POPQ	R10
noerror:
	MOVQ	0(SP), R11		// R11 = RIP
	MOVQ	CR2, R12		// R12 = CR2

	// One CPU reports; any other that faults meanwhile stops here.
	MOVL	$1, AX
	XCHGL	AX, ·faultLock(SB)
	TESTL	AX, AX
	JNZ	stop

	// A stack of its own (the faulting one may be what is wrong), g == nil
	// (-8(FS) reads 0) and SSE on, as the Go code called below expects.
	MOVQ	$·faultStack(SB), SP
	ADDQ	$const_faultStackSize, SP
	MOVQ	$·earlyTLS+8(SB), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	MOVL	$MSR_FS_BASE, CX
	WRMSR
	CALL	sse_enable(SB)
	SUBQ	$32, SP
	MOVQ	R8, 0(SP)
	MOVQ	R10, 8(SP)
	MOVQ	R11, 16(SP)
	MOVQ	R12, 24(SP)
	CALL	·faultFatal(SB)		// does not return
stop:
	CLI
	HLT
	JMP	stop

// func earlyPCs() (vectors, apStart uintptr)
TEXT ·earlyPCs(SB),NOSPLIT,$0-16
	MOVQ	$earlyVectors<>(SB), AX
	MOVQ	AX, vectors+0(FP)
	MOVQ	$·apEarlyStart(SB), AX
	MOVQ	AX, apStart+8(FP)
	RET

// func lidt(idtr *[10]byte)
TEXT ·lidt(SB),NOSPLIT,$0-8
	MOVQ	idtr+0(FP), AX
	LIDT	(AX)
	RET

// func earlyCrash()
TEXT ·earlyCrash(SB),NOSPLIT,$0-0
	// A read of page 0, which finishPaging unmapped: #PF with CR2 = 8.
	MOVQ	$8, AX
	MOVQ	(AX), AX
	RET
