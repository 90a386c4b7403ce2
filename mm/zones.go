package mm

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/hw"
)

// PageSize is the unit mm manages: every zone, allocation and DMA buffer
// is whole pages of it.
const PageSize = hw.PageSize

// maxZoneFrames bounds a zone (8 TiB) so that frame offsets fit buddy's
// uint32 links; larger stretches become several zones.
const maxZoneFrames = 1 << 31

// maxPhys bounds physical addresses: MAXPHYADDR is at most 52 bits (Intel
// SDM Vol. 3A, 4.1.4). Ranges past it are bad tables, not memory.
const maxPhys = 1 << 52

// zoneRange is one zone to be: page-aligned RAM of one node.
type zoneRange struct {
	Node int
	hw.Range
}

// layout is what Init gives zone construction: the nodes' memory and what
// of it mm may use.
type layout struct {
	Nodes []core.Node
	// RAM is the machine's usable RAM (Kernel.RAM); node memory outside
	// it is not used.
	RAM []hw.Range
	// Reserved is RAM mm must never hand out (Kernel.Reserved).
	Reserved []hw.Range
	// Cached are the physical ranges the identity map maps RAM cacheable
	// in; node memory outside them is left unused, with a warning.
	Cached []hw.Range
}

// buildZones returns the zones of l, ascending by address: each node's
// memory, inside RAM and Cached, minus Reserved, cut to whole pages. A
// node without memory gets no zone. Memory two nodes both claim goes to
// the first. Warnings say what RAM was left out and why.
func buildZones(l layout) (zones []zoneRange, warnings []string) {
	warn := func(format string, args ...any) { warnings = append(warnings, fmt.Sprintf(format, args...)) }
	ram := normalize(l.RAM)
	reserved := normalize(l.Reserved)
	cached := normalize(l.Cached)
	var taken []hw.Range // what earlier nodes' zones cover
	for _, n := range l.Nodes {
		mem := normalize(n.Memory)
		for _, r := range subtract(mem, ram) {
			warn("node %d memory %v is not usable RAM in the memory map; mm leaves it out", n.ID, r)
		}
		mem = intersect(mem, ram)
		for _, r := range subtract(mem, []hw.Range{{Size: maxPhys}}) {
			warn("node %d memory %v lies past the 52-bit physical address space; mm leaves it out", n.ID, r)
		}
		mem = intersect(mem, []hw.Range{{Size: maxPhys}})
		for _, r := range intersect(mem, taken) {
			warn("node %d memory %v is claimed by an earlier node too; mm counts it there", n.ID, r)
		}
		mem = subtract(mem, taken)
		mem = subtract(mem, reserved)
		for _, r := range subtract(mem, cached) {
			warn("node %d RAM %v is not mapped cacheable by the kernel's identity map; mm leaves it unused", n.ID, r)
		}
		mem = intersect(mem, cached)
		for _, r := range mem {
			lo := (r.Base + PageSize - 1) &^ (PageSize - 1)
			hi := r.End() &^ (PageSize - 1)
			for lo < hi {
				size := min(hi-lo, maxZoneFrames*PageSize)
				zones = append(zones, zoneRange{Node: n.ID, Range: hw.Range{Base: lo, Size: size}})
				taken = append(taken, hw.Range{Base: lo, Size: size})
				lo += size
			}
		}
		taken = normalize(taken)
	}
	slices.SortFunc(zones, func(a, b zoneRange) int { return cmp.Compare(a.Base, b.Base) })
	return zones, warnings
}

// normalize returns rs sorted by base, empty ranges dropped and ranges
// that overlap or touch joined. Ranges that run past 2^64 end there.
func normalize(rs []hw.Range) []hw.Range {
	var in []hw.Range
	for _, r := range rs {
		if r.Size > 0 {
			in = append(in, hw.Range{Base: r.Base, Size: r.End() - r.Base})
		}
	}
	slices.SortFunc(in, func(a, b hw.Range) int { return cmp.Compare(a.Base, b.Base) })
	var out []hw.Range
	for _, r := range in {
		if k := len(out) - 1; k >= 0 && r.Base <= out[k].End() {
			out[k].Size = max(out[k].End(), r.End()) - out[k].Base
			continue
		}
		out = append(out, r)
	}
	return out
}

// subtract returns the parts of rs that no range of cut covers; both
// normalized, and so is the result.
func subtract(rs, cut []hw.Range) []hw.Range {
	var out []hw.Range
	for _, r := range rs {
		at, end := r.Base, r.End()
		for _, c := range cut {
			if c.End() <= at || c.Base >= end {
				continue
			}
			if c.Base > at {
				out = append(out, hw.Range{Base: at, Size: c.Base - at})
			}
			at = max(at, c.End())
		}
		if at < end {
			out = append(out, hw.Range{Base: at, Size: end - at})
		}
	}
	return out
}

// intersect returns the parts of rs that some range of with covers; both
// normalized, and so is the result.
func intersect(rs, with []hw.Range) []hw.Range {
	return subtract(rs, subtract(rs, with))
}
