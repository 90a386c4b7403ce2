package mm

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// checkBuddy verifies b's bookkeeping against the model's allocations
// (offset -> frames): free blocks aligned, inside the zone, disjoint from
// each other and from every allocation, fully merged (no free block whose
// buddy is free with the same order), and counted right.
func checkBuddy(t *testing.T, b *buddy, model map[uint32]uint64) {
	t.Helper()
	used := make([]bool, b.n)
	var freeFrames uint64
	for k := 0; k <= maxOrder; k++ {
		prev := none
		for off := b.heads[k]; off != none; off = b.link[off].next {
			if b.link[off].prev != prev {
				t.Fatalf("order %d: block %d's prev is %d, want %d", k, off, b.link[off].prev, prev)
			}
			prev = off
			if b.state[off] != headFree|uint8(k) {
				t.Fatalf("order %d: block %d has state %#x", k, off, b.state[off])
			}
			frame := b.first + uint64(off)
			if frame%(1<<k) != 0 || uint64(off)+1<<k > b.n {
				t.Fatalf("order %d: block at frame %d is misaligned or runs past the zone", k, frame)
			}
			for i := uint64(off); i < uint64(off)+1<<k; i++ {
				if used[i] {
					t.Fatalf("frame offset %d is in two free blocks", i)
				}
				used[i] = true
			}
			freeFrames += 1 << k
			if bf := frame ^ 1<<k; bf >= b.first && bf+1<<k <= b.first+b.n && b.state[bf-b.first] == headFree|uint8(k) {
				t.Fatalf("order %d: blocks at frames %d and %d are free buddies, not merged", k, frame, bf)
			}
		}
	}
	var allocated uint64
	for off, n := range model {
		if b.state[off] != headAlloc {
			t.Fatalf("allocation at %d has state %#x", off, b.state[off])
		}
		for i := uint64(off); i < uint64(off)+n; i++ {
			if used[i] {
				t.Fatalf("frame offset %d is free and allocated (allocation at %d, %d frames)", i, off, n)
			}
			used[i] = true
		}
		allocated += n
	}
	if freeFrames != b.free || b.free+allocated != b.n {
		t.Fatalf("free lists hold %d frames, free says %d, allocations %d, zone %d", freeFrames, b.free, allocated, b.n)
	}
}

// freeLists returns b's free blocks as (frame, order) pairs, sorted.
func freeLists(b *buddy) [][2]uint64 {
	var out [][2]uint64
	for k := 0; k <= maxOrder; k++ {
		for off := b.heads[k]; off != none; off = b.link[off].next {
			out = append(out, [2]uint64{b.first + uint64(off), uint64(k)})
		}
	}
	slices.SortFunc(out, func(a, c [2]uint64) int { return int(a[0]) - int(c[0]) })
	return out
}

