//go:build tamago && amd64

package platform

import (
	"cmp"
	"slices"

	"github.com/aerokernel/aero/core/hw"
)

// BootMagic and BootInfoAddr are EAX and EBX as the boot loader left them.
func BootMagic() uint32    { return bootMagic }
func BootInfoAddr() uint64 { return uint64(bootInfoAddr) }

// BootSnapshot returns the copies early made of the boot loader's
// structures (what bootinfo.Parse reads) and whether some did not fit.
func BootSnapshot() (hw.Pieces, bool) {
	s := &snapshot
	var ps hw.Pieces
	for i := uint32(0); i < s.count; i++ {
		p := s.pieces[i]
		ps = append(ps, hw.Piece{Addr: p.addr, Data: s.buf[p.off : p.off+p.n]})
	}
	return ps, s.truncated
}

// EarlyRAM returns the RAM ranges early found in the memory map, for when
// bootinfo cannot parse the snapshot.
func EarlyRAM() []hw.Range {
	return append([]hw.Range(nil), earlyRAM[:earlyRAMCount]...)
}

// Reserved returns the RAM no memory manager may hand out, ascending: the
// first MiB (BIOS data area, the AP trampoline, the EBDA and ROMs), the
// kernel image (with its page tables, in its bss), the runtime's region
// (the Go heap, Heap, and the boot stack above it) and the boot modules
// early kept the heap off.
func Reserved() []hw.Range {
	out := []hw.Range{{Base: 0, Size: lowMemoryEnd}, imageRange, runtimeRegion}
	out = append(out, earlyAvoid[:earlyAvoidCount]...)
	slices.SortFunc(out, func(a, b hw.Range) int { return cmp.Compare(a.Base, b.Base) })
	return out
}

// Heap returns the physical range the runtime can grow the Go heap into:
// from goos.Bloc to the bottom of the boot stack (g0's), as early laid it
// out (layout.go). Everything the runtime allocates (heap, goroutine
// stacks, its own metadata) comes from it.
func Heap() hw.Range { return heapRange }
