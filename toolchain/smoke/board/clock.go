//go:build tamago

package board

import _ "unsafe"

// The clock is the TSC, scaled by a factor measured against the PIT at
// Hwinit1. CPUID's TSC frequency cannot be trusted: under QEMU's TCG it
// reported 2859 Hz. Until calibration, 1 tick counts as 1 ns: wrong but
// monotonic, which is all the runtime needs that early.
var (
	bootScale = tscScale{mult: 1 << 32}
	calScale  tscScale
	// scale is switched once, by one aligned pointer store, while only
	// the BSP runs.
	scale   = &bootScale
	tscFreq uint64
)

//go:linkname nanotime runtime/goos.Nanotime
//go:nosplit
func nanotime() int64 {
	return scale.nanoseconds(rdtsc())
}

// TSCFrequency returns the calibrated TSC frequency in Hz (0 if
// calibration failed and the clock runs on tamago's CPUID estimate).
func TSCFrequency() uint64 { return tscFreq }

// 8254 PIT (Intel 8254 datasheet): channel 0 data port and the mode/command
// register.
const (
	pitChannel0 = 0x40
	pitCommand  = 0x43
	// channel 0, low then high byte, mode 2 (rate generator), binary
	pitCh0Mode2 = 0b00_11_010_0
	// channel 0, counter latch command
	pitCh0Latch = 0b00_00_000_0
)

// calibrationTicks is ~50 ms of PIT time: long enough that the cost of a
// port read under TCG is lost in it, short enough not to slow the boot.
const calibrationTicks = PITHz / 20

// calibrationTimeout bounds calibration in TSC ticks (2^35: ~10 s at
// 3 GHz) in case there is no PIT (microvm,pit=off): its ports read 0xff.
const calibrationTimeout = 1 << 35

// minPlausibleHz is the slowest TSC believed: CPUID under TCG reports
// thousands of Hz.
const minPlausibleHz = 100e6

func calibrateClock() {
	hz := measureTSC()
	if hz == 0 {
		// No PIT: take CPUID's figure if it is plausible for a CPU made
		// this century, else guess 1 GHz. Either way time will be off.
		hz = uint64(CPU.Freq())
		if hz < minPlausibleHz {
			hz = 1e9
		}
		print("board: PIT calibration failed; assuming a ", hz, " Hz TSC\n")
	} else {
		tscFreq = hz
	}
	// Only the BSP runs yet, and interrupts do not read the clock: the
	// old scale is not in use while the new one is made.
	calScale = scale.rebase(rdtsc(), hz)
	scale = &calScale
	// Keep tamago's own clock (CPU.GetTime, CPU.SetAlarm) in step.
	CPU.TimerMultiplier = 1e9 / float64(hz)
	CPU.SetTime(nanotime())
}

// measureTSC counts TSC ticks over calibrationTicks of the free-running PIT
// channel 0, polled through latch commands. (Channel 2 is gated through
// port 0x61, which microvm does not have.) Returns 0 on failure.
func measureTSC() uint64 {
	outb(pitCommand, pitCh0Mode2)
	outb(pitChannel0, 0) // reload value 0 means 65536
	outb(pitChannel0, 0)

	start := rdtsc()
	prev := readPIT()
	for {
		c := readPIT()
		if c != prev {
			prev = c
			break
		}
		if rdtsc()-start > calibrationTimeout {
			return 0
		}
	}
	t0 := rdtsc()
	var ticks uint64
	for ticks < calibrationTicks {
		c := readPIT()
		ticks += pitElapsed(prev, c)
		prev = c
		if rdtsc()-start > calibrationTimeout {
			return 0
		}
	}
	return tscHz(rdtsc()-t0, ticks)
}

func readPIT() uint16 {
	outb(pitCommand, pitCh0Latch)
	lo := inb(pitChannel0)
	hi := inb(pitChannel0)
	return uint16(hi)<<8 | uint16(lo)
}
