package platform

import "github.com/aerokernel/aero/core/hw"

// Where the Go heap goes. The kernel image is linked at 1 MiB (image
// tool, builder.LDFlags), as Linux is; below it are the real-mode IVT,
// the BIOS data area, the AP trampoline (0x4000-0x6fff), the EBDA and the
// BIOS and option ROMs (0xa0000-0xfffff), none of it for the heap. The
// heap and the runtime's boot stack at its top take the largest stretch
// of RAM above the image's end that no boot module occupies, below
// heapCeiling. early finds it with placeHeap from the loader's memory map.
//
// This file is pure logic (host-tested, layout_test.go): early calls it
// before the runtime exists, so it is nosplit, allocates nothing and calls
// no methods (hw.Range's are not nosplit).

// heapCeiling bounds the Go heap: cpuinit maps 3-4 GiB uncached (MMIO) and
// the heap must be cacheable RAM.
const heapCeiling = 3 << 30

// lowMemoryEnd is the end of the first MiB: the heap never starts below.
const lowMemoryEnd = 1 << 20

// pageSize is the granule the heap's bounds are rounded to.
const pageSize = 4 << 10

// minHeap is the least Go heap Aero boots with: measured, configs/ktest at
// -smp 8 runs its in-kernel tests with it (-m 71M on q35; README, "Memory,
// CPUs and early boot"); with less, early stops and says how much RAM the
// kernel needs.
const minHeap = 32 << 20

// bootStackReserve is what the boot stack takes at the top of the heap
// region: the runtime puts SP RamStackOffset (tamago: 1 MiB) below the
// end and g0's stack is the 64 KiB below SP (rt0_tamago).
const bootStackReserve = 1<<20 + 64<<10

// heapNeed is the size of the least stretch placeHeap's caller accepts.
const heapNeed = minHeap + bootStackReserve

// placeHeap returns the largest page-aligned stretch of RAM (ranges in
// ram joined where they touch or overlap) that starts at or above both the
// image's end and lowMemoryEnd, ends at or below heapCeiling, and overlaps
// none of avoid; the lowest of equal ones. Empty (Size 0) when there is
// none.
//
//go:nosplit
func placeHeap(ram []hw.Range, image hw.Range, avoid []hw.Range) hw.Range {
	floor := roundUp(image.Base + image.Size)
	if floor < lowMemoryEnd {
		floor = lowMemoryEnd
	}
	var best hw.Range
	// A stretch starts at the floor, at a RAM range's base or at an
	// avoided range's end: try each (i = -1 is the floor).
	for i := -1; i < len(ram)+len(avoid); i++ {
		var s uint64
		switch {
		case i < 0:
			s = floor
		case i < len(ram):
			s = ram[i].Base
		default:
			s = avoid[i-len(ram)].Base + avoid[i-len(ram)].Size
		}
		s = roundUp(s)
		if s < floor || s >= heapCeiling || inAny(avoid, s) {
			continue
		}
		e := ramEnd(ram, s)
		if e > heapCeiling {
			e = heapCeiling
		}
		for j := range avoid {
			if b := avoid[j].Base; avoid[j].Size > 0 && b > s && b < e {
				e = b
			}
		}
		e &^= pageSize - 1
		if e > s && (e-s > best.Size || e-s == best.Size && s < best.Base) {
			best = hw.Range{Base: s, Size: e - s}
		}
	}
	return best
}

// ramEnd returns the end of the run of RAM (ranges joined where they touch
// or overlap) that holds address a, or a when no RAM holds it.
//
//go:nosplit
func ramEnd(ram []hw.Range, a uint64) uint64 {
	end := a
	for grew := true; grew; {
		grew = false
		for i := range ram {
			b, e := ram[i].Base, ram[i].Base+ram[i].Size
			if e > b && b <= end && e > end {
				end, grew = e, true
			}
		}
	}
	return end
}

//go:nosplit
func inAny(rs []hw.Range, a uint64) bool {
	for i := range rs {
		if rs[i].Size > 0 && a >= rs[i].Base && a-rs[i].Base < rs[i].Size {
			return true
		}
	}
	return false
}

//go:nosplit
func roundUp(a uint64) uint64 { return (a + pageSize - 1) &^ (pageSize - 1) }

// heapLayout is what early sets the runtime's memory variables to.
type heapLayout struct {
	// RamStart, RamSize: the runtime's region, from the image's first page
	// to the heap's end (it covers what lies between, so that a memory
	// manager keeps off both); Bloc: where the heap starts.
	RamStart, RamSize, Bloc uint64
	// Heap is the stretch placeHeap chose.
	Heap hw.Range
	// Need is how much RAM from address 0 a machine needs at least for
	// this image, with RAM contiguous from 1 MiB: for the message when
	// Heap is too small.
	Need uint64
}

// layOutHeap places the heap (placeHeap) and reports false when the stretch
// is smaller than heapNeed.
//
//go:nosplit
func layOutHeap(ram []hw.Range, image hw.Range, avoid []hw.Range) (heapLayout, bool) {
	var l heapLayout
	h := placeHeap(ram, image, avoid)
	l.Heap = h
	l.Need = roundUp(image.Base+image.Size) + heapNeed
	if l.Need < lowMemoryEnd+heapNeed {
		l.Need = lowMemoryEnd + heapNeed
	}
	if h.Size < heapNeed {
		return l, false
	}
	l.RamStart = image.Base &^ (pageSize - 1)
	l.RamSize = h.Base + h.Size - l.RamStart
	l.Bloc = h.Base
	return l, true
}
