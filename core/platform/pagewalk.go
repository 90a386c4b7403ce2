//go:build tamago && amd64

package platform

import (
	"fmt"
	"unsafe"
)

// Translate walks the page tables the CPU runs on (CR3) for the virtual
// address virt and returns the physical address it maps to, or an error
// saying at which level it is not mapped; it never touches virt itself,
// so asking about an unmapped address does not fault. 4-level paging
// (Intel SDM Vol. 3A, 4.5: PML4, PDPT, PD, PT; PS marks a 1 GiB or 2 MiB
// page). The tables themselves are in identity-mapped memory (cpuinit,
// finishPaging).
func Translate(virt uint64) (uint64, error) {
	const present, ps = 1 << 0, 1 << 7
	const addrMask = 0x000f_ffff_ffff_f000
	// Canonical: bits 63:47 all equal (SDM Vol. 1, 3.3.7.1).
	if top := int64(virt) >> 47; top != 0 && top != -1 {
		return 0, fmt.Errorf("platform: %#x is not a canonical address", virt)
	}
	table := readCR3() & addrMask
	levels := [...]struct {
		name  string
		shift uint
	}{{"PML4", 39}, {"PDPT", 30}, {"PD", 21}, {"PT", 12}}
	for i, l := range levels {
		entry := *(*uint64)(unsafe.Pointer(uintptr(table + (virt>>l.shift)&0x1ff*8)))
		if entry&present == 0 {
			return 0, fmt.Errorf("platform: %#x is not mapped (%s entry %d not present)", virt, l.name, (virt>>l.shift)&0x1ff)
		}
		if i == len(levels)-1 || i > 0 && entry&ps != 0 {
			size := uint64(1) << l.shift
			return entry&addrMask&^(size-1) | virt&(size-1), nil
		}
		table = entry & addrMask
	}
	panic("unreachable")
}
