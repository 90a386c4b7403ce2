//go:build tamago && amd64

package platform

import (
	"math/bits"
	"sync/atomic"
	_ "unsafe" // go:linkname
)

// Entropy for the runtime (its random seed, maphash, crypto/rand through
// goos.GetRandomData). tamago's amd64 package answers with RDRAND
// unconditionally, which raises #UD on processors without it (QEMU's
// qemu64, Nehalem, core2duo, Opteron_G5). The runtime first asks in
// schedinit (randinit), after osinit has run goos.InitRNG (tamago's: it
// sets internal/rng's GetRandomDataFn to RDRAND) and before the heap
// exists. Nothing of Aero's runs between the two but Nanotime (schedinit's
// ticks.init, just before randinit), so Nanotime puts getRandomData in
// tamago's place the first time it sees InitRNG's choice (keepEntropy).
//
// getRandomData then uses, as CPUID says the processor has them: RDRAND,
// else RDSEED, else a generator seeded from TSC jitter (not a cryptographic
// source: EntropyWarning says so on the console).

// rngFn is tamago's internal/rng.GetRandomDataFn, which its
// goos.GetRandomData calls.
//
//go:linkname rngFn github.com/usbarmory/tamago/internal/rng.GetRandomDataFn
var rngFn func([]byte)

// Entropy sources, best first.
const (
	entropyRDRAND = iota + 1
	entropyRDSEED
	entropyJitter
)

var (
	entropySource int // chosen by chooseEntropy, before any reader
	entropyTaken  bool
	// The jitter generator: a seed gathered once, and a counter that
	// makes every draw distinct.
	jitterSeed    [2]uint64
	jitterCounter atomic.Uint64
)

func rdrand64() (v uint64, ok bool)
func rdseed64() (v uint64, ok bool)

// keepEntropy installs getRandomData once goos.InitRNG has run (rngFn is
// nil before). Called from nanotime: nosplit, and a single load once done.
//
//go:nosplit
func keepEntropy() {
	if entropyTaken || rngFn == nil {
		return
	}
	entropyTaken = true
	rngFn = getRandomData
}

// Features returns what CPUID says the boot processor has. The first call
// (from the runtime's first request for random data, before the heap)
// probes; Aero runs on processors of one model, so the BSP speaks for all.
func Features() CPUFeatures {
	if !featuresProbed {
		cpuFeatures = DecodeCPUID(cpuid)
		featuresProbed = true
	}
	return cpuFeatures
}

var (
	cpuFeatures    CPUFeatures
	featuresProbed bool
)

func chooseEntropy() {
	f := Features()
	switch {
	case f.RDRAND:
		entropySource = entropyRDRAND
	case f.RDSEED:
		entropySource = entropyRDSEED
	default:
		entropySource = entropyJitter
		seedJitter()
	}
}

// EntropyWarning says which entropy source the machine has when it is not
// RDRAND; "" with RDRAND. CPUWarnings includes it.
func EntropyWarning() string {
	if entropySource == 0 {
		chooseEntropy()
	}
	switch entropySource {
	case entropyRDSEED:
		return "entropy: the CPU has no RDRAND (CPUID.01H:ECX[30]); random data comes from RDSEED"
	case entropyJitter:
		return "entropy: the CPU has neither RDRAND nor RDSEED; random data (crypto/rand included) comes from a generator seeded from TSC jitter, which is not a cryptographic source"
	}
	return ""
}

// CPUWarnings lists what the boot output should say about the processor's
// features: the entropy source when it is not RDRAND, and a TSC that is not
// invariant on bare metal (the clock is the TSC, calibrated once at boot;
// under a hypervisor the host keeps the guest's TSC rate, so the bit says
// little there and QEMU's models mostly lack it).
func CPUWarnings() []string {
	var w []string
	if e := EntropyWarning(); e != "" {
		w = append(w, e)
	}
	if f := Features(); !f.InvariantTSC && !f.Hypervisor {
		w = append(w, "clock: the TSC is not invariant (CPUID.80000007H:EDX[8]): time may drift when the CPU changes frequency or sleeps")
	}
	return w
}

// getRandomData fills b with random bytes (goos.GetRandomData). It runs
// before the heap exists (randinit): no allocation.
func getRandomData(b []byte) {
	if entropySource == 0 {
		chooseEntropy() // the first caller is the runtime, alone on the BSP
	}
	for len(b) > 0 {
		v := random64()
		for i := 0; i < 8 && len(b) > 0; i++ {
			b[0] = byte(v)
			v >>= 8
			b = b[1:]
		}
	}
}

func random64() uint64 {
	switch entropySource {
	case entropyRDRAND:
		// Intel's DRNG guide (5.2.1) has a caller retry 10 times: a
		// failure after that means a broken unit, not an empty one.
		for range 10 {
			if v, ok := rdrand64(); ok {
				return v
			}
		}
		panic("platform: RDRAND failed 10 times in a row")
	case entropyRDSEED:
		// RDSEED runs dry under load (the DRNG guide, 5.3.1): retry with
		// pauses for a while before calling the unit broken.
		for range 10000 {
			if v, ok := rdseed64(); ok {
				return v
			}
			pauses(32)
		}
		panic("platform: RDSEED failed 10000 times in a row")
	}
	n := jitterCounter.Add(1)
	return mix64(jitterSeed[0]^mix64(n+jitterSeed[1])) ^ mix64(rdtsc())
}

// seedJitter gathers the jitter generator's seed: the low bits of the TSC
// between CPUIDs (serialising, and of uneven length under a hypervisor or
// with caches and interrupts in play), folded through mix64.
func seedJitter() {
	var h [2]uint64
	prev := rdtsc()
	for i := range 512 {
		cpuid(0, 0)
		t := rdtsc()
		d := t - prev
		prev = t
		h[i&1] = mix64(h[i&1] ^ bits.RotateLeft64(d, i%64) ^ t)
	}
	jitterSeed = h
}

// mix64 is the splitmix64 finaliser: a bijection that spreads every input
// bit over the output.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
