package platform

import (
	"github.com/aerokernel/aero/core/cmdline"
	"github.com/aerokernel/aero/core/hw"
)

// Where the Go heap goes. The kernel image is linked at 1 MiB (image
// tool, builder.LDFlags), as Linux is; below it are the real-mode IVT,
// the BIOS data area, the AP trampoline (0x4000-0x6fff), the EBDA and the
// BIOS and option ROMs (0xa0000-0xfffff), none of it for the heap.
//
// The runtime grows its heap by moving one break up from goos.Bloc
// (runtime/mem_tamago.go, sbrk), so the heap is one contiguous stretch of
// RAM. early puts it at the bottom of the largest stretch of RAM that lies
// above the image's end, below mapTop (what early maps), outside 3-4 GiB
// (the PCI hole, mapped uncached) and off every boot module; on
// machines with more than a few GiB that is the RAM above 4 GiB. heap= on
// the command line sizes it (cmdline.ParseHeap: a size, a percentage of
// RAM, or max), by default cmdline.DefaultHeapPercent of RAM, less when
// the stretch is smaller; the runtime's boot stack goes right above it.
// Everything else is the memory module's (Reserved lists what is not).
//
// This file is pure logic (host-tested, layout_test.go): early calls it
// before the runtime exists, so it is nosplit, allocates nothing and calls
// no methods (hw.Range's are not nosplit).

// lowMemoryEnd is the end of the first MiB: the heap never starts below.
const lowMemoryEnd = 1 << 20

// The heap keeps off 3-4 GiB (holeBase-holeEnd, paging.go): cpuinit maps
// it uncached, for the PCI hole, but for the 2 MiB pages that are all RAM,
// which are too few to matter to one stretch.

// pageSize is the granule the heap's bounds are rounded to.
const pageSize = 4 << 10

// minHeap is the least Go heap Aero boots with: measured, configs/ktest at
// -smp 8 runs its in-kernel tests with it (-m 71M on q35; README, "Memory,
// CPUs and early boot"); with less, early stops and says how much RAM the
// kernel needs.
const minHeap = 32 << 20

// ramStackOffset is tamago's goos.RamStackOffset (amd64 package: 1 MiB),
// which early checks: the runtime's boot stack pointer starts that far
// below the end of the runtime's region.
const ramStackOffset = 1 << 20

// bootStackReserve is what the boot stack takes above the heap: the
// ramStackOffset above SP, then g0's stack, the 64 KiB below SP less the
// 32 bytes rt0_tamago reserves first, and the runtime rounds the heap's
// limit (g0's stack bottom) down to a page (runtime/mem_tamago.go,
// initHeapBounds): one page more.
const bootStackReserve = ramStackOffset + 64<<10 + pageSize

// heapNeed is the size of the least stretch the heap and boot stack fit.
const heapNeed = minHeap + bootStackReserve

