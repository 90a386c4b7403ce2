//go:build tamago

#include "textflag.h"

// The thread primitives of smp.go.

// apEntryStart is where the trampoline sends an AP that runs a scheduler's
// entry: SP is the top of the entry's stack, the g register holds the CPU's
// tls word, which the trampoline made the TLS (FS = &tls+8, tls = &tls).
// Clear that word and the g register, so that Go code sees g == nil, and
// enter apMain (through its ABI0 wrapper, which loads g from TLS and zeroes
// X15 as ABIInternal wants).
TEXT ·apEntryStart(SB),NOSPLIT|NOFRAME,$0
	MOVQ	$0, BP
	ANDQ	$~15, SP
	XORL	R14, R14
	MOVQ	R14, (TLS)
	CLD
	CALL	·apMain(SB)
	CALL	·haltForever(SB)

// func apEntryPC() uintptr
TEXT ·apEntryPC(SB),NOSPLIT,$0-8
	MOVQ	$·apEntryStart(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// func pauses(n uint32)
TEXT ·pauses(SB),NOSPLIT,$0-4
	MOVL	n+0(FP), CX
again:
	PAUSE
	DECL	CX
	JNZ	again
	RET

// func haltUnless(p *uint32)
//
// STI takes effect after the next instruction (Intel SDM Vol. 2B, STI), so
// no interrupt comes between STI and HLT: one that arrives after the check
// ends the HLT.
TEXT ·haltUnless(SB),NOSPLIT,$0-8
	MOVQ	p+0(FP), AX
	CLI
	CMPL	(AX), $0
	JNE	done
	STI
	HLT
	RET
done:
	STI
	RET

// func RunThread(t Thread)
TEXT ·RunThread(SB),NOSPLIT|NOFRAME,$0-24
	MOVQ	t_SP+0(FP), AX
	MOVQ	t_G+8(FP), R14
	MOVQ	t_PC+16(FP), BX
	MOVQ	AX, SP
	STI
	JMP	BX
