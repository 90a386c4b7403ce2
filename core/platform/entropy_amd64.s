//go:build tamago && amd64

#include "textflag.h"

// func rdrand64() (v uint64, ok bool)
// Intel SDM Vol. 2B, RDRAND: CF=1 when a random value was returned.
TEXT ·rdrand64(SB),NOSPLIT,$0-9
	RDRANDQ	AX
	SETCS	ok+8(FP)
	MOVQ	AX, v+0(FP)
	RET

// func rdseed64() (v uint64, ok bool)
// Intel SDM Vol. 2B, RDSEED: CF=1 when a random value was returned.
TEXT ·rdseed64(SB),NOSPLIT,$0-9
	RDSEEDQ	AX
	SETCS	ok+8(FP)
	MOVQ	AX, v+0(FP)
	RET
