package platform

import "math/bits"

// PITHz is the input clock of the 8254 PIT: 1.193182 MHz
// (Intel 8254 datasheet; the PC's 14.31818 MHz crystal divided by 12).
const PITHz = 1193182

// tscScale turns TSC readings into nanoseconds: ns = base + (tsc-tsc0)*mult
// / 2^32. A multiply and a shift keep Nanotime short enough to be nosplit.
type tscScale struct {
	base int64  // nanoseconds at tsc0
	tsc0 uint64 // TSC at base
	mult uint64 // nanoseconds per tick, 32.32 fixed point
}

// nanoseconds converts a TSC reading taken at or after s.tsc0.
//
//go:nosplit
func (s *tscScale) nanoseconds(tsc uint64) int64 {
	hi, lo := bits.Mul64(tsc-s.tsc0, s.mult)
	return s.base + int64(hi<<32|lo>>32)
}

// rebase returns a scale for a TSC of hz that agrees with s at tsc, so the
// clock goes on from where it was instead of jumping.
func (s *tscScale) rebase(tsc, hz uint64) tscScale {
	return tscScale{base: s.nanoseconds(tsc), tsc0: tsc, mult: multFor(hz)}
}

// multFor is the 32.32 fixed-point nanoseconds per tick of a hz clock.
func multFor(hz uint64) uint64 {
	q, _ := bits.Div64(1e9>>32, 1e9<<32, hz) // (1e9 << 32) / hz, 1e9<<32 fits in 64 bits
	return q
}

// tscHz is the TSC frequency from dtsc TSC ticks seen over pitTicks PIT ticks.
func tscHz(dtsc, pitTicks uint64) uint64 {
	if pitTicks == 0 {
		return 0
	}
	hi, lo := bits.Mul64(dtsc, PITHz)
	if hi >= pitTicks {
		return 0 // overflow: no real clock is that fast
	}
	q, _ := bits.Div64(hi, lo, pitTicks)
	return q
}

// pitElapsed counts the ticks a free-running PIT down-counter advanced from
// prev to cur, across at most one wrap of its 16-bit range.
func pitElapsed(prev, cur uint16) uint64 {
	return uint64(prev - cur)
}

// scaleHz is the frequency of a counter that advanced dtsc while a
// reference advanced ticks ticks of periodFS femtoseconds each.
func scaleHz(dtsc, ticks, periodFS uint64) uint64 {
	if ticks == 0 || periodFS == 0 {
		return 0
	}
	// hz = dtsc / (ticks * periodFS / 1e15) = dtsc * 1e15 / (ticks * periodFS)
	hi, lo := bits.Mul64(dtsc, 1_000_000_000_000_000)
	dhi, dlo := bits.Mul64(ticks, periodFS)
	if dhi != 0 {
		// Reference span beyond 2^64 fs (5 hours): scale both down.
		shift := uint(64 - bits.LeadingZeros64(dhi))
		dlo = dlo>>shift | dhi<<(64-shift)
		lo = lo>>shift | hi<<(64-shift)
		hi >>= shift
	}
	if hi >= dlo {
		return 0
	}
	q, _ := bits.Div64(hi, lo, dlo)
	return q
}

// kvmTSCHz is the TSC frequency a KVM pvclock describes: the guest converts
// TSC deltas to nanoseconds as ((delta << shift) * mul) >> 32 (shift may be
// negative: a right shift), so one second is 1e9 * 2^32 / mul ticks before
// the shift.
func kvmTSCHz(mul uint32, shift int8) uint64 {
	if mul == 0 {
		return 0
	}
	hz := (uint64(1e9) << 32) / uint64(mul)
	if shift >= 0 {
		return hz >> uint(shift)
	}
	return hz << uint(-shift)
}
