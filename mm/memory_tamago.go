//go:build tamago && amd64

package mm

import (
	"unsafe"

	"github.com/aerokernel/aero/core/hw"
	"github.com/aerokernel/aero/core/platform"
)

func currentCPU() int { return platform.CPUIndex() }

// cachedRAM is where the kernel's identity map maps RAM cacheable
// (platform.CachedRAM); mm uses no RAM outside it.
func cachedRAM() []hw.Range { return platform.CachedRAM() }

// kernelSpace is the identity map: a physical address is the virtual
// address of the same byte (core/platform, hw.go).
type kernelSpace struct{}

func (kernelSpace) bytes(phys uint64, n int) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(uintptr(phys))), n)
}

func (kernelSpace) phys(p *byte) uint64 { return uint64(uintptr(unsafe.Pointer(p))) }
