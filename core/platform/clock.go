//go:build tamago && amd64

package platform

import _ "unsafe" // go:linkname

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

// calibrationTicks is ~50 ms of PIT time: long enough that the cost of a
// port read under TCG is lost in it, short enough not to slow the boot.
const calibrationTicks = PITHz / 20

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
	dtsc, ticks, ok := countTSC(read, elapsed, calibrationTicks)
	if !ok {
		return 0
	}
	return tscHz(dtsc, ticks)
}

// countTSC counts TSC ticks while a reference counter advances want ticks:
// it waits for the counter to change, so counting starts on a tick edge,
// then reads it until want ticks have passed; elapsed turns two readings
// into ticks (a down-counter, a wrap). It returns the TSC ticks and the
// reference ticks counted, or ok false when the reference did not count
// within calibrationTimeout TSC ticks.
func countTSC(read func() uint64, elapsed func(prev, cur uint64) uint64, want uint64) (dtsc, ticks uint64, ok bool) {
	start := rdtsc()
	prev := read()
	for {
		c := read()
		if c != prev {
			prev = c
			break
		}
		if rdtsc()-start > calibrationTimeout {
			return 0, 0, false
		}
	}
	t0 := rdtsc()
	for ticks < want {
		c := read()
		ticks += elapsed(prev, c)
		prev = c
		if rdtsc()-start > calibrationTimeout {
			return 0, 0, false
		}
	}
	return rdtsc() - t0, ticks, true
}

func readPIT() uint16 {
	outb(pitCommand, pitCh0Latch)
	lo := inb(pitChannel0)
	hi := inb(pitChannel0)
	return uint16(hi)<<8 | uint16(lo)
}
