//go:build tamago && amd64

package platform

import (
	"math/bits"
	"unsafe"

	"github.com/usbarmory/tamago/amd64"
)

// The timed halt: a thread that sleeps until a deadline (SleepM) halts its
// CPU until then, woken by the CPU's local APIC timer on the wake-up vector,
// instead of polling the clock. An idle kernel's CPUs then cost the host
// nothing between timers (under TCG a polling virtual CPU takes a host
// core).

// wakeTimer is how the local APIC timers end a timed halt, chosen once on
// the boot CPU (initWakeTimer); every CPU's APIC is the same model.
var wakeTimer struct {
	// tscDeadline: the APIC timer's TSC-deadline mode (CPUID 01H:ECX[24];
	// Intel SDM Vol. 3A, 11.5.4.1), armed with a TSC value.
	tscDeadline bool
	// apicHz is the one-shot mode's count rate at divide-by-1, measured
	// against the TSC, where there is no TSC-deadline mode; 0 when
	// neither mode can be used (no calibrated TSC): timed sleeps poll.
	apicHz uint64
}

// The local APIC timer registers and modes (Intel SDM Vol. 3A, 11.5.4,
// Figure 11-8; Table 11-1; IA32_TSC_DEADLINE in Vol. 4, Table 2-2).
const (
	lapicTimerCurrent   = 0x390
	lvtMasked           = 1 << 16
	lvtTimerTSCDeadline = 0b10 << 17
	msrTSCDeadline      = 0x6e0
)

// maxTimedHalt bounds one timed halt (ns): a later deadline halts again
// after it, which keeps the one-shot count within its 32 bits at up to
// 1 GHz and costs an idle CPU one wake-up every few seconds.
const maxTimedHalt = 4_000_000_000

// apicCalibration is how long initWakeTimer counts the one-shot timer.
const apicCalibration = 10_000_000 // ns

// initWakeTimer chooses the wake timer on the boot CPU, once the TSC is
// calibrated (StartCPUs runs after Recalibrate).
func initWakeTimer() {
	if tscFreq == 0 {
		return
	}
	if Features().TSCDeadline {
		wakeTimer.tscDeadline = true
		return
	}
	// Count the one-shot timer down from its top for apicCalibration of
	// TSC time, masked so that it raises nothing.
	lapicWrite(lapicTimerDivide, timerDivideBy1)
	lapicWrite(lapicLVTTimer, lvtMasked|wakeVector)
	lapicWrite(lapicTimerInitial, 0xffffffff)
	start := TSCNanotime()
	for TSCNanotime()-start < apicCalibration {
	}
	left := lapicRead(lapicTimerCurrent)
	took := TSCNanotime() - start
	lapicWrite(lapicTimerInitial, 0)
	if left == 0 || took <= 0 {
		return // wrapped or stood still: no usable rate
	}
	wakeTimer.apicHz = uint64(0xffffffff-left) * 1e9 / uint64(took)
}

// armWakeTimer arms the calling CPU's local APIC timer to raise the wake-up
// vector when Nanotime reaches deadline (or after maxTimedHalt). It returns
// false when the deadline has passed or no timer can be used.
//
//go:nosplit
func armWakeTimer(deadline int64) bool {
	d := deadline - nanotime()
	if d <= 0 {
		return false
	}
	d = min(d, maxTimedHalt)
	switch {
	case wakeTimer.tscDeadline:
		// Writing the LVT first: a mode change disarms the timer, and
		// the MSR write arms it (SDM Vol. 3A, 11.5.4.1).
		lapicWrite(lapicLVTTimer, lvtTimerTSCDeadline|wakeVector)
		wrmsr(msrTSCDeadline, rdtsc()+ticksIn(uint64(d), tscFreq))
	case wakeTimer.apicHz != 0:
		n := max(ticksIn(uint64(d), wakeTimer.apicHz), 1)
		lapicWrite(lapicTimerDivide, timerDivideBy1)
		lapicWrite(lapicLVTTimer, wakeVector) // one-shot, unmasked
		lapicWrite(lapicTimerInitial, uint32(min(n, 0xffffffff)))
	default:
		return false
	}
	return true
}

// disarmWakeTimer stops the calling CPU's wake timer, if it has not fired.
//
//go:nosplit
func disarmWakeTimer() {
	if wakeTimer.tscDeadline {
		wrmsr(msrTSCDeadline, 0)
		return
	}
	lapicWrite(lapicTimerInitial, 0)
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
