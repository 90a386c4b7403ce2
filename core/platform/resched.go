//go:build tamago && amd64

package platform

import "sync/atomic"

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

// The local APIC's timer LVT modes and registers (Intel SDM Vol. 3A,
// 11.5.1, Figure 11-8; 11.5.4.1 for TSC-deadline mode).
const (
	lvtTimerTSCDeadline = 0b10 << 17
	lapicEOIRegister    = 0x0b0
	msrTSCDeadline      = 0x6e0 // IA32_TSC_DEADLINE
)

// apicTimerHz is the local APIC timer's input clock that ArmLocalTimer's
// one-shot mode assumes: QEMU's 1 GHz (see wakeTicks). It is not
// calibrated: on hardware the clock is the bus clock, and the time longer.
const apicTimerHz = 1_000_000_000

// ArmLocalTimer makes the calling CPU's local APIC timer raise vector
// once, ns nanoseconds from now (0 < ns <= 1 s): in TSC-deadline mode when
// tscDeadline (CPUFeatures.TSCDeadline: the deadline is the TSC, so the
// time is exact), else one-shot at divide-by-1 counting apicTimerHz. It
// takes the timer from HaltBriefly, which takes it back in turn: a
// scheduler re-arms it after a halt. Nosplit, no allocation: for interrupt
// context and code without a g.
//
//go:nosplit
func ArmLocalTimer(vector uint32, ns int64, tscDeadline bool) {
	if ns < 1 {
		ns = 1
	}
	if ns > 1_000_000_000 {
		ns = 1_000_000_000
	}
	if tscDeadline {
		lapicWrite(lapicLVTTimer, vector|lvtTimerTSCDeadline)
		// The LVT write must be done before the deadline write (SDM
		// Vol. 3A, 11.5.4.1): in xAPIC mode it is an MMIO store, which
		// a locked instruction orders.
		var fence uint32
		atomic.AddUint32(&fence, 1)
		wrmsr(msrTSCDeadline, rdtsc()+uint64(ns)*tscFreq/1_000_000_000)
		return
	}
	lapicWrite(lapicTimerDivide, timerDivideBy1)
	lapicWrite(lapicLVTTimer, vector) // one-shot, unmasked
	lapicWrite(lapicTimerInitial, uint32(uint64(ns)*apicTimerHz/1_000_000_000))
}

// EOI ends, on the calling CPU's local APIC, the highest-priority
// interrupt in service (SDM Vol. 3A, 11.8.5): for a handler of a vector
// above every device vector (Aero's scheduler vectors, 0xf0 and up), that
// is its own, even while a device interrupt waits for the boot CPU's EOI
// (see endOfInterrupt).
//
//go:nosplit
func EOI() { lapicWrite(lapicEOIRegister, 0) }
