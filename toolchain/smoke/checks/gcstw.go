package checks

import (
	"fmt"
	"runtime"
	"time"
)

// gcSTWRounds and gcSTWLimit shape checkGCSTW: rounds of garbage and
// stop-the-worlds, each ended by a forced collection that must finish
// within the limit (a small heap's collection takes milliseconds; a
// minute allows a loaded emulator).
const (
	gcSTWRounds = 40
	gcSTWLimit  = time.Minute
)

// checkGCSTW runs collections whose mark phases other stop-the-worlds
// (ReadMemStats) interrupt, with the CPUs idling in between, and checks
// that every forced collection finishes. A start of the world during a
// mark phase hands mark workers to idle Ps; one handed to a P that then
// idles for want of an M must go back to the workers' pool, or it is lost
// when the P is handed the next one: once every worker was lost, a
// collection that no allocation assists waited for ever (issue 8's gc
// stall).
func checkGCSTW(*Env) (string, error) {
	var ms runtime.MemStats
	var live [][]byte
	var worst time.Duration
	before := gcCount()
	for i := range gcSTWRounds {
		for j := range 32 {
			live = append(live, make([]byte, 1<<20))
			if len(live) > 8 {
				live = live[1:]
			}
			runtime.ReadMemStats(&ms)
			if j%8 == 0 {
				// Let the CPUs go idle, so that the world starts
				// again with idle Ps and Ms waiting for work.
				time.Sleep(50 * time.Microsecond)
			}
		}
		start := time.Now()
		done := make(chan struct{})
		go func() {
			runtime.GC()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(gcSTWLimit):
			return "", fmt.Errorf("forced collection %d of %d did not finish within %v (%d collections so far)",
				i+1, gcSTWRounds, gcSTWLimit, gcCount()-before)
		}
		worst = max(worst, time.Since(start))
	}
	runtime.KeepAlive(live)
	return fmt.Sprintf("rounds=%d gcs=%d worst_forced_gc=%v", gcSTWRounds, gcCount()-before, worst.Round(time.Microsecond)), nil
}

func gcCount() uint32 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.NumGC
}
