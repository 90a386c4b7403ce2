package hw

import "fmt"

// Registers is a window of device registers, addressed by offset from the
// window's start: memory-mapped (platform.MMIO) or I/O ports
// (platform.Ports). A driver written against Registers runs on either, as
// devices that offer both (virtio's legacy and modern PCI transports, the
// 16550 UART) need.
//
// Every access is one access of its width (never split or merged), in
// program order with the window's other accesses. An offset must be a
// multiple of the access width and the access must lie inside the window
// (Size bytes); anything else is a driver bug, and every implementation
// panics naming the offset, the width and the window (CheckAccess).
// Methods are safe to call from any goroutine; what concurrent accesses
// mean is the device's business.
type Registers interface {
	Size() int
	Read8(off int) uint8
	Read16(off int) uint16
	Read32(off int) uint32
	Write8(off int, v uint8)
	Write16(off int, v uint16)
	Write32(off int, v uint32)
}

// MMIO is a memory-mapped register window, which also has 64-bit accesses
// (I/O ports do not). The platform maps it uncached.
type MMIO interface {
	Registers
	Read64(off int) uint64
	Write64(off int, v uint64)
}

// CheckAccess panics unless an access of width bytes at off lies inside a
// window of size bytes and off is a multiple of width: the rule every
// Registers implementation enforces, in one place.
func CheckAccess(size, off, width int) {
	if off < 0 || width <= 0 || off%width != 0 || off > size-width {
		panic(fmt.Sprintf("hw: %d-bit register access at offset %#x of a %#x-byte window (must be aligned and inside)", 8*width, off, size))
	}
}
