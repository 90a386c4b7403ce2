//go:build tamago && amd64

package selftest

import (
	"bytes"
	"crypto/rand"
	"math/bits"

	"github.com/aerokernel/aero/core/ktest"
	"github.com/aerokernel/aero/core/platform"
)

func init() { ktest.Register("cpu/entropy", testEntropy) }

// testEntropy reads crypto/rand, which ends in the platform's entropy
// source (RDRAND, RDSEED or the TSC-jitter generator, as CPUID allows):
// two reads differ, and over 64 KiB every bit position is set about half
// the time (a stuck or short-cycled source fails; this is no test of
// cryptographic quality).
func testEntropy(t *ktest.T) {
	f := platform.Features()
	t.Logf("CPU features: %v", f.Names())
	if w := platform.EntropyWarning(); w != "" {
		t.Logf("%s", w)
	} else if !f.RDRAND {
		t.Errorf("no entropy warning, but CPUID has no RDRAND")
	}
	a, b := make([]byte, 32), make([]byte, 32)
	rand.Read(a)
	rand.Read(b)
	if bytes.Equal(a, b) {
		t.Fatalf("two 32-byte reads of crypto/rand are equal: %x", a)
	}
	buf := make([]byte, 64<<10)
	rand.Read(buf)
	var ones [64]int
	for i := 0; i+8 <= len(buf); i += 8 {
		var w uint64
		for j := range 8 {
			w |= uint64(buf[i+j]) << (8 * j)
		}
		for w != 0 {
			k := bits.TrailingZeros64(w)
			ones[k]++
			w &^= 1 << k
		}
	}
	// 8192 words: a fair bit is set 4096 ± 64 (one sigma) times; allow
	// eight sigmas.
	for k, n := range ones {
		if n < 4096-512 || n > 4096+512 {
			t.Errorf("bit %d of 64 was set in %d of 8192 words, want about 4096", k, n)
		}
	}
}
