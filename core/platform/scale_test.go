package platform

import (
	"math"
	"testing"
)

func TestMultFor(t *testing.T) {
	for _, hz := range []uint64{1e9, 2_999_999_000, 3_700_000_000, 1_193_182, 100e6} {
		s := tscScale{mult: multFor(hz)}
		// One second of ticks must read one second, to within 1 ns per
		// 2^32 ns of rounding in mult.
		got := s.nanoseconds(hz)
		if math.Abs(float64(got)-1e9) > 2 {
			t.Errorf("%d Hz: %d ticks read %d ns", hz, hz, got)
		}
		// A day of ticks stays accurate (no overflow in the product).
		day := hz * 86400
		if got := s.nanoseconds(day); math.Abs(float64(got)-86400e9) > 86400*2 {
			t.Errorf("%d Hz: a day reads %d ns", hz, got)
		}
	}
}

func TestRebaseIsContinuous(t *testing.T) {
	boot := tscScale{mult: 1 << 32} // 1 tick = 1 ns before calibration
	at := uint64(5_000_000_000)
	cal := boot.rebase(at, 2_500_000_000)
	if b, c := boot.nanoseconds(at), cal.nanoseconds(at); b != c {
		t.Fatalf("clock jumps at rebase: %d -> %d", b, c)
	}
	if d := cal.nanoseconds(at+2_500_000_000) - cal.nanoseconds(at); math.Abs(float64(d)-1e9) > 2 {
		t.Errorf("one second after rebase reads %d ns", d)
	}
}

func TestTSCHz(t *testing.T) {
	// 50 ms of PIT ticks (59659) against a 3 GHz TSC.
	ticks := uint64(59659)
	dtsc := uint64(3e9) * ticks / PITHz
	if hz := tscHz(dtsc, ticks); math.Abs(float64(hz)-3e9) > 3e9*1e-6 {
		t.Errorf("tscHz = %d, want 3e9", hz)
	}
	if tscHz(1, 0) != 0 || tscHz(math.MaxUint64, 1) != 0 {
		t.Error("degenerate inputs must give 0")
	}
}

func TestPITElapsed(t *testing.T) {
	for _, c := range []struct {
		prev, cur uint16
		want      uint64
	}{{100, 40, 60}, {10, 0, 10}, {5, 65530, 11}, {0, 65535, 1}, {7, 7, 0}} {
		if got := pitElapsed(c.prev, c.cur); got != c.want {
			t.Errorf("pitElapsed(%d, %d) = %d, want %d", c.prev, c.cur, got, c.want)
		}
	}
}

func TestScaleHz(t *testing.T) {
	// HPET at 100 MHz (10 ns = 1e7 fs), 50 ms: 5e6 ticks; a 2.6 GHz TSC
	// advances 1.3e8.
	if got := scaleHz(130_000_000, 5_000_000, 10_000_000); got != 2_600_000_000 {
		t.Errorf("HPET: %d Hz, want 2.6e9", got)
	}
	// PM timer, 50 ms = 178977 ticks of 279365 fs.
	got := scaleHz(130_000_000, 178977, 1_000_000_000_000_000/3579545)
	if got < 2_599_000_000 || got > 2_601_000_000 {
		t.Errorf("PM timer: %d Hz, want 2.6e9 within 0.05%%", got)
	}
	if scaleHz(1, 0, 1) != 0 || scaleHz(1, 1, 0) != 0 {
		t.Error("zero reference should give 0")
	}
}

func TestKVMTSCHz(t *testing.T) {
	// Round trip: hz ticks, converted as the guest converts, are 1e9 ns.
	for _, c := range []struct {
		mul   uint32
		shift int8
	}{{0x80000000, 0}, {0xcccccccd, -1}, {0x9502f900, 1}} {
		hz := kvmTSCHz(c.mul, c.shift)
		d := hz
		if c.shift >= 0 {
			d <<= uint(c.shift)
		} else {
			d >>= uint(-c.shift)
		}
		ns := (d * uint64(c.mul)) >> 32
		if ns < 999_999_000 || ns > 1_000_001_000 {
			t.Errorf("mul %#x shift %d: %d Hz converts one second to %d ns", c.mul, c.shift, hz, ns)
		}
	}
	if kvmTSCHz(0, 0) != 0 {
		t.Error("mul 0 should give 0")
	}
}
