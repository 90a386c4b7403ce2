//go:build tamago && amd64

package selftest

import (
	"runtime"
	"runtime/debug"
	"time"
	"unsafe"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/ktest"
)

func init() { ktest.Register("heap/fill", testHeapFill) }

// HeapFillOption is the command line option that sets how much heap/fill
// allocates (a size, as mem=); without it the test takes the smaller of
// heapFillDefault and a quarter of the heap, a quick check for every
// test=all boot. A size above the heap is for showing that the heap ends
// where Kernel.Heap says: the runtime then runs out ("fatal error: out of
// memory") and the kernel stops.
const HeapFillOption = "heapfill"

const (
	heapFillDefault = 16 << 20
	heapFillChunk   = 4 << 20 // bytes per make: one heap arena (tamago: 4 MiB)
	heapPage        = 4 << 10 // heap/fill touches one byte per page
)

// testHeapFill: the Go heap is the range Kernel.Heap names (the summary's
// heap=), and the collector gives it back. It allocates the fill in
// ordinary []byte slices, touching one byte per page, and checks every
// slice lies in Kernel.Heap; drops them, collects, and checks the heap's
// live bytes are back where they were; then fills again (half as much
// when that is still more than the heap has left beyond the first fill),
// which needs the reclaimed memory when the fill is more than half the
// heap, and checks the runtime took next to nothing new for it.
func testHeapFill(t *ktest.T) {
	k := core.Running()
	h := k.Heap
	inReserved := false
	for _, r := range k.Reserved {
		inReserved = inReserved || h.Base >= r.Base && h.End() <= r.End()
	}
	if !inReserved {
		t.Errorf("the heap %#x-%#x is not inside one Reserved range %v: a memory module could hand it out", h.Base, h.End(), k.Reserved)
	}
	fill := min(uint64(heapFillDefault), h.Size/4)
	if n, err := k.Cmdline.Size(HeapFillOption, 0); err != nil {
		t.Fatalf("%s=: %v", HeapFillOption, err)
	} else if n > 0 {
		fill = n
	}
	t.Logf("heap %#x-%#x (%d MiB), filling %d MiB", h.Base, h.End(), h.Size>>20, fill>>20)
	if fill > h.Size {
		t.Logf("filling %d MiB, more than the %d MiB heap: the runtime must run out of memory", fill>>20, h.Size>>20)
	}

	var base runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&base)
	if base.Sys > h.Size {
		t.Errorf("the runtime has %d MiB (MemStats.Sys), more than the heap's %d MiB", base.Sys>>20, h.Size>>20)
	}

	// round allocates and touches fill bytes, checks them and returns
	// the heap's figures with the slices still live.
	round := func(n int, fill uint64) (ms runtime.MemStats) {
		start := time.Now()
		var chunks [][]byte
		for left := fill; left > 0; {
			c := min(left, heapFillChunk)
			b := make([]byte, c)
			p := uint64(uintptr(unsafe.Pointer(&b[0])))
			if p < h.Base || p+c > h.End() {
				t.Fatalf("round %d: slice %d at %#x-%#x, outside the heap %#x-%#x", n, len(chunks), p, p+c, h.Base, h.End())
			}
			for i := 0; i < len(b); i += heapPage {
				b[i] = byte(len(chunks) + i/heapPage)
			}
			chunks = append(chunks, b)
			left -= c
		}
		made := time.Since(start)
		for j, b := range chunks {
			for i := 0; i < len(b); i += heapPage {
				if b[i] != byte(j+i/heapPage) {
					t.Fatalf("round %d: slice %d byte %d is %d, want %d: slices overlap", n, j, i, b[i], byte(j+i/heapPage))
				}
			}
		}
		runtime.ReadMemStats(&ms)
		t.Logf("round %d: %d MiB in %d slices made and touched in %v (checked in %v): HeapAlloc %d MiB, HeapSys %d MiB, Sys %d MiB, %d GCs",
			n, fill>>20, len(chunks), made.Round(time.Millisecond), (time.Since(start) - made).Round(time.Millisecond),
			ms.HeapAlloc>>20, ms.HeapSys>>20, ms.Sys>>20, ms.NumGC-base.NumGC)
		if ms.HeapAlloc < fill {
			t.Errorf("round %d: HeapAlloc %d MiB with %d MiB live", n, ms.HeapAlloc>>20, fill>>20)
		}
		if ms.Sys > h.Size {
			t.Errorf("round %d: the runtime has %d MiB (MemStats.Sys), more than the heap's %d MiB", n, ms.Sys>>20, h.Size>>20)
		}
		runtime.KeepAlive(chunks)
		return ms
	}
	// reclaim collects and checks the live heap is back to base.
	reclaim := func(n int, fill uint64) {
		start := time.Now()
		runtime.GC()
		debug.FreeOSMemory()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		t.Logf("after round %d: collected in %v: HeapAlloc %d MiB, HeapIdle %d MiB, HeapReleased %d MiB",
			n, time.Since(start).Round(time.Millisecond), ms.HeapAlloc>>20, ms.HeapIdle>>20, ms.HeapReleased>>20)
		if slack := uint64(8 << 20); ms.HeapAlloc > base.HeapAlloc+slack {
			t.Errorf("after round %d: HeapAlloc %d MiB, want at most %d MiB: the collector did not reclaim the slices", n, ms.HeapAlloc>>20, (base.HeapAlloc+slack)>>20)
		}
		if ms.HeapIdle < fill {
			t.Errorf("after round %d: HeapIdle %d MiB, want the %d MiB freed", n, ms.HeapIdle>>20, fill>>20)
		}
	}

	first := round(1, fill)
	reclaim(1, fill)
	// The second round needs the reclaimed memory once it is more than
	// what the heap has left beyond the first round's: half the fill when
	// that is enough (it takes TCG a minute or more per 8 GiB, in which
	// the runtime zeroes every reused page), else all of it.
	fill2 := fill
	if left := h.Size - min(h.Size, first.Sys); fill/2 > left+2*heapFillChunk {
		fill2 = fill / 2
	}
	second := round(2, fill2)
	if grew := second.HeapSys - min(second.HeapSys, first.HeapSys); grew > 2*heapFillChunk {
		t.Errorf("round 2 grew HeapSys by %d MiB (%d to %d): the reclaimed memory was not reused", grew>>20, first.HeapSys>>20, second.HeapSys>>20)
	}
	reclaim(2, fill2)
}
