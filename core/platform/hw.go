//go:build tamago && amd64

package platform

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/aerokernel/aero/core/hw"
)

// The implementations of core/hw on the machine. Aero runs identity-mapped
// (cpuinit_amd64.s): a physical address below mapTop is the virtual address
// of the same byte, 0-3 GiB cached, 3-4 GiB uncached (the PCI hole: local
// APIC, I/O APICs, HPET, 32-bit BARs) but for the 2 MiB pages there that
// are all RAM, and above 4 GiB every 1 GiB page that holds no RAM
// uncached (64-bit BARs).

// PhysMemory reads physical memory through the identity map: ACPI tables,
// DMA buffers. Page 0 is unmapped (nil dereferences must fault); its one
// word that firmware users read, the EBDA segment at 0x40E, was saved by
// early.
func PhysMemory() hw.PhysMemory { return physMemory{} }

type physMemory struct{}

var errUnmapped = errors.New("platform: physical address not mapped")

func (physMemory) ReadAt(p []byte, addr uint64) (int, error) {
	end := addr + uint64(len(p))
	if end < addr || end > mapTop {
		return 0, fmt.Errorf("%w: [%#x, %#x) (the identity map ends at %#x)", errUnmapped, addr, end, uint64(mapTop))
	}
	if addr < 4096 {
		if addr == 0x40e && len(p) == 2 {
			p[0], p[1] = byte(ebdaSegment), byte(ebdaSegment>>8)
			return 2, nil
		}
		return 0, fmt.Errorf("%w: %#x is in page 0", errUnmapped, addr)
	}
	copy(p, unsafe.Slice((*byte)(unsafe.Pointer(uintptr(addr))), len(p)))
	return len(p), nil
}

// PhysAddr returns the physical address of the byte at virtual address
// virt: the same number, when the identity map covers it.
func PhysAddr(virt uintptr) (uint64, error) {
	if virt < 4096 || uint64(virt) >= mapTop {
		return 0, fmt.Errorf("%w: virtual address %#x", errUnmapped, virt)
	}
	return uint64(virt), nil
}

// CachedRAM returns the physical ranges in which the identity map maps RAM
// cacheable (PCD and PWT clear: PAT entry 0, write-back from reset, with
// the firmware's MTRRs; SDM Vol. 3A, "Memory Cache Control", "Page
// Attribute Table"): below 3 GiB, the 2 MiB pages of 3-4 GiB that are all
// RAM, and 4 GiB to mapTop (paging.go). RAM elsewhere is not fit for a
// memory manager: a 2 MiB page of 3-4 GiB that is only partly RAM stays
// uncached, and past mapTop nothing is mapped.
func CachedRAM() []hw.Range { return cachedRAM(earlyRAM[:earlyRAMCount]) }

// uncached reports whether the identity map maps all of r uncached, as
// device registers must be: 3-4 GiB but for its 2 MiB pages that are all
// RAM, and above 4 GiB the 1 GiB pages without RAM (finishPaging).
func uncached(r hw.Range) bool {
	if r.Size == 0 || r.Base+r.Size < r.Base || r.Base+r.Size > mapTop {
		return false
	}
	for slot := r.Base >> 30; slot <= (r.Base+r.Size-1)>>30; slot++ {
		if slot < 3 || slot >= 4 && overlapsRAM(slot<<30, (slot+1)<<30) {
			return false
		}
	}
	ram := earlyRAM[:earlyRAMCount]
	for p := max(r.Base, holeBase) &^ (pageSize2M - 1); p < min(r.End(), holeEnd); p += pageSize2M {
		if holePageRAM(ram, p) {
			return false
		}
	}
	return true
}

