//go:build tamago

#include "textflag.h"

// func disableInterrupts() uint64
// Returns RFLAGS as it was, then clears IF (Intel SDM Vol. 1, 3.4.3.3).
TEXT ·disableInterrupts(SB),NOSPLIT,$0-8
	PUSHFQ
	POPQ	AX
	CLI
	MOVQ	AX, ret+0(FP)
	RET

// func restoreInterrupts(flags uint64)
// Sets IF again only if flags had it (bit 9), so nested callers compose.
TEXT ·restoreInterrupts(SB),NOSPLIT,$0-8
	MOVQ	flags+0(FP), AX
	BTQ	$9, AX
	JCC	off
	STI
off:
	RET
