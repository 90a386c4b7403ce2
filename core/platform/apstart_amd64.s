//go:build tamago && linkcpuinit

#include "go_asm.h"
#include "textflag.h"

// apEarlyStart is an AP's first long-mode code: tamago's real-mode
// trampoline (amd64/smp.s, copied to apinitAddress) calls the address
// StartCPUs leaves at apstartAddress, with SP just below the page tables.
// It keeps the trampoline's protocol (check in at taskAddress, halt until
// an NMI says a task {sp, g, pc} waits there, run it) but runs on the
// early IDT until the task is taken, so that a fault here is reported
// (fault.go) instead of reaching tamago's handlers, which need a g. The
// hand-over: the BSP's IDT (tamago's idtptr) is loaded right before the
// task runs with interrupts on.
TEXT ·apEarlyStart(SB),NOSPLIT|NOFRAME,$0
	CALL	sse_enable(SB)
	MOVQ	$github·com∕usbarmory∕tamago∕amd64·gdtptr(SB), AX
	LGDT	(AX)
	MOVQ	$·earlyIDTR(SB), AX
	LIDT	(AX)

	// crash=ap (fault.go): fault here, on purpose.
	CMPL	·apCrash(SB), $0
	JEQ	2(PC)
	CALL	·earlyCrash(SB)

	// The trampoline cut its GDT's code and data limits for long mode;
	// restore them for the next AP's real-mode start.
	MOVQ	$(const_gdtAddress+8), AX
	MOVW	$0xffff, (AX)
	MOVW	$0xffff, 8(AX)

	// Check in: the counter StartCPUs waits on.
	MOVQ	$const_taskAddress, BX
	MOVL	$1, AX
	LOCK
	XADDL	AX, 0(BX)

wait:
	CLI
	HLT				// until the NMI (earlyFault returns from it)
	MOVQ	$const_taskAddress, AX
	MOVQ	16(AX), R12		// task.pc
	CMPQ	R12, $0
	JEQ	wait
	MOVQ	0(AX), SP		// task.sp
	MOVQ	8(AX), R14		// task.gp: the g register
	MOVQ	$0, 0(AX)
	MOVQ	$0, 8(AX)
	MOVQ	$0, 16(AX)		// the mailbox is free for the next

	MOVQ	R14, DI
	CALL	runtime·settls(SB)
	MOVQ	R14, (TLS)

	// The hand-over to the runtime's IDT.
	MOVQ	$github·com∕usbarmory∕tamago∕amd64·idtptr(SB), AX
	LIDT	(AX)

	// Software-enable the local APIC (SVR bit 8; Intel SDM Vol. 3A,
	// 11.9), with Aero's spurious vector (spurious.go), and run the task
	// with interrupts on.
	MOVL	$const_lapicSVR, AX
	MOVL	$(const_svrEnable|const_spuriousVector), (AX)
	STI
	CALL	R12
	JMP	wait
