//go:build tamago && amd64

package platform

import (
	"math/bits"
	_ "unsafe" // go:linkname
)

// The clock is the TSC, scaled by a factor measured against a reference
// timer. CPUID's TSC frequency cannot be trusted: under QEMU's TCG it
// reported 2859 Hz. Until calibration, 1 tick counts as 1 ns: wrong but
// monotonic, which is all the runtime needs that early.
var (
	bootScale = tscScale{mult: 1 << 32}
	calScale  [2]tscScale
	// scale is switched by one aligned pointer store.
	scale   = &bootScale
	tscFreq uint64
	// clockRef names what the TSC was calibrated against.
	clockRef = "none"
)

// The runtime's time (goos.Nanotime, nanotime below) is the TSC until
// SetClock installs another source; from then on it is that source, shifted
// so that time goes on from where it was (see SetClock).

// clock is nil while the runtime's time is the TSC.
var clock *clockState

//go:linkname nanotime runtime/goos.Nanotime
//go:nosplit
func nanotime() int64 {
	keepEntropy() // see entropy.go: the runtime's first time, before its first random data
	c := clock
	if c == nil {
		return TSCNanotime()
	}
	return c.now()
}

// TSCNanotime is the calibrated TSC in nanoseconds since boot: the default
// clock, and a base for clocks built on it. It keeps the TimeSource rules.
//
//go:nosplit
func TSCNanotime() int64 {
	return scale.nanoseconds(rdtsc())
}

// SetClock makes src the runtime's time from now on, continuous with the
// time before: src's readings are shifted by what the previous clock said
// at the switch minus what src said, so neither a jump forward nor one back
// is seen (time then advances at src's rate). nil goes back to the TSC,
// continuous the same way.
func SetClock(src TimeSource) {
	if src == nil {
		src = &tscSource{}
	}
	clock = switchTo(src, nanotime())
}

// tscSource is the TSC as a TimeSource (used by pointer: see TimeSource).
type tscSource struct{}

//go:nosplit
func (*tscSource) Nanotime() int64 { return TSCNanotime() }

// TSCFrequency returns the calibrated TSC frequency in Hz, 0 when no
// reference timer was found.
func TSCFrequency() uint64 { return tscFreq }

// ClockReference names the timer the TSC was calibrated against: "pit",
// "hpet", "pmtimer", or "none".
func ClockReference() string { return clockRef }

// minPlausibleHz is the slowest TSC believed: CPUID under TCG reports
// thousands of Hz.
const minPlausibleHz = 100e6

// setTSC makes hz the TSC frequency from now on, keeping the clock
// continuous. Called while only the BSP runs.
func setTSC(hz uint64, ref string) {
	next := &calScale[0]
	if scale == next {
		next = &calScale[1]
	}
	*next = scale.rebase(rdtsc(), hz)
	scale = next
	tscFreq, clockRef = hz, ref
	// Keep tamago's own clock (CPU.GetTime, CPU.SetAlarm) in step.
	CPU.TimerMultiplier = 1e9 / float64(hz)
	CPU.SetTime(TSCNanotime())
}

// calibrateClock measures the TSC against the PIT at Hwinit1, before ACPI
// says which better timers exist (see Recalibrate).
func calibrateClock() {
	if hz := measurePIT(); hz != 0 {
		setTSC(hz, "pit")
		return
	}
	hz := uint64(CPU.Freq())
	if hz < minPlausibleHz {
		hz = 1e9
	}
	print("aero: no PIT to calibrate the TSC; assuming ", hz, " Hz\n")
	setTSC(hz, "none")
}

// 8254 PIT (Intel 8254 datasheet): channel 0 data port and the mode/command
// register.
const (
	pitChannel0 = 0x40
	pitCommand  = 0x43
	pitCh0Mode2 = 0b00_11_010_0 // channel 0, lobyte/hibyte, mode 2, binary
	pitCh0Latch = 0b00_00_000_0 // channel 0 counter latch
)

// calibrationTicks is ~20 ms of PIT time, one of countTSC's windows: long
// enough that a reading's bracket (a few port accesses under TCG) is lost
// in it, short enough that three do not slow the boot.
const calibrationTicks = PITHz / 50

// calibrationTimeout bounds calibration in TSC ticks (2^35: ~10 s at
// 3 GHz) in case there is no PIT (microvm,pit=off): its ports read 0xff.
const calibrationTimeout = 1 << 35

