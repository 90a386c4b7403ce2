package platform

import "github.com/aerokernel/aero/core/hw"

// The identity map's memory types as pure logic (host-tested,
// paging_test.go), for finishPaging, which runs before the runtime, and
// for what hands out RAM and register windows (CachedRAM, MMIO).
//
// cpuinit maps 0-3 GiB cacheable and 3-4 GiB uncached, in 2 MiB pages;
// finishPaging makes cacheable each 2 MiB page of 3-4 GiB that is all RAM
// (pc puts RAM up to 3.5 GiB below 4 GiB when given less than that) and
// maps 4 GiB to mapTop in 1 GiB pages, cacheable where a GiB holds RAM.

// mapTop is how far cpuinit and early identity-map physical memory.
const mapTop = 64 << 30

// The range cpuinit maps uncached (the PCI hole, local APIC, I/O APICs,
// HPET), and its page size there.
const (
	holeBase   = 3 << 30
	holeEnd    = 4 << 30
	pageSize2M = 2 << 20
)

// holePageRAM reports whether the 2 MiB page at base is all RAM (ranges
// joined where they touch), which finishPaging then maps cacheable.
//
//go:nosplit
func holePageRAM(ram []hw.Range, base uint64) bool { return ramEnd(ram, base) >= base+pageSize2M }

// cachedRAM returns the ranges, ascending, in which the identity map maps
// RAM cacheable, given the memory map's RAM: below 3 GiB, the 2 MiB pages
// of 3-4 GiB that are all RAM, and 4 GiB to mapTop.
func cachedRAM(ram []hw.Range) []hw.Range {
	out := []hw.Range{{Base: 0, Size: holeBase}}
	add := func(base, size uint64) {
		if k := len(out) - 1; out[k].End() == base {
			out[k].Size += size
			return
		}
		out = append(out, hw.Range{Base: base, Size: size})
	}
	for p := uint64(holeBase); p < holeEnd; p += pageSize2M {
		if holePageRAM(ram, p) {
			add(p, pageSize2M)
		}
	}
	add(holeEnd, mapTop-holeEnd)
	return out
}
