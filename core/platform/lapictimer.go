//go:build tamago && amd64

package platform

import (
	"math/bits"
	"sync/atomic"
	"unsafe"

	"github.com/usbarmory/tamago/amd64"
)

// The local APIC timer: each CPU's own one-shot timer, the one thing in
// Aero that ends a halt at a time (HaltBriefly, SleepM's timed halt) and
// preempts a thread (sched, through ArmLocalTimer). One implementation:
// the mode and rate are chosen once, on the boot CPU.

// The local APIC timer registers and modes (Intel SDM Vol. 3A, 11.5.4,
// Figure 11-8 and Table 11-1; IA32_TSC_DEADLINE in Vol. 4, Table 2-2).
const (
	lapicLVTTimer       = 0x320
	lapicTimerInitial   = 0x380
	lapicTimerCurrent   = 0x390
	lapicTimerDivide    = 0x3e0
	timerDivideBy1      = 0b1011
	lvtMasked           = 1 << 16
	lvtTimerTSCDeadline = 0b10 << 17
	msrTSCDeadline      = 0x6e0
)

// localTimer is how the local APIC timers count, chosen by initLocalTimer
// on the boot CPU (every CPU's APIC is the same model).
var localTimer struct {
	// tscDeadline: the TSC-deadline mode (CPUID 01H:ECX[24]; SDM Vol. 3A,
	// 11.5.4.1), armed with a TSC value; needs a calibrated TSC.
	tscDeadline bool
	// hz is the one-shot mode's count rate at divide-by-1: measured
	// against the TSC, or assumedTimerHz before or without that.
	hz uint64
	// exact: the deadline a timer is armed for is known to be right
	// (TSC-deadline mode, or a measured one-shot rate). A timed halt
	// that must not end late (SleepM) needs it.
	exact bool
}

// assumedTimerHz is the one-shot rate used before initLocalTimer or when
// it cannot measure one: QEMU's 1 GHz APIC timer clock (hardware's bus
// clock is slower, so there a time comes out longer).
const assumedTimerHz = 1_000_000_000

// timerCalibration is how long initLocalTimer counts the one-shot timer.
const timerCalibration = 10_000_000 // ns

// maxLocalTimer bounds one arming (ns): the one-shot count stays within
// its 32 bits at rates up to 1 GHz; a later deadline is armed again after.
const maxLocalTimer = 4_000_000_000

// initLocalTimer chooses the timer mode once the TSC is calibrated
// (StartCPUs runs after Recalibrate), measuring the one-shot rate where
// there is no TSC-deadline mode.
func initLocalTimer() {
	localTimer.hz = assumedTimerHz
	if tscFreq == 0 {
		return
	}
	if Features().TSCDeadline {
		localTimer.tscDeadline = true
		localTimer.exact = true
		return
	}
	// Count down from the top for timerCalibration of TSC time, masked
	// so that it raises nothing.
	lapicWrite(lapicTimerDivide, timerDivideBy1)
	lapicWrite(lapicLVTTimer, lvtMasked|wakeVector)
	lapicWrite(lapicTimerInitial, 0xffffffff)
	start := TSCNanotime()
	for TSCNanotime()-start < timerCalibration {
	}
	left := lapicRead(lapicTimerCurrent)
	took := TSCNanotime() - start
	lapicWrite(lapicTimerInitial, 0)
	if left == 0 || took <= 0 {
		return // wrapped or stood still: keep the assumed rate
	}
	localTimer.hz = uint64(0xffffffff-left) * 1e9 / uint64(took)
	localTimer.exact = localTimer.hz != 0
	if !localTimer.exact {
		localTimer.hz = assumedTimerHz
	}
}

// LocalTimerMode names how ArmLocalTimer counts: "tsc-deadline",
// "one-shot" (a measured rate) or "one-shot-assumed" (before StartCPUs,
// or without a calibrated TSC).
func LocalTimerMode() string {
	switch {
	case localTimer.tscDeadline:
		return "tsc-deadline"
	case localTimer.exact:
		return "one-shot"
	}
	return "one-shot-assumed"
}