// measurePIT counts TSC ticks over calibrationTicks of the free-running PIT
// channel 0, polled through latch commands (channel 2 is gated through port
// 0x61, which microvm lacks). Returns 0 on failure.
func measurePIT() uint64 {
	outb(pitCommand, pitCh0Mode2)
	outb(pitChannel0, 0) // reload value 0 means 65536
	outb(pitChannel0, 0)
	read := func() uint64 { return uint64(readPIT()) }
	elapsed := func(prev, cur uint64) uint64 { return pitElapsed(uint16(prev), uint16(cur)) }
	dtsc, ticks, ok := countTSC(read, elapsed, calibrationTicks, 1<<16)
	if !ok {
		return 0
	}
	return tscHz(dtsc, ticks)
}

// calibrationRounds is how many windows countTSC measures; it keeps the
// median rate.
const calibrationRounds = 3

// countTSC counts TSC ticks while a reference counter advances want ticks,
// calibrationRounds times, and returns the window of median rate (TSC
// ticks and reference ticks), or ok false when the reference did not count
// within calibrationTimeout TSC ticks. wrap is the reference's range in
// ticks (0: it does not wrap within a window); elapsed turns two readings
// into ticks (a down-counter, a wrap).
//
// Under TCG the host can take a virtual CPU away for milliseconds at any
// point; measured once, with the TSC read after the reference, a soak
// boot on a loaded host calibrated 2763 MHz for 2450 (its 2 s sleeps took
// 2.26 s). So every reading is bracketed by two TSC reads and a window
// only starts or ends on a reading whose bracket is narrow; a window in
// which the reference may have wrapped unseen is measured again; and the
// median of the windows is kept, which one disturbed window cannot move.
func countTSC(read func() uint64, elapsed func(prev, cur uint64) uint64, want, wrap uint64) (dtsc, ticks uint64, ok bool) {
	var w [calibrationRounds]struct{ dtsc, ticks uint64 }
	start := rdtsc()
	for i := 0; i < len(w); {
		d, t, res := countWindow(read, elapsed, want, wrap, start)
		switch res {
		case windowTimeout:
			return 0, 0, false
		case windowOK:
			w[i].dtsc, w[i].ticks = d, t
			i++
		}
	}
	// Sort by rate, dtsc/ticks, comparing cross products (128 bits).
	less := func(a, b int) bool {
		ahi, alo := bits.Mul64(w[a].dtsc, w[b].ticks)
		bhi, blo := bits.Mul64(w[b].dtsc, w[a].ticks)
		return ahi < bhi || ahi == bhi && alo < blo
	}
	for i := 1; i < len(w); i++ {
		for j := i; j > 0 && less(j, j-1); j-- {
			w[j], w[j-1] = w[j-1], w[j]
		}
	}
	m := w[len(w)/2]
	return m.dtsc, m.ticks, true
}

// Outcomes of countWindow.
const (
	windowOK = iota
	windowAgain
	windowTimeout
)

// narrowBracket is how much wider than the narrowest seen a reading's
// bracket of TSC reads may be and still time a window's start or end.
const narrowBracket = 4

// countWindow measures one window of countTSC: from the first reading
// that sees the reference change to the first at or past want ticks, each
// with a narrow bracket, timed at the bracket's middle. It asks for
// another window (windowAgain) when two readings lie so far apart, by the
// rate measured so far, that a wrapping reference may have wrapped
// between them.
func countWindow(read func() uint64, elapsed func(prev, cur uint64) uint64, want, wrap, start uint64) (dtsc, ticks uint64, res int) {
	minBracket := ^uint64(0)
	reading := func() (v, before, after uint64) {
		before = rdtsc()
		v = read()
		after = rdtsc()
		minBracket = min(minBracket, after-before)
		return v, before, after
	}
	narrow := func(before, after uint64) bool { return after-before <= narrowBracket*minBracket }
	prev, _, _ := reading()
	var t0, last uint64
	for {
		c, b, a := reading()
		if a-start > calibrationTimeout {
			return 0, 0, windowTimeout
		}
		if c != prev {
			prev = c
			if narrow(b, a) {
				t0, last = b+(a-b)/2, a
				break
			}
		}
	}
	for {
		c, b, a := reading()
		if a-start > calibrationTimeout {
			return 0, 0, windowTimeout
		}
		ticks += elapsed(prev, c)
		prev = c
		if wrap != 0 && ticks > 0 {
			// TSC ticks per reference tick so far, against the gap
			// since the last reading: half a wrap is the most that
			// elapsed can be trusted to have seen.
			if gap := b - last; ticks >= 64 && gap/(wrap/2) > (b-t0)/ticks {
				return 0, 0, windowAgain
			}
		}
		last = a
		if ticks >= want && narrow(b, a) {
			return b + (a-b)/2 - t0, ticks, windowOK
		}
	}
}

func readPIT() uint16 {
	outb(pitCommand, pitCh0Latch)
	lo := inb(pitChannel0)
	hi := inb(pitChannel0)
	return uint16(hi)<<8 | uint16(lo)
}
