//go:build tamago && amd64

package platform

import (
	"cmp"
	"runtime/goos"
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
// runtime's region (Heap: the kernel image, its page tables and boot
// stack, and the Go heap) and the boot modules early kept the heap off.
func Reserved() []hw.Range {
	out := []hw.Range{{Base: 0, Size: lowMemoryEnd}, Heap()}
	out = append(out, earlyAvoid[:earlyAvoidCount]...)
	slices.SortFunc(out, func(a, b hw.Range) int { return cmp.Compare(a.Base, b.Base) })
	return out
}

// Heap returns the physical range of the Go heap region: [RamStart,
// RamStart+RamSize).
func Heap() hw.Range {
	return hw.Range{Base: uint64(goos.RamStart), Size: uint64(goos.RamSize)}
}
