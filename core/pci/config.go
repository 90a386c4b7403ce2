package pci

import (
	"fmt"
	"sync"

	"github.com/aerokernel/aero/core/hw"
)

// Addr names one function: segment group, bus, device (0-31) and function
// (0-7).
type Addr struct {
	Segment  uint16
	Bus      uint8
	Device   uint8
	Function uint8
}

// String formats a as lspci does: "00:1f.2", with the segment in front
// when it is not 0 ("0001:00:1f.2").
func (a Addr) String() string {
	s := fmt.Sprintf("%02x:%02x.%d", a.Bus, a.Device, a.Function)
	if a.Segment != 0 {
		s = fmt.Sprintf("%04x:%s", a.Segment, s)
	}
	return s
}

// Config reads and writes configuration space. width is 1, 2 or 4 and
// off a multiple of it; off is below ConfigSize, which is 256 for
// mechanism #1 and 4096 for ECAM. An access to a function that does not
// exist reads all ones (as the hardware's master abort does) and a write
// to one is lost. A bad width, offset or an address outside what the
// mechanism reaches is a caller's bug and panics.
type Config interface {
	Read(a Addr, off, width int) uint32
	Write(a Addr, off, width int, v uint32)
	// ConfigSize is the size of one function's configuration space
	// through this mechanism.
	ConfigSize() int
}

func checkConfig(c Config, a Addr, off, width int) {
	if a.Device > 31 || a.Function > 7 {
		panic(fmt.Sprintf("pci: function %v: device or function number out of range", a))
	}
	if width != 1 && width != 2 && width != 4 {
		panic(fmt.Sprintf("pci: %v: configuration access of width %d", a, width))
	}
	hw.CheckAccess(c.ConfigSize(), off, width)
}

// ECAM is configuration space memory-mapped as the PCI Express Base
// Specification §7.2.2 lays it out: function (bus, dev, fn) at
// (bus-StartBus)<<20 | dev<<15 | fn<<12 from the window's start. Regs is
// the window of buses StartBus..EndBus of Segment (acpi.ECAMRegion.Range).
type ECAM struct {
	Regs             hw.Registers
	Segment          uint16
	StartBus, EndBus uint8
}

func (e *ECAM) ConfigSize() int { return 4096 }

func (e *ECAM) offset(a Addr, off, width int) (int, bool) {
	checkConfig(e, a, off, width)
	if a.Segment != e.Segment || a.Bus < e.StartBus || a.Bus > e.EndBus {
		return 0, false
	}
	o := int(a.Bus-e.StartBus)<<20 | int(a.Device)<<15 | int(a.Function)<<12 | off
	if o+width > e.Regs.Size() {
		return 0, false
	}
	return o, true
}

// Read implements Config. A bus outside the window reads all ones.
func (e *ECAM) Read(a Addr, off, width int) uint32 {
	o, ok := e.offset(a, off, width)
	if !ok {
		return ones(width)
	}
	switch width {
	case 1:
		return uint32(e.Regs.Read8(o))
	case 2:
		return uint32(e.Regs.Read16(o))
	}
	return e.Regs.Read32(o)
}

// Write implements Config. A write to a bus outside the window is lost.
func (e *ECAM) Write(a Addr, off, width int, v uint32) {
	o, ok := e.offset(a, off, width)
	if !ok {
		return
	}
	switch width {
	case 1:
		e.Regs.Write8(o, uint8(v))
	case 2:
		e.Regs.Write16(o, uint16(v))
	default:
		e.Regs.Write32(o, v)
	}
}

// Ports is configuration mechanism #1 (PCI Local Bus Specification 3.0,
// §3.2.2.3.2): Regs is the 8 I/O ports from 0xCF8; the 32-bit address
// register at 0 selects enable | bus<<16 | dev<<11 | fn<<8 | register,
// and the data port at 4 (plus the byte offset) moves the value. It
// reaches the first 256 bytes of segment 0 only. The address and data
// accesses are one pair: Ports serialises them, but nothing else may use
// the ports at the same time.
type Ports struct {
	Regs hw.Registers
	mu   sync.Mutex
}

func (p *Ports) ConfigSize() int { return 256 }

func (p *Ports) address(a Addr, off, width int) (uint32, bool) {
	checkConfig(p, a, off, width)
	if a.Segment != 0 {
		return 0, false
	}
	return 1<<31 | uint32(a.Bus)<<16 | uint32(a.Device)<<11 | uint32(a.Function)<<8 | uint32(off&^3), true
}

// Read implements Config.
func (p *Ports) Read(a Addr, off, width int) uint32 {
	addr, ok := p.address(a, off, width)
	if !ok {
		return ones(width)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Regs.Write32(0, addr)
	switch width {
	case 1:
		return uint32(p.Regs.Read8(4 + off&3))
	case 2:
		return uint32(p.Regs.Read16(4 + off&3))
	}
	return p.Regs.Read32(4)
}

// Write implements Config.
func (p *Ports) Write(a Addr, off, width int, v uint32) {
	addr, ok := p.address(a, off, width)
	if !ok {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Regs.Write32(0, addr)
	switch width {
	case 1:
		p.Regs.Write8(4+off&3, uint8(v))
	case 2:
		p.Regs.Write16(4+off&3, uint16(v))
	default:
		p.Regs.Write32(4, v)
	}
}

func ones(width int) uint32 { return ^uint32(0) >> (32 - 8*width) }