// TestBuddyRandom runs long random sequences of allocations and frees
// against a model, in zones of awkward sizes and offsets, checking every
// step: splitting and merging keep the invariants, exhaustion is exact
// (an allocation fails only when no free block is large enough), wrong
// frees are refused and change nothing, and freeing everything gives back
// the zone's initial blocks.
func TestBuddyRandom(t *testing.T) {
	for _, c := range []struct{ first, n uint64 }{{0, 1}, {0, 1024}, {3, 1000}, {1 << 20, 4099}, {7, 64}, {0x12345, 513}} {
		t.Run(fmt.Sprintf("first=%d,n=%d", c.first, c.n), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(c.first, c.n))
			b := newBuddy(c.first, c.n)
			initial := freeLists(b)
			model := map[uint32]uint64{}   // offset -> frames
			lengths := map[uint32]uint64{} // offset -> bytes
			freed := map[uint32]bool{}     // offsets freed before and not reused
			var fails, allocs, frees, refused int
			for step := 0; step < 20000; step++ {
				switch op := rng.IntN(10); {
				case op < 5: // allocate
					n := uint64(1 + rng.IntN(8))
					if rng.IntN(8) == 0 {
						n = uint64(1 + rng.IntN(int(c.n)))
					}
					align := 0
					if rng.IntN(6) == 0 {
						align = rng.IntN(6)
					}
					length := (n-1)*PageSize + uint64(1+rng.IntN(PageSize))
					largest := b.largest()
					off, ok := b.alloc(n, align, length)
					need := uint64(1) << max(orderOf(n), align)
					if ok != (largest >= need) {
						t.Fatalf("step %d: alloc(%d frames, align order %d) = %v with largest free block %d", step, n, align, ok, largest)
					}
					if !ok {
						fails++
						break
					}
					if (b.first+uint64(off))%(1<<align) != 0 {
						t.Fatalf("step %d: allocation at frame %d not aligned to 2^%d", step, b.first+uint64(off), align)
					}
					model[off], lengths[off] = n, length
					delete(freed, off)
					allocs++
				case op < 9 && len(model) > 0: // free one
					off := pick(rng, model)
					if err := b.allocation(off, lengths[off]); err != nil {
						t.Fatalf("step %d: allocation(%d, %d) refused: %v", step, off, lengths[off], err)
					}
					b.freeAlloc(off, model[off])
					delete(model, off)
					delete(lengths, off)
					freed[off] = true
					frees++
				default: // a wrong free: must be refused
					before := freeLists(b)
					var off uint32
					var length uint64
					switch {
					case len(freed) > 0 && rng.IntN(2) == 0: // double free
						off = pick(rng, freed)
						length = PageSize
					case len(model) > 0 && rng.IntN(2) == 0: // mismatched size
						off = pick(rng, model)
						length = lengths[off] + uint64(1+rng.IntN(3*PageSize))
					case len(model) > 0 && rng.IntN(2) == 0: // inside an allocation
						off = pick(rng, model)
						if model[off] == 1 {
							continue
						}
						off += uint32(1 + rng.IntN(int(model[off]-1)))
						length = PageSize
					default: // anywhere not allocated
						off = uint32(rng.Uint64N(c.n))
						if _, ok := model[off]; ok {
							continue
						}
						length = PageSize
					}
					if b.allocation(off, length) == nil {
						t.Fatalf("step %d: allocation(%d, %d) accepted a wrong free", step, off, length)
					}
					if !slices.Equal(before, freeLists(b)) {
						t.Fatalf("step %d: a refused free changed the free lists", step)
					}
					refused++
				}
				checkBuddy(t, b, model)
			}
			for off, n := range model {
				b.freeAlloc(off, n)
				delete(model, off)
			}
			checkBuddy(t, b, model)
			if got := freeLists(b); !slices.Equal(got, initial) {
				t.Fatalf("after freeing everything the free blocks are %v, want the initial %v", got, initial)
			}
			t.Logf("%d allocations, %d failed, %d frees, %d wrong frees refused", allocs, fails, frees, refused)
			if allocs == 0 || frees == 0 || refused == 0 || (c.n > 1 && fails == 0) {
				t.Errorf("the sequence did not exercise every path")
			}
		})
	}
}

// TestBuddyExhaust allocates a zone page by page to the last one, then
// frees in a random order: merging must rebuild the largest blocks.
func TestBuddyExhaust(t *testing.T) {
	const n = 4096
	b := newBuddy(1<<18, n)
	var offs []uint32
	for {
		off, ok := b.alloc(1, 0, PageSize)
		if !ok {
			break
		}
		offs = append(offs, off)
	}
	if len(offs) != n || b.free != 0 || b.largest() != 0 {
		t.Fatalf("%d single pages of %d, free %d, largest %d", len(offs), n, b.free, b.largest())
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(offs), func(i, j int) { offs[i], offs[j] = offs[j], offs[i] })
	for _, off := range offs {
		b.freeAlloc(off, 1)
	}
	if b.largest() != n || b.free != n {
		t.Fatalf("after freeing all: largest %d free %d, want one block of %d", b.largest(), b.free, n)
	}
}

func pick[V any](rng *rand.Rand, m map[uint32]V) uint32 {
	keys := make([]uint32, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys[rng.IntN(len(keys))]
}
