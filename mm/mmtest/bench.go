//go:build tamago && amd64

package mmtest

import (
	"slices"
	"time"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/ktest"
)

// BenchLine starts each line of figures mm/bench logs: "mm-bench:
// size=<bytes> cpus=<n> mm=<ns> heap=<ns>", the ns per Alloc+Free of mm
// (on the calling CPU's node) and per make([]byte, size) from the Go
// heap, each on one CPU or on all at once (per CPU: wall time over the
// operations each CPU did).
const BenchLine = "mm-bench:"

// sinks keep the Go heap's slices reachable until overwritten, one per
// CPU, so that make is not optimised away.
var sinks [256][]byte

// benchmark measures mm against the Go heap, same sizes, same kernel.
func benchmark(t *ktest.T) {
	k := core.Running()
	if _, all, names := k.Cmdline.Tests(); all || !slices.Contains(names, "mm/bench") {
		t.Skip("a benchmark: runs only when named (test=mm/bench)")
	}
	m, _ := setup(t)
	ncpu := len(k.CPUs)
	if ncpu > len(sinks) {
		t.Fatalf("%d CPUs, room for %d", ncpu, len(sinks))
	}
	for _, c := range []struct{ size, n int }{{4 << 10, 20000}, {2 << 20, 200}} {
		mmOp := func(int) error {
			for range c.n {
				b, err := m.Alloc(c.size, -1)
				if err != nil {
					return err
				}
				if err := m.Free(b); err != nil {
					return err
				}
			}
			return nil
		}
		heapOp := func(i int) error {
			for range c.n {
				sinks[i] = make([]byte, c.size)
			}
			return nil
		}
		one := func(op func(int) error) time.Duration {
			start := time.Now()
			if err := op(0); err != nil {
				t.Fatal(err)
			}
			return time.Since(start) / time.Duration(c.n)
		}
		// every runs op on all CPUs at once and returns the slowest
		// CPU's time per op (core.OnEveryCPU runs a round again when a
		// goroutine moved, so each CPU times its own op).
		every := func(op func(int) error) time.Duration {
			errs := make([]error, ncpu)
			took := make([]time.Duration, ncpu)
			_, err := core.OnEveryCPU(func(i int) {
				start := time.Now()
				errs[i] = op(i)
				took[i] = time.Since(start)
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range errs {
				if e != nil {
					t.Fatal(e)
				}
			}
			return slices.Max(took) / time.Duration(c.n)
		}
		t.Logf("%s size=%d cpus=1 mm=%d heap=%d", BenchLine, c.size, one(mmOp).Nanoseconds(), one(heapOp).Nanoseconds())
		t.Logf("%s size=%d cpus=%d mm=%d heap=%d", BenchLine, c.size, ncpu, every(mmOp).Nanoseconds(), every(heapOp).Nanoseconds())
	}
	clear(sinks[:])
}
