//go:build tamago && amd64

package platform

import (
	"fmt"
	"unsafe"
)

// CPU exceptions once the runtime is up. tamago's handlers (CPU.
// EnableExceptions) print the vector and panic on the system stack, which
// loses the faulting goroutine's stack, and they read RIP one slot off for
// the exceptions that push no error code. Aero's replace them for every
// exception a running program can raise: the entry (exception_amd64.s)
// makes the faulting goroutine call faultPanic as if from the faulting
// instruction, so the fault is a Go panic with that goroutine's stack
// trace, as a SIGSEGV is on Linux, and recover works on it. Aborts (#DF,
// #MC) and faults with no goroutine print one line (faultFatal) and exit.
// Every vector below 32 is Aero's but NMI (2: tamago's, which the AP
// start-up and interrupt completion use) and #VC (29: kept, as tamago
// keeps it, for a firmware handler under SEV-SNP).

// faultPanic runs on the faulting goroutine (see exception_amd64.s).
func faultPanic(vector, code, rip, cr2 uint64) {
	e := &CPUException{Vector: int(vector), ErrorCode: code, RIP: uintptr(rip)}
	if vector == 14 {
		e.CR2 = uintptr(cr2)
	}
	panic(e)
}

// faultFatal reports an exception that cannot be a panic, on COM1 (the
// console may be what faulted), and ends the machine failing. It may run
// with no goroutine: nosplit, no allocation.
//
//go:nosplit
func faultFatal(vector, code, rip, cr2 uint64) {
	com1String("\naero: fatal CPU exception")
	if vector < uint64(len(exceptionNames)) && exceptionNames[vector].name != "" {
		com1String(" #")
		com1String(exceptionNames[vector].mnemonic)
		com1String(" (")
		com1String(exceptionNames[vector].name)
		com1String(")")
	}
	com1String(": vector ")
	com1Hex(vector)
	com1String(" rip ")
	com1Hex(rip)
	com1String(" error code ")
	com1Hex(code)
	com1String(" cr2 ")
	com1Hex(cr2)
	com1String(" apic ")
	com1Hex(ProcessorID())
	com1String("\n")
	// Not exit: its triple-fault fallback (tamago's amd64.Fault) checks
	// the stack. Without isa-debug-exit the CPU halts with the report
	// on the console.
	outl(debugExitPort, faultExitCode)
	haltForever()
}

// faultExitCode is the exit status after a fatal exception.
const faultExitCode = 3

//go:nosplit
func com1Hex(v uint64) {
	com1String("0x")
	started := false
	for shift := 60; shift >= 0; shift -= 4 {
		d := v >> uint(shift) & 0xf
		if d == 0 && !started && shift > 0 {
			continue
		}
		started = true
		COM1Write("0123456789abcdef"[d])
	}
}

// idtAddr is the IDT's address, set by tamago's EnableExceptions.
//
//go:linkname idtAddr github.com/usbarmory/tamago/amd64.idtAddr
var idtAddr uintptr

func exceptionEntries(t *[32]uintptr)

// Entries of exception_amd64.s.
func exc0()
func exc1()
func exc3()
func exc4()
func exc5()
func exc6()
func exc7()
func exc8()
func exc9()
func exc10()
func exc11()
func exc12()
func exc13()
func exc14()
func exc15()
func exc16()
func exc17()
func exc18()
func exc19()
func exc20()
func exc21()
func exc22()
func exc23()
func exc24()
func exc25()
func exc26()
func exc27()
func exc28()
func exc30()
func exc31()
func faultTrampoline()

// installExceptions points the IDT's exception gates at Aero's entries.
// Every CPU loads the same IDT, so APs started later have them too.
func installExceptions() {
	if idtAddr == 0 {
		panic("platform: no IDT to install exception handlers in (EnableExceptions first)")
	}
	var entries [32]uintptr
	exceptionEntries(&entries)
	for v, addr := range entries {
		if addr == 0 {
			continue
		}
		SetGate(v, addr, 0)
	}
}

// SetGate points IDT vector v at addr: a 64-bit interrupt gate (SDM Vol.
// 3A, 6.14.1, Figure 6-8): offset 15:0, tamago's code selector, the
// interrupt stack table entry ist (0: the interrupted stack; 1-7: the
// calling CPU's TSS must hold that stack when the vector fires), type 0xE
// with P=1 DPL=0, offset 31:16, offset 63:32. Every CPU shares the IDT.
// The one writer of IDT gates: exceptions, the spurious vector, and a
// scheduler's own vectors (sched's timer and reschedule IPI).
func SetGate(v int, addr uintptr, ist uint8) {
	gate := (*[2]uint64)(unsafe.Pointer(idtAddr + uintptr(v)*16))
	lo := uint64(addr&0xffff) | uint64(codeSelector)<<16 | uint64(ist&7)<<32 | uint64(0x8e)<<40 | uint64(addr>>16&0xffff)<<48
	gate[0], gate[1] = lo, uint64(addr>>32)
}

// codeSelector is the 64-bit code segment of tamago's GDT (entry 1).
const codeSelector = 1 << 3

// Raise executes an instruction that raises the CPU exception kind names,
// for tests of the exception path: "div" (#DE: DIV by 0; Go's own integer
// division checks for 0 before it divides), "ud" (#UD: UD2), "gp" (#GP:
// a load from a non-canonical address), "pf" (#PF: a load from an unmapped
// address, past what Aero maps), "nog" (#UD with the goroutine pointer in
// TLS cleared, as on a CPU before its M runs: the one-line report of
// faultFatal, no panic). It returns only for an unknown kind.
func Raise(kind string) error {
	switch kind {
	case "div":
		raiseDivide()
	case "ud":
		raiseInvalidOpcode()
	case "gp":
		raiseGeneralProtection()
	case "pf":
		_ = *(*uint64)(unsafe.Pointer(uintptr(unmappedAddress)))
	case "nog":
		raiseWithoutG()
	default:
		return fmt.Errorf("platform: no exception %q to raise (want div, ud, gp, pf or nog)", kind)
	}
	return fmt.Errorf("platform: %s did not raise an exception", kind)
}

// unmappedAddress is canonical but past the identity map (mapTop).
const unmappedAddress = 1 << 40

func raiseDivide()
func raiseInvalidOpcode()
func raiseGeneralProtection()
func raiseWithoutG()
