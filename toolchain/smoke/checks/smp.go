package checks

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// SMPDeadline bounds how long checkSMP waits for every processor to check in.
const SMPDeadline = 20 * time.Second

// checkSMP starts one goroutine per processor; each spins until all have
// arrived, so all are running at the same moment, and then reads the ID of
// the processor it is on. Distinct IDs, each read twice around a second
// barrier, prove env.CPUs processors ran Go code at once.
func checkSMP(env *Env) (string, error) {
	n := env.CPUs
	if n <= 1 || env.CPUID == nil {
		return "", fmt.Errorf("%w: one processor", ErrSkip)
	}
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		var ids []uint64
		ids, err = smpRound(n, env.CPUID)
		if err == nil {
			return fmt.Sprintf("cpus=%d ids=%v attempt=%d", n, ids, attempt), nil
		}
		if errors.Is(err, errSMPTimeout) {
			break // a missing processor will not come back
		}
	}
	return "", err
}

var errSMPTimeout = errors.New("deadline passed")

func smpRound(n int, cpuID func() uint64) ([]uint64, error) {
	// Collect garbage now: a collection needs every goroutine to stop, and
	// the spinning ones below only stop at calls.
	runtime.GC()
	var arrived, recorded atomic.Int32
	var abort, moved atomic.Bool
	ids := make([]uint64, n)
	deadline := time.Now().Add(SMPDeadline)
	spin := func(c *atomic.Int32) bool {
		for i := 0; c.Load() < int32(n); i++ {
			if abort.Load() {
				return false
			}
			if i%4096 == 0 && time.Now().After(deadline) {
				abort.Store(true)
				return false
			}
		}
		return true
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			arrived.Add(1)
			if !spin(&arrived) {
				return
			}
			ids[i] = cpuID()
			recorded.Add(1)
			if !spin(&recorded) {
				return
			}
			if cpuID() != ids[i] {
				moved.Store(true)
			}
		})
	}
	wg.Wait()
	if abort.Load() {
		return nil, fmt.Errorf("%w: %d of %d goroutines running at once after %v (GOMAXPROCS=%d)",
			errSMPTimeout, arrived.Load(), n, SMPDeadline, runtime.GOMAXPROCS(0))
	}
	if moved.Load() {
		return nil, fmt.Errorf("a spinning goroutine changed processor: ids %v", ids)
	}
	distinct := slices.Clone(ids)
	slices.Sort(distinct)
	distinct = slices.Compact(distinct)
	if len(distinct) != n {
		return nil, fmt.Errorf("%d goroutines running at once saw processor ids %v, want %d distinct", n, ids, n)
	}
	return ids, nil
}
