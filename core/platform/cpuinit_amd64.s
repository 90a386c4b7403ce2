//go:build tamago && linkcpuinit

#include "go_asm.h"
#include "textflag.h"

// Aero's CPU entry. QEMU (Xen PVH note) and GRUB (multiboot2) both enter the
// ELF entry point, tamago's goos.CPUInit, which jumps here, in 32-bit
// protected mode with paging off and interrupts off:
//
//	PVH:        EBX = physical address of struct hvm_start_info
//	multiboot2: EAX = 0x36d76289, EBX = physical address of the boot information
//
// cpuinit keeps both registers, masks the legacy PIC, builds identity page
// tables, enters long mode, lets early (Go, nosplit) size the Go heap from the
// loader's memory map and copy the loader's structures, then starts the
// runtime on a stack at the top of the heap region.
//
// Everything up to start64 runs in 32-bit mode, assembled by the amd64
// assembler: only instructions whose encoding means the same in both modes
// are used (no 64-bit operands, no RIP-relative memory operands; a symbol's
// address is found with herePC, see pageTablesAddr).

// Page table entry bits (Intel SDM Vol. 3A, 4.5).
#define PTE_P   (1<<0)
#define PTE_RW  (1<<1)
#define PTE_PCD (1<<4)
#define PTE_PS  (1<<7)

#define CR4_PAE (1<<5)
#define CR4_PGE (1<<7)
#define CR0_PE  (1<<0)
#define CR0_PG  (1<<31)
#define MSR_EFER 0xc0000080
#define EFER_LME (1<<8)
#define MSR_FS_BASE 0xc0000100

// The seven tables (PML4, PDPT, PD for the first GiB, PT for its first
// 2 MiB, PDs for 1-4 GiB) live in pageTables, 64 KiB aligned inside it (see
// below). 2 MiB pages everywhere below 4 GiB: 1 GiB pages are a feature
// (CPUID 0x80000001 EDX bit 26) that not every CPU has.
#define PML4_OFF 0x0000
#define PDPT_OFF 0x1000
#define PD_OFF   0x2000
#define PT_OFF   0x3000
#define PD1_OFF  0x4000
#define TABLES_SIZE 0x7000

TEXT cpuinit(SB),NOSPLIT|NOFRAME,$0
	CLI
	MOVL	AX, SI		// boot protocol magic (multiboot2) or junk (PVH)
	MOVL	BX, BP		// boot information pointer

	// Mask both 8259 PICs (OCW1 = 0xff): the firmware may have left the
	// PIT's IRQ0 routed to vector 8, a CPU exception.
	MOVL	$0xff, AX
	MOVL	$0x21, DX
	OUTB
	MOVL	$0xa1, DX
	OUTB

	// A stack for CALL: the top of earlyStack.
	CALL	herePC<>(SB)
	LEAL	·earlyStack(SB), BX	// 32-bit mode: BX = earlyStack - next PC
	ADDL	$6, AX			// LEAL above is 6 bytes long
	ADDL	BX, AX
	ADDL	$const_earlyStackSize, AX
	MOVL	AX, SP

	// The CPU features Aero needs, before using any (cpucheck.go).
	CALL	checkCPU<>(SB)

	// DI = pageTables rounded up to 64 KiB. Why 64 KiB: tamago's AP
	// trampoline uses CR3 as its real-mode stack pointer, so the low 16
	// bits of CR3 decide where its two pushes land (SS base 0xf + SP - 4);
	// with SP = 0 they wrap to ~0x1000b, clear of the trampoline, its GDT
	// and mailbox at 0x4000-0x6fff.
	CALL	herePC<>(SB)
	LEAL	·pageTables(SB), BX
	ADDL	$6, AX
	ADDL	BX, AX
	ADDL	$0xffff, AX
	ANDL	$~0xffff, AX
	MOVL	AX, DI
	MOVL	AX, BX		// BX = table base from here on

	// Zero the tables.
	XORL	AX, AX
	MOVL	$TABLES_SIZE, CX
	REP;	STOSB

	// PML4[0] -> PDPT
	LEAL	(PDPT_OFF|PTE_RW|PTE_P)(BX), AX
	MOVL	AX, PML4_OFF(BX)

	// PDPT[0] -> PD (first GiB); PDPT[1..3] -> the three PDs after PT,
	// 1-3 GiB cacheable and 3-4 GiB uncacheable (PCI MMIO, LAPIC, IOAPIC,
	// HPET), all in 2 MiB pages. early maps what lies above 4 GiB.
	LEAL	(PD_OFF|PTE_RW|PTE_P)(BX), AX
	MOVL	AX, (PDPT_OFF+0*8)(BX)
	LEAL	(PD1_OFF|PTE_RW|PTE_P)(BX), AX
	MOVL	AX, (PDPT_OFF+1*8)(BX)
	ADDL	$0x1000, AX
	MOVL	AX, (PDPT_OFF+2*8)(BX)
	ADDL	$0x1000, AX
	MOVL	AX, (PDPT_OFF+3*8)(BX)
	LEAL	PD1_OFF(BX), DI
	MOVL	$(1<<30), AX
