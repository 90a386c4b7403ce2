//go:build !tamago

package mm

import "github.com/aerokernel/aero/core/hw"

// On the host there is no identity map: Init refuses (it runs in the
// kernel only); host tests build a Memory over a buffer with setUp.

func currentCPU() int { return -1 }

func cachedRAM() []hw.Range { return nil }

type kernelSpace struct{}

func (kernelSpace) bytes(uint64, int) []byte { panic("mm: no physical memory on the host") }
func (kernelSpace) phys(*byte) uint64        { panic("mm: no physical memory on the host") }