// placeStretch returns the largest page-aligned stretch of RAM (ranges in
// ram joined where they touch or overlap) that starts at or above both the
// image's end and lowMemoryEnd, ends at or below mapTop, lies outside
// [holeBase, holeEnd) and overlaps none of avoid; the lowest of
// equal ones. Empty (Size 0) when there is none.
//
//go:nosplit
func placeStretch(ram []hw.Range, image hw.Range, avoid []hw.Range) hw.Range {
	floor := roundUp(image.Base + image.Size)
	if floor < lowMemoryEnd {
		floor = lowMemoryEnd
	}
	var best hw.Range
	// A stretch starts at the floor, at the end of the uncached hole, at
	// a RAM range's base or at an avoided range's end: try each (i = -2
	// is the floor, -1 the hole's end).
	for i := -2; i < len(ram)+len(avoid); i++ {
		var s uint64
		switch {
		case i == -2:
			s = floor
		case i == -1:
			s = holeEnd
		case i < len(ram):
			s = ram[i].Base
		default:
			s = avoid[i-len(ram)].Base + avoid[i-len(ram)].Size
		}
		s = roundUp(s)
		if s < floor || s >= mapTop || s >= holeBase && s < holeEnd || !inAny(ram, s) || inAny(avoid, s) {
			continue
		}
		e := ramEnd(ram, s)
		if e > mapTop {
			e = mapTop
		}
		if s < holeBase && e > holeBase {
			e = holeBase
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

// ramTotal returns the bytes of RAM in ram, counting what ranges share
// once.
//
//go:nosplit
func ramTotal(ram []hw.Range) uint64 {
	var total uint64
	for i := range ram {
		s := ram[i].Base
		if ram[i].Size == 0 {
			continue
		}
		// s starts a run unless another range holds it or ends right at
		// it (then that range's run covers it); of equal bases, the
		// first range counts.
		starts := true
		for j := range ram {
			b, e := ram[j].Base, ram[j].Base+ram[j].Size
			if j != i && e > b && (b < s && e >= s || b == s && j < i) {
				starts = false
				break
			}
		}
		if starts {
			total += ramEnd(ram, s) - s
		}
	}
	return total
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
	// RamStart, RamSize: the runtime's region, the heap and the boot
	// stack above it; Bloc: where the heap starts (RamStart).
	RamStart, RamSize, Bloc uint64
	// Heap is what the runtime can grow its heap into: [Bloc, the bottom
	// of g0's stack).
	Heap hw.Range
	// Stretch is the stretch of RAM placeStretch chose; Want the heap
	// size heap= (or the default) asked for; RAM the memory map's total.
	Stretch   hw.Range
	Want, RAM uint64
	// Need is how much RAM from address 0 a machine needs at least for
	// this image, with RAM contiguous from 1 MiB: for the message when
	// the stretch is too small.
	Need uint64
}

// heapFailure says why layOutHeap laid out no heap.
type heapFailure int

const (
	heapOK       heapFailure = iota
	heapNoRoom               // the stretch is smaller than heapNeed
	heapTooSmall             // heap= asks for less than minHeap
	heapTooBig               // heap= asks for more than the stretch holds
)

// layOutHeap sizes the heap (opt, when heap= was given; else the default
// share of RAM, at least minHeap and at most what the stretch holds) and
// places it at the bottom of placeStretch's stretch with the boot stack
// above it, in *l (a pointer, to keep early's nosplit frames small).
//
//go:nosplit
func layOutHeap(l *heapLayout, ram []hw.Range, image hw.Range, avoid []hw.Range, opt *cmdline.HeapOption, given bool) heapFailure {
	*l = heapLayout{}
	st := placeStretch(ram, image, avoid)
	l.Stretch = st
	l.RAM = ramTotal(ram)
	l.Need = roundUp(image.Base+image.Size) + heapNeed
	if l.Need < lowMemoryEnd+heapNeed {
		l.Need = lowMemoryEnd + heapNeed
	}
	var room uint64
	if st.Size > bootStackReserve {
		room = st.Size - bootStackReserve
	}
	switch {
	case !given:
		l.Want = l.RAM / 100 * cmdline.DefaultHeapPercent &^ (pageSize - 1)
	case opt.Max:
		l.Want = room
	case opt.Percent != 0:
		l.Want = l.RAM / 100 * opt.Percent &^ (pageSize - 1)
	case opt.Bytes > mapTop:
		l.Want = opt.Bytes // more than any stretch: too big, unrounded
	default:
		l.Want = roundUp(opt.Bytes)
	}
	if !given {
		l.Want = max(l.Want, minHeap)
		l.Want = min(l.Want, room)
	}
	switch {
	case st.Size < heapNeed:
		return heapNoRoom
	case l.Want < minHeap:
		return heapTooSmall
	case l.Want > room:
		return heapTooBig
	}
	l.Heap = hw.Range{Base: st.Base, Size: l.Want}
	l.RamStart = st.Base
	l.RamSize = l.Want + bootStackReserve
	l.Bloc = st.Base
	return heapOK
}

// optionWord returns where the value of the last key=value word in the
// command line line (up to its first NUL) lies: line[start:end], as given
// (quotes included). For early, which reads options before the runtime;
// the rest of the kernel reads them through core/cmdline.
//
//go:nosplit
func optionWord(line []byte, key string) (start, end int, found bool) {
	for i := 0; i < len(line) && line[i] != 0; {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t' || line[i] == '\n' || line[i] == '\r') {
			i++
		}
		j := i
		for j < len(line) && line[j] != 0 && line[j] != ' ' && line[j] != '\t' && line[j] != '\n' && line[j] != '\r' {
			j++
		}
		if j == i {
			break
		}
		if j-i > len(key) && line[i+len(key)] == '=' && hasPrefix(line[i:j], key) {
			start, end, found = i+len(key)+1, j, true
		}
		i = j
	}
	return start, end, found
}

// optionValue copies the value optionWord finds into buf without its
// double quotes; ok is false when there is none, or when the value does
// not fit buf or has an unpaired quote (a quoted value with white space,
// which only cmdline.Parse reads whole).
//
//go:nosplit
func optionValue(line []byte, key string, buf []byte) (n int, found, ok bool) {
	start, end, found := optionWord(line, key)
	if !found {
		return 0, false, false
	}
	ok = true
	quotes := 0
	for k := start; k < end; k++ {
		switch {
		case line[k] == '"':
			quotes++
		case n < len(buf):
			buf[n] = line[k]
			n++
		default:
			ok = false
		}
	}
	return n, true, ok && quotes%2 == 0
}

//go:nosplit
func hasPrefix(b []byte, p string) bool {
	if len(b) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if b[i] != p[i] {
			return false
		}
	}
	return true
}