pd_high_loop:
	MOVL	AX, CX
	ORL	$(PTE_PS|PTE_RW|PTE_P), CX
	CMPL	AX, $(3<<30)
	JCS	2(PC)
	ORL	$PTE_PCD, CX
	MOVL	CX, (DI)
	ADDL	$8, DI
	ADDL	$(2<<20), AX
	JNZ	pd_high_loop		// until AX wraps to 0: 4 GiB

	// PD[0] -> PT; PD[1..511]: 2 MiB pages.
	LEAL	(PT_OFF|PTE_RW|PTE_P)(BX), AX
	MOVL	AX, PD_OFF(BX)
	LEAL	(PD_OFF+8)(BX), DI
	MOVL	$(2<<20|PTE_PS|PTE_RW|PTE_P), AX
pd_loop:
	MOVL	AX, (DI)
	ADDL	$8, DI
	ADDL	$(2<<20), AX
	CMPL	AX, $(1<<30)
	JCS	pd_loop

	// PT[0..511]: 4 KiB pages up to 2 MiB. Page 0 is mapped while early
	// copies the loader's structures (firmware puts some there), then
	// unmapped so that nil dereferences fault.
	LEAL	(PT_OFF)(BX), DI
	MOVL	$(PTE_RW|PTE_P), AX
pt_loop:
	MOVL	AX, (DI)
	ADDL	$8, DI
	ADDL	$4096, AX
	CMPL	AX, $(2<<20)
	JCS	pt_loop

	// Long mode: CR3, CR4.PAE|PGE, EFER.LME, CR0.PG|PE.
	MOVL	BX, AX
	MOVL	AX, CR3
	MOVL	CR4, AX
	ORL	$(CR4_PAE|CR4_PGE), AX
	MOVL	AX, CR4
	MOVL	$MSR_EFER, CX
	RDMSR
	ORL	$EFER_LME, AX
	WRMSR
	MOVL	CR0, AX
	ORL	$(CR0_PG|CR0_PE), AX
	MOVL	AX, CR0

	// Now in compatibility mode: load tamago's GDT (null, 64-bit code at
	// 0x08, data at 0x10; its IDT code and the APs expect that GDT) and
	// far-return into the code segment. The GDTR's base is an absolute
	// address, as LGDT wants.
	CALL	herePC<>(SB)
	LEAL	github·com∕usbarmory∕tamago∕amd64·gdtptr(SB), BX
	ADDL	$6, AX
	ADDL	BX, AX
	LGDT	(AX)

	CALL	herePC<>(SB)
	LEAL	start64<>(SB), BX
	ADDL	$6, AX
	ADDL	BX, AX
	PUSHQ	$0x08
	PUSHQ	AX
	BYTE	$0xcb		// RETF (32-bit operand size)

