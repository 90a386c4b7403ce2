package bootinfo

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aerokernel/aero/core/hw"
)

// extent is a range of physical memory that Parse reads.
type extent struct {
	Addr, Size uint64
	What       string // e.g. "start info", "memory map", "command line"
}

func (e extent) String() string {
	return fmt.Sprintf("%s [%#x, %#x)", e.What, e.Addr, e.Addr+e.Size)
}

// extents lists the ranges of physical memory that Parse(magic, addr, mem)
// reads, sorted by address, with overlapping and touching ones joined (a
// joined extent's What names every part, joined by "+"). It runs Parse
// and records what it read, so the list is exact: for PVH the start info
// (40 or 56 bytes, by version), the command line and its NUL, the module
// list and every module's command line, the memory map; for multiboot2
// [addr, addr+total_size) — or only its first 8 bytes if total_size is
// impossible. Where Parse fails, the list ends with what it read before
// failing; a range mem could not supply is not listed.
func extents(magic uint32, addr uint64, mem hw.PhysMemory) []extent {
	var rec []extent
	parse(magic, addr, reader{mem: mem, record: func(what string, addr, n uint64) {
		rec = append(rec, extent{Addr: addr, Size: n, What: what})
	}})
	sort.SliceStable(rec, func(a, b int) bool { return rec[a].Addr < rec[b].Addr })
	var out []extent
	for _, e := range rec {
		if n := len(out); n > 0 && e.Addr <= out[n-1].Addr+out[n-1].Size {
			last := &out[n-1]
			if end := e.Addr + e.Size; end > last.Addr+last.Size {
				last.Size = end - last.Addr
			}
			if !slices.Contains(strings.Split(last.What, "+"), e.What) {
				last.What += "+" + e.What
			}
			continue
		}
		out = append(out, e)
	}
	return out
}

// snapshot copies the extents of the boot information from mem into
// hw.Pieces, one piece per extent: what the early boot code does by hand.
// Parse over the snapshot gives the same result as Parse over mem.
func snapshot(magic uint32, addr uint64, mem hw.PhysMemory) hw.Pieces {
	var ps hw.Pieces
	for _, e := range extents(magic, addr, mem) {
		b := make([]byte, e.Size)
		if n, err := mem.ReadAt(b, e.Addr); err != nil || n != len(b) {
			continue // Parse read it a moment ago; nothing to do but leave it out
		}
		ps = append(ps, hw.Piece{Addr: e.Addr, Data: b})
	}
	return ps
}
