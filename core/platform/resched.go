//go:build tamago && amd64

package platform

// The primitives a scheduler that switches threads itself (sched) needs
// beyond the one-M-per-CPU ones of smp.go: all nosplit, for code without
// a g or in interrupt context.

// IPI sends the fixed interrupt vector to the CPU with index cpu
// (CPUIndex's numbering): a scheduler's reschedule IPI, which ends a halt
// there (HaltUnless) so that the CPU looks at its run queue again. An
// index that is not a CPU that is up is ignored. Interrupt-safe: no
// allocation, no lock.
//
//go:nosplit
func IPI(cpu int, vector uint32) {
	if cpu >= 0 && cpu < cpuIDs.len() {
		sendIPI(cpuIDs.id(cpu), vector)
	}
}

// HaltUnless halts the calling CPU until the next interrupt, unless *p is
// non-zero, checked with interrupts off so that an interrupt sent after *p
// was raised still ends the halt (see haltUnless).
//
//go:nosplit
func HaltUnless(p *uint32) { haltUnless(p) }

// DisableInterrupts clears IF on the calling CPU and returns RFLAGS as it
// was, for RestoreInterrupts.
//
//go:nosplit
func DisableInterrupts() uint64 { return disableInterrupts() }

// RestoreInterrupts sets IF again if flags (from DisableInterrupts) had
// it, so that nested callers compose.
//
//go:nosplit
func RestoreInterrupts(flags uint64) { restoreInterrupts(flags) }

// lapicEOIRegister is the local APIC's EOI register (SDM Vol. 3A,
// Table 11-1).
const lapicEOIRegister = 0x0b0

// EOI ends, on the calling CPU's local APIC, the highest-priority
// interrupt in service (SDM Vol. 3A, 11.8.5): for a handler of a vector
// above every device vector (Aero's scheduler vectors, 0xf0 and up), that
// is its own, even while a device interrupt waits for the boot CPU's EOI
// (see endOfInterrupt).
//
//go:nosplit
func EOI() { lapicWrite(lapicEOIRegister, 0) }