// checkCPU, in 32-bit mode, checks each feature of cpuCheck with CPUID and
// on the first one missing prints its name on COM1 and exits failing. It
// keeps SI and BP (the boot protocol's registers).
TEXT checkCPU<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ	SI			// PUSHL in 32-bit mode, as all below
	PUSHQ	BP
	CALL	herePC<>(SB)
	LEAL	·cpuCheck(SB), BX
	ADDL	$6, AX
	ADDL	BX, AX
	MOVL	AX, BP			// BP = &cpuCheck

	// CPUID exists when EFLAGS.ID (bit 21) can be changed (SDM Vol. 1,
	// 19.1).
	PUSHFQ
	POPQ	AX
	MOVL	AX, CX
	XORL	$(1<<21), AX
	PUSHQ	AX
	POPFQ
	PUSHFQ
	POPQ	AX
	PUSHQ	CX
	POPFQ
	XORL	CX, AX
	TESTL	$(1<<21), AX
	JNZ	have_cpuid
	LEAL	cpuCheckTable_cpuid(BP), DI
	JMP	lacking

have_cpuid:
	LEAL	cpuCheckTable_features(BP), DI
	MOVL	cpuCheckTable_count(BP), SI
check_loop:
	TESTL	SI, SI
	JZ	check_done
	// The leaf must exist: CPUID(leaf's range base).EAX >= leaf.
	MOVL	cpuFeature_leaf(DI), AX
	ANDL	$0x80000000, AX
	CPUID
	CMPL	AX, cpuFeature_leaf(DI)
	JCS	missing
	MOVL	cpuFeature_leaf(DI), AX
	XORL	CX, CX
	CPUID
	CMPL	cpuFeature_reg(DI), $const_cpuidECX
	JNE	2(PC)
	MOVL	CX, DX
	MOVL	cpuFeature_bit(DI), CX
	SHRL	CX, DX
	TESTL	$1, DX
	JZ	missing
	ADDL	$cpuFeature__size, DI
	DECL	SI
	JMP	check_loop
missing:
	LEAL	cpuFeature_name(DI), DI
lacking:
	// DI = the missing feature's name (a Go string: pointer, length; the
	// image lies below 4 GiB, so the pointer's low half is the address).
	LEAL	cpuCheckTable_lacks(BP), SI
	CALL	print32<>(SB)
	MOVL	DI, SI
	CALL	print32<>(SB)
	LEAL	cpuCheckTable_needs(BP), SI
	CALL	print32<>(SB)
	MOVL	$1, AX			// isa-debug-exit: failure (see earlyExit)
	MOVL	$const_debugExitPort, DX
	OUTL
check_halt:
	CLI
	HLT
	JMP	check_halt
check_done:
	POPQ	BP
	POPQ	SI
	RET

// print32, in 32-bit mode, writes the Go string whose header SI points at
// to COM1 (polled, as COM1Write; "\n" becomes "\r\n").
TEXT print32<>(SB),NOSPLIT|NOFRAME,$0
	MOVL	8(SI), CX
	MOVL	0(SI), SI
print32_loop:
	TESTL	CX, CX
	JZ	print32_done
	MOVB	(SI), BX
	CMPB	BX, $0x0a
	JNE	print32_byte
	MOVB	$0x0d, BX
	CALL	put32<>(SB)
	MOVB	$0x0a, BX
print32_byte:
	CALL	put32<>(SB)
	INCL	SI
	DECL	CX
	JMP	print32_loop
print32_done:
	RET

// put32 writes BL to COM1 once its transmitter is empty (16550: LSR bit 5).
TEXT put32<>(SB),NOSPLIT|NOFRAME,$0
	MOVL	$const_com1LSR, DX
put32_wait:
	INB
	TESTB	$const_lsrTHRE, AX
	JZ	put32_wait
	MOVL	$const_com1THR, DX
	MOVL	BX, AX
	OUTB
	RET

// herePC returns in AX the address of the instruction after the CALL.
TEXT herePC<>(SB),NOSPLIT|NOFRAME,$0
	MOVL	(SP), AX
	BYTE	$0xc3		// RET (near, works in 32- and 64-bit mode)