// MMIO returns the memory-mapped register window r (a device's, from ACPI
// or a PCI BAR). r must be mapped uncached (3-4 GiB, or a 1 GiB page above
// 4 GiB without RAM), else it is an error: registers behind a cached
// mapping would not be read from the device.
func MMIO(r hw.Range) (hw.MMIO, error) {
	if r.Size == 0 || r.Size > 1<<31 {
		return nil, fmt.Errorf("platform: MMIO window %v: size %#x (want 1 byte to 2 GiB)", r, r.Size)
	}
	if !uncached(r) {
		return nil, fmt.Errorf("platform: MMIO window %v is not mapped uncached (3-4 GiB, or 1 GiB pages above 4 GiB without RAM)", r)
	}
	return mmio{base: uintptr(r.Base), size: int(r.Size)}, nil
}

type mmio struct {
	base uintptr
	size int
}

func (m mmio) Size() int { return m.size }

func (m mmio) Read8(off int) uint8 {
	hw.CheckAccess(m.size, off, 1)
	return mmioRead8(m.base + uintptr(off))
}

func (m mmio) Read16(off int) uint16 {
	hw.CheckAccess(m.size, off, 2)
	return mmioRead16(m.base + uintptr(off))
}

func (m mmio) Read32(off int) uint32 {
	hw.CheckAccess(m.size, off, 4)
	return mmioRead32(m.base + uintptr(off))
}

func (m mmio) Read64(off int) uint64 {
	hw.CheckAccess(m.size, off, 8)
	return mmioRead64(m.base + uintptr(off))
}

func (m mmio) Write8(off int, v uint8) {
	hw.CheckAccess(m.size, off, 1)
	mmioWrite8(m.base+uintptr(off), v)
}

func (m mmio) Write16(off int, v uint16) {
	hw.CheckAccess(m.size, off, 2)
	mmioWrite16(m.base+uintptr(off), v)
}

func (m mmio) Write32(off int, v uint32) {
	hw.CheckAccess(m.size, off, 4)
	mmioWrite32(m.base+uintptr(off), v)
}

func (m mmio) Write64(off int, v uint64) {
	hw.CheckAccess(m.size, off, 8)
	mmioWrite64(m.base+uintptr(off), v)
}

// Ports returns the n I/O ports from base as a register window (offset 0
// is port base).
func Ports(base uint16, n int) (hw.Registers, error) {
	if n <= 0 || int(base)+n > 1<<16 {
		return nil, fmt.Errorf("platform: %d I/O ports from %#x: not inside the 64 Ki port space", n, base)
	}
	return ports{base: base, size: n}, nil
}

type ports struct {
	base uint16
	size int
}

func (p ports) Size() int { return p.size }

func (p ports) Read8(off int) uint8 {
	hw.CheckAccess(p.size, off, 1)
	return inb(p.base + uint16(off))
}

func (p ports) Read16(off int) uint16 {
	hw.CheckAccess(p.size, off, 2)
	return inw(p.base + uint16(off))
}

func (p ports) Read32(off int) uint32 {
	hw.CheckAccess(p.size, off, 4)
	return inl(p.base + uint16(off))
}

func (p ports) Write8(off int, v uint8) {
	hw.CheckAccess(p.size, off, 1)
	outb(p.base+uint16(off), v)
}

func (p ports) Write16(off int, v uint16) {
	hw.CheckAccess(p.size, off, 2)
	outw(p.base+uint16(off), v)
}

func (p ports) Write32(off int, v uint32) {
	hw.CheckAccess(p.size, off, 4)
	outl(p.base+uint16(off), v)
}

// defined in regs_amd64.s
func mmioRead8(addr uintptr) uint8
func mmioRead16(addr uintptr) uint16
func mmioRead32(addr uintptr) uint32
func mmioRead64(addr uintptr) uint64
func mmioWrite8(addr uintptr, v uint8)
func mmioWrite16(addr uintptr, v uint16)
func mmioWrite32(addr uintptr, v uint32)
func mmioWrite64(addr uintptr, v uint64)
func inw(port uint16) uint16
func outw(port uint16, v uint16)
