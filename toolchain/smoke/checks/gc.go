package checks

import (
	"fmt"
	"runtime"
	"time"
)

const (
	// GCTotal is how much checkGC allocates in all, GCChunk at a time,
	// keeping only gcLive chunks reachable.
	GCTotal = 2 << 30
	GCChunk = 1 << 20
	gcLive  = 4
	// GCHeapLimit bounds HeapSys and HeapAlloc while checkGC runs: the
	// collector must be reusing memory, not growing the heap.
	GCHeapLimit = 256 << 20
	pageSize    = 4096
)

type node struct {
	next  *node
	value int
	pad   [6]int
}

// checkGC churns through GCTotal bytes with a small live set and checks the
// collector ran, the heap stayed bounded, and live data survived intact;
// then it checks a pointer graph across forced collections and a finalizer.
func checkGC(*Env) (string, error) {
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	// A linked list that must survive every collection below.
	const listLen = 50_000
	var head *node
	for i := range listLen {
		head = &node{next: head, value: i}
	}

	var live [gcLive][]byte
	var peakAlloc, peakSys uint64
	var ms runtime.MemStats
	start := time.Now()
	for i := range GCTotal / GCChunk {
		slot := i % gcLive
		if old := live[slot]; old != nil {
			if err := verifyChunk(old, i-gcLive); err != nil {
				return "", err
			}
		}
		c := make([]byte, GCChunk)
		fillChunk(c, i)
		live[slot] = c
		if i%16 == 0 {
			runtime.ReadMemStats(&ms)
			peakAlloc = max(peakAlloc, ms.HeapAlloc)
			peakSys = max(peakSys, ms.HeapSys)
			// Stop before the heap runs out: a collector that stalls
			// must fail this check, not crash the kernel.
			if ms.HeapAlloc > GCHeapLimit {
				return "", fmt.Errorf("heap grew to HeapAlloc=%d MiB (limit %d MiB) after %d MiB allocated: collections stalled at NumGC=%d (+%d)",
					ms.HeapAlloc>>20, GCHeapLimit>>20, (i+1)*GCChunk>>20, ms.NumGC, ms.NumGC-before.NumGC)
			}
		}
	}
	churn := time.Since(start)
	runtime.ReadMemStats(&ms)
	peakAlloc = max(peakAlloc, ms.HeapAlloc)
	peakSys = max(peakSys, ms.HeapSys)
	gcs := ms.NumGC - before.NumGC
	if gcs < 8 {
		return "", fmt.Errorf("only %d collections while allocating %d MiB", gcs, GCTotal>>20)
	}
	if peakSys > GCHeapLimit || peakAlloc > GCHeapLimit {
		return "", fmt.Errorf("heap grew to HeapSys=%d MiB HeapAlloc=%d MiB, limit %d MiB",
			peakSys>>20, peakAlloc>>20, GCHeapLimit>>20)
	}
	if ms.TotalAlloc-before.TotalAlloc < GCTotal {
		return "", fmt.Errorf("TotalAlloc grew by %d, want at least %d", ms.TotalAlloc-before.TotalAlloc, GCTotal)
	}

	runtime.GC()
	runtime.GC()
	n := 0
	for p := head; p != nil; p = p.next {
		if p.value != listLen-1-n {
			return "", fmt.Errorf("list node %d holds %d after GC", n, p.value)
		}
		n++
	}
	if n != listLen {
		return "", fmt.Errorf("list has %d nodes after GC, want %d", n, listLen)
	}

	finalized := make(chan struct{})
	func() {
		obj := &node{value: 1}
		runtime.SetFinalizer(obj, func(*node) { close(finalized) })
	}()
	deadline := time.Now().Add(10 * time.Second)
	ran := false
	for !ran && time.Now().Before(deadline) {
		runtime.GC()
		select {
		case <-finalized:
			ran = true
		case <-time.After(10 * time.Millisecond):
		}
	}
	if !ran {
		return "", fmt.Errorf("finalizer of an unreachable object did not run")
	}
	runtime.KeepAlive(live)
	return fmt.Sprintf("allocated=%dMiB gcs=%d peak_heap_sys=%dMiB peak_heap_alloc=%dMiB churn=%v",
		GCTotal>>20, gcs, peakSys>>20, peakAlloc>>20, churn.Round(time.Millisecond)), nil
}

// fillChunk stamps every page of c with its chunk number.
func fillChunk(c []byte, i int) {
	for off := 0; off < len(c); off += pageSize {
		c[off] = byte(i)
		c[off+1] = byte(i >> 8)
		c[off+pageSize-1] = 0xa5
	}
}

func verifyChunk(c []byte, i int) error {
	for off := 0; off < len(c); off += pageSize {
		if c[off] != byte(i) || c[off+1] != byte(i>>8) || c[off+pageSize-1] != 0xa5 {
			return fmt.Errorf("live chunk %d corrupted at offset %d", i, off)
		}
	}
	return nil
}
