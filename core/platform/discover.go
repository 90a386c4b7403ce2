//go:build tamago && amd64

package platform

import (
	"errors"
	"runtime/goos"
	"unsafe"
)

// BootMagic and BootInfoAddr are EAX and EBX as the boot loader left them.
func BootMagic() uint32    { return bootMagic }
func BootInfoAddr() uint64 { return uint64(bootInfoAddr) }

// Piece is a copy of the physical memory at Addr.
type Piece struct {
	Addr uint64
	Data []byte
}

// BootSnapshot returns the copies early made of the boot loader's
// structures (what bootinfo.Parse reads) and whether some did not fit.
func BootSnapshot() ([]Piece, bool) {
	s := &snapshot
	var ps []Piece
	for i := uint32(0); i < s.count; i++ {
		p := s.pieces[i]
		ps = append(ps, Piece{Addr: p.addr, Data: s.buf[p.off : p.off+p.n]})
	}
	return ps, s.truncated
}

// EarlyRAM returns the RAM ranges early found in the memory map (base,
// end), for when bootinfo cannot parse the snapshot.
func EarlyRAM() [][2]uint64 {
	return append([][2]uint64(nil), earlyRAM[:earlyRAMCount]...)
}

// Heap returns the physical range of the Go heap region: [RamStart,
// RamStart+RamSize).
func Heap() (start, end uint64) {
	return uint64(goos.RamStart), uint64(goos.RamStart + goos.RamSize)
}

// Physical memory is identity-mapped up to mapTop, except page 0.
type physMemory struct{}

// PhysMemory reads physical memory through the identity map, for the ACPI
// parser. Page 0 is unmapped (nil dereferences must fault); its one word
// that firmware users read, the EBDA segment at 0x40E, was saved by early.
func PhysMemory() interface {
	ReadAt(p []byte, physAddr uint64) (int, error)
} {
	return physMemory{}
}

var errUnmapped = errors.New("platform: physical address not mapped")

func (physMemory) ReadAt(p []byte, addr uint64) (int, error) {
	end := addr + uint64(len(p))
	if end < addr || end > mapTop {
		return 0, errUnmapped
	}
	if addr < 4096 {
		if addr == 0x40e && len(p) == 2 {
			p[0], p[1] = byte(ebdaSegment), byte(ebdaSegment>>8)
			return 2, nil
		}
		return 0, errUnmapped
	}
	copy(p, unsafe.Slice((*byte)(unsafe.Pointer(uintptr(addr))), len(p)))
	return len(p), nil
}
