package checks

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
)

// preemptLimit is how long checkPreempt's spinner spins at most: without
// preemption it holds the only P that long, and the check fails.
const preemptLimit = 20 * time.Second

// checkPreempt runs, with GOMAXPROCS(1), a goroutine that spins in a loop
// making calls, and then another that forces a collection: the second
// must run, and the collection complete, while the first still spins.
// Only sysmon makes that happen, preempting the spinner after its 10 ms
// slice at one of its calls; a goroutine that never blocks otherwise keeps
// its P, and the collection's mark workers and the second goroutine wait
// behind it.
//
// On a kernel whose threads are one per CPU, sysmon's rounds run on the
// time of an M that waits idle for a P, and the M waiting in the poller
// (for the next timer or an interrupt) is not one: the check needs a CPU
// for the goroutines' P, one for the poller and one for sysmon.
func checkPreempt(env *Env) (string, error) {
	if env.NoSysmon {
		return "", fmt.Errorf("%w: no sysmon (no thread hooks installed: core's default scheduler)", ErrSkip)
	}
	if env.CPUs < 3 {
		return "", fmt.Errorf("%w: %d CPUs; with one thread per CPU sysmon needs an idle M beside the poller's (3 CPUs)", ErrSkip, env.CPUs)
	}
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)

	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	var stop atomic.Bool
	var spins atomic.Uint64
	spun := make(chan time.Duration, 1)
	go func() {
		// time.Since is the loop's call: its prologue's stack check
		// is where a preemption request takes effect.
		for !stop.Load() && time.Since(start) < preemptLimit {
			spins.Add(1)
		}
		spun <- time.Since(start)
	}()
	// Let the spinner take the P, then queue the collector behind it.
	runtime.Gosched()
	collected := make(chan time.Duration, 1)
	go func() {
		runtime.GC()
		collected <- time.Since(start)
	}()
	gcTook := <-collected
	stop.Store(true)
	spinTook := <-spun
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if gcTook >= preemptLimit || spinTook >= preemptLimit {
		return "", fmt.Errorf("the collection finished after %v and the spinner stopped after %v: the spinner was not preempted (limit %v)",
			gcTook.Round(time.Millisecond), spinTook.Round(time.Millisecond), preemptLimit)
	}
	if after.NumGC <= before.NumGC {
		return "", fmt.Errorf("runtime.GC returned but NumGC stayed %d", after.NumGC)
	}
	if spins.Load() == 0 {
		return "", fmt.Errorf("the spinner never ran")
	}
	return fmt.Sprintf("gc_done_after=%v spins=%d gcs=%d", gcTook.Round(time.Millisecond), spins.Load(), after.NumGC-before.NumGC), nil
}