// ArmLocalTimer makes the calling CPU's local APIC timer raise vector
// once, ns nanoseconds from now (at least 1; at most maxLocalTimer, after
// which it fires early). It replaces whatever the timer was armed for: one
// timer per CPU, taken in turn by HaltBriefly, SleepM and a scheduler,
// which re-arms it after a halt. To halt until it fires, arm it with
// interrupts off (a timer that fires before the HLT is otherwise taken and
// lost, and the halt never ends): haltFor does. Nosplit, no allocation: for
// interrupt context and code without a g.
//
//go:nosplit
func ArmLocalTimer(vector uint32, ns int64) {
	ns = min(max(ns, 1), maxLocalTimer)
	if localTimer.tscDeadline {
		lapicWrite(lapicLVTTimer, vector|lvtTimerTSCDeadline)
		// The LVT write must come before the deadline write (SDM Vol.
		// 3A, 11.5.4.1): in xAPIC mode it is an MMIO store, which a
		// locked instruction orders before the WRMSR.
		var fence uint32
		atomic.AddUint32(&fence, 1)
		wrmsr(msrTSCDeadline, rdtsc()+ticksIn(uint64(ns), tscFreq))
		return
	}
	n := min(max(ticksIn(uint64(ns), localTimer.hz), 1), 0xffffffff)
	lapicWrite(lapicTimerDivide, timerDivideBy1)
	lapicWrite(lapicLVTTimer, vector) // one-shot, unmasked
	lapicWrite(lapicTimerInitial, uint32(n))
}

// StopLocalTimer disarms the calling CPU's local APIC timer, if it has not
// fired.
//
//go:nosplit
func StopLocalTimer() {
	if localTimer.tscDeadline {
		wrmsr(msrTSCDeadline, 0)
		return
	}
	lapicWrite(lapicTimerInitial, 0)
}

// TimerSpan is how long, in real nanoseconds, to arm the local timer for a
// wait of d nanoseconds of the runtime's clock: d itself while that clock
// is the TSC, at most otherClockSpan on a clock SetClock installed, whose
// rate the platform does not know (seamtest's runs twice as fast), so that
// the waiter looks at its clock again that often.
//
//go:nosplit
func TimerSpan(d int64) int64 {
	if c := clock; c != nil {
		if _, tsc := c.src.(*tscSource); !tsc {
			return min(d, otherClockSpan)
		}
	}
	return d
}

// otherClockSpan bounds a timed halt on a clock other than the TSC (ns).
const otherClockSpan = 1_000_000

// haltFor halts the calling CPU until an interrupt, for at most ns (the
// local timer on the wake vector ends the halt), unless *p is non-zero.
// The timer is armed with interrupts off and *p checked after it: a timer
// that fires before the HLT stays pending and ends it, and an interrupt
// sent after *p was raised does too. Interrupts are on when it returns.
//
//go:nosplit
func haltFor(p *uint32, ns int64) {
	disableInterrupts()
	ArmLocalTimer(wakeVector, ns)
	haltUnless(p) // STI;HLT: a pending interrupt ends the HLT at once
	StopLocalTimer()
}

// ticksIn is how many ticks of a hz clock pass in ns nanoseconds.
//
//go:nosplit
func ticksIn(ns, hz uint64) uint64 {
	hi, lo := bits.Mul64(ns, hz)
	if hi >= 1e9 {
		return 1<<64 - 1
	}
	q, _ := bits.Div64(hi, lo, 1e9)
	return q
}

// lapicRead reads the calling CPU's local APIC register at offset reg (see
// lapicWrite).
//
//go:nosplit
func lapicRead(reg uint32) uint32 {
	if apic.x2APIC != 0 {
		return uint32(rdmsr(0x800 + reg>>4))
	}
	return *(*uint32)(unsafe.Pointer(uintptr(amd64.LAPIC_BASE + reg)))
}
