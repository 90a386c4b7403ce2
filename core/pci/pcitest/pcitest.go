// Package pcitest is a fake PCI configuration space for host tests of
// code that scans or drives PCI functions: the test adds functions with
// their header values, BAR sizes and capabilities, and the fake behaves
// as configuration space does — absent functions read all ones, BARs
// keep only their address bits when written (so the all-ones sizing probe
// reads back the size), read-only registers ignore writes.
package pcitest

import (
	"encoding/binary"
	"sync"

	"github.com/aerokernel/aero/core/hw"
	"github.com/aerokernel/aero/core/pci"
)

// Config is a fake pci.Config of 4096 bytes per function (as ECAM).
type Config struct {
	mu    sync.Mutex
	funcs map[pci.Addr]*Function
}

// Function is one fake function's configuration space.
type Function struct {
	Space [4096]byte
	// barMask holds, per BAR register, the bits software can write (the
	// address bits); zero for an unimplemented register.
	barMask [6]uint32
	// writable marks the bytes outside the BARs that writes change
	// (command, interrupt line, capability bodies); others are read-only.
	writable [4096]bool
}

// New returns an empty configuration space.
func New() *Config { return &Config{funcs: map[pci.Addr]*Function{}} }

// Header is what Add puts in a function's header.
type Header struct {
	Vendor, Device          uint16
	Class, Subclass, ProgIF uint8
	Revision                uint8
	HeaderType              uint8 // with the multi-function bit 0x80 if wanted
	IntLine, IntPin         uint8
	Secondary               uint8 // type 1
}

// Add adds a function with header h and returns it for BARs and
// capabilities.
func (c *Config) Add(a pci.Addr, h Header) *Function {
	f := &Function{}
	le := binary.LittleEndian
	le.PutUint16(f.Space[0:], h.Vendor)
	le.PutUint16(f.Space[2:], h.Device)
	f.Space[8], f.Space[9], f.Space[10], f.Space[11] = h.Revision, h.ProgIF, h.Subclass, h.Class
	f.Space[0x0e] = h.HeaderType
	f.Space[0x19] = h.Secondary
	f.Space[0x3c], f.Space[0x3d] = h.IntLine, h.IntPin
	for _, off := range []int{0x04, 0x05, 0x3c} {
		f.writable[off] = true
	}
	c.mu.Lock()
	c.funcs[a] = f
	c.mu.Unlock()
	return f
}

// MemBAR makes BAR i a 32-bit memory BAR of size bytes (a power of two
// of at least 16) at base.
func (f *Function) MemBAR(i int, base uint32, size uint32) {
	f.barMask[i] = ^(size - 1)
	binary.LittleEndian.PutUint32(f.Space[0x10+4*i:], base&f.barMask[i])
}

// MemBAR64 makes BARs i and i+1 a 64-bit memory BAR of size bytes at base.
func (f *Function) MemBAR64(i int, base, size uint64, prefetchable bool) {
	m := ^(size - 1)
	f.barMask[i], f.barMask[i+1] = uint32(m)&^0xf, uint32(m>>32)
	lo := uint32(base)&f.barMask[i] | 4
	if prefetchable {
		lo |= 8
	}
	binary.LittleEndian.PutUint32(f.Space[0x10+4*i:], lo)
	binary.LittleEndian.PutUint32(f.Space[0x14+4*i:], uint32(base>>32))
}

// IOBAR makes BAR i an I/O BAR of size ports at base.
func (f *Function) IOBAR(i int, base uint16, size uint32) {
	f.barMask[i] = ^(size - 1) &^ 3
	binary.LittleEndian.PutUint32(f.Space[0x10+4*i:], uint32(base)&f.barMask[i]|1)
}

// Caps writes a capability list: each entry's ID and body (the bytes
// after the ID and next pointer), from offset 0x40 on, 4-byte aligned,
// and sets the status register's capability-list bit. Capability bodies
// are writable.
func (f *Function) Caps(caps ...Cap) {
	off := 0x40
	f.Space[0x34] = byte(off)
	f.Space[0x06] |= 1 << 4
	for i, c := range caps {
		n := (2 + len(c.Body) + 3) &^ 3
		next := 0
		if i+1 < len(caps) {
			next = off + n
		}
		f.Space[off], f.Space[off+1] = c.ID, byte(next)
		copy(f.Space[off+2:], c.Body)
		for j := off + 2; j < off+n; j++ {
			f.writable[j] = true
		}
		off += n
	}
}

// Cap is one capability for Caps.
type Cap struct {
	ID   uint8
	Body []byte
}

// ConfigSize implements pci.Config.
func (c *Config) ConfigSize() int { return 4096 }

// Read implements pci.Config.
func (c *Config) Read(a pci.Addr, off, width int) uint32 {
	hw.CheckAccess(4096, off, width)
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.funcs[a]
	if f == nil {
		return ^uint32(0) >> (32 - 8*width)
	}
	var v uint32
	for i := width - 1; i >= 0; i-- {
		v = v<<8 | uint32(f.Space[off+i])
	}
	return v
}

// Write implements pci.Config.
func (c *Config) Write(a pci.Addr, off, width int, v uint32) {
	hw.CheckAccess(4096, off, width)
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.funcs[a]
	if f == nil {
		return
	}
	for i := 0; i < width; i++ {
		o, b := off+i, byte(v>>(8*i))
		if o >= 0x10 && o < 0x28 {
			reg := (o - 0x10) / 4
			shift := 8 * ((o - 0x10) % 4)
			m := byte(f.barMask[reg] >> shift)
			f.Space[o] = f.Space[o]&^m | b&m
			continue
		}
		if f.writable[o] {
			f.Space[o] = b
		}
	}
}