TEXT start64<>(SB),NOSPLIT|NOFRAME,$0
	// 64-bit mode. Data segments from the GDT (selector 0x10); an
	// interrupt's IRETQ reloads SS, so it must be valid here.
	MOVL	$0x10, AX
	BYTE	$0x8e; BYTE $0xd8	// MOV AX, DS
	BYTE	$0x8e; BYTE $0xc0	// MOV AX, ES
	BYTE	$0x8e; BYTE $0xd0	// MOV AX, SS
	BYTE	$0x8e; BYTE $0xe0	// MOV AX, FS
	BYTE	$0x8e; BYTE $0xe8	// MOV AX, GS

	// SP is still the 32-bit value set above; make it 64-bit clean.
	MOVL	SP, SP

	CALL	sse_enable(SB)

	MOVL	SI, ·bootMagic(SB)
	MOVL	BP, ·bootInfoAddr(SB)

	// Go code reads g from -8(FS) on entry: point FS at a zero word so
	// that early runs with g == nil (it is nosplit and never needs g).
	LEAQ	·earlyTLS+8(SB), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	MOVL	$MSR_FS_BASE, CX
	WRMSR

	CALL	·early(SB)

	// The runtime's boot stack: RamStackOffset below the end of the heap
	// region early sized.
	MOVQ	runtime∕goos·RamStart(SB), SP
	MOVQ	runtime∕goos·RamSize(SB), AX
	ADDQ	AX, SP
	MOVQ	runtime∕goos·RamStackOffset(SB), AX
	SUBQ	AX, SP
	JMP	_rt0_tamago_start(SB)

// func outb(port uint16, v uint8)
TEXT ·outb(SB),NOSPLIT,$0-3
	MOVW	port+0(FP), DX
	MOVB	v+2(FP), AX
	OUTB
	RET

// func inb(port uint16) uint8
TEXT ·inb(SB),NOSPLIT,$0-9
	MOVW	port+0(FP), DX
	XORL	AX, AX
	INB
	MOVB	AX, ret+8(FP)
	RET

// func outl(port uint16, v uint32)
TEXT ·outl(SB),NOSPLIT,$0-8
	MOVW	port+0(FP), DX
	MOVL	v+4(FP), AX
	OUTL
	RET

// func inl(port uint16) uint32
TEXT ·inl(SB),NOSPLIT,$0-12
	MOVW	port+0(FP), DX
	INL
	MOVL	AX, ret+8(FP)
	RET

// func rdtsc() uint64
TEXT ·rdtsc(SB),NOSPLIT,$0-8
	RDTSC
	SHLQ	$32, DX
	ORQ	DX, AX
	MOVQ	AX, ret+0(FP)
	RET

// func readCR3() uint64
TEXT ·readCR3(SB),NOSPLIT,$0-8
	MOVQ	CR3, AX
	MOVQ	AX, ret+0(FP)
	RET

// func writeCR3(v uint64)
TEXT ·writeCR3(SB),NOSPLIT,$0-8
	MOVQ	v+0(FP), AX
	MOVQ	AX, CR3
	RET

// func haltForever()
TEXT ·haltForever(SB),NOSPLIT|NOFRAME,$0
	CLI
again:
	HLT
	JMP	again

// func cpuid(leaf, sub uint32) (a, b, c, d uint32)
TEXT ·cpuid(SB),NOSPLIT,$0-24
	MOVL	leaf+0(FP), AX
	MOVL	sub+4(FP), CX
	CPUID
	MOVL	AX, a+8(FP)
	MOVL	BX, b+12(FP)
	MOVL	CX, c+16(FP)
	MOVL	DX, d+20(FP)
	RET

// func wrmsr(msr uint32, v uint64)
TEXT ·wrmsr(SB),NOSPLIT,$0-16
	MOVL	msr+0(FP), CX
	MOVQ	v+8(FP), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	WRMSR
	RET

// func imageBounds() (start, end uint64)
TEXT ·imageBounds(SB),NOSPLIT,$0-16
	// The Go linker puts the ELF header page (ELFRESERVE, 4 KiB) right
	// below the text and maps it with the first PT_LOAD.
	MOVQ	$runtime·text(SB), AX
	SUBQ	$0x1000, AX
	MOVQ	AX, start+0(FP)
	MOVQ	$runtime·end(SB), AX
	MOVQ	AX, end+8(FP)
	RET
