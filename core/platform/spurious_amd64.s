//go:build tamago && amd64

#include "textflag.h"

// spuriousEntry is the spurious-interrupt vector's handler: count, and
// return without an EOI (Intel SDM Vol. 3A, 11.9).
TEXT ·spuriousEntry(SB),NOSPLIT|NOFRAME,$0
	LOCK
	INCQ	·spuriousCount(SB)
	IRETQ

// func spuriousEntryPC() uintptr
TEXT ·spuriousEntryPC(SB),NOSPLIT,$0-8
	MOVQ	$·spuriousEntry(SB), AX
	MOVQ	AX, ret+0(FP)
	RET
