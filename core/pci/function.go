package pci

import (
	"fmt"
)

// Configuration space registers of the common header (PCI Local Bus
// Specification 3.0, §6.1) and of the type 0 and type 1 headers.
const (
	RegVendor     = 0x00
	RegDevice     = 0x02
	RegCommand    = 0x04
	RegStatus     = 0x06
	RegRevision   = 0x08 // then prog IF, subclass, class
	RegHeaderType = 0x0e
	RegBAR0       = 0x10
	RegSecondary  = 0x19 // type 1: secondary bus number
	RegSubVendor  = 0x2c // type 0
	RegSubsystem  = 0x2e
	RegCapPtr     = 0x34
	RegIntLine    = 0x3c
	RegIntPin     = 0x3d

	CmdIO          = 1 << 0 // I/O space enable
	CmdMemory      = 1 << 1 // memory space enable
	CmdBusMaster   = 1 << 2
	CmdINTxDisable = 1 << 10

	statusCapList = 1 << 4
)

// Capability IDs (PCI Local Bus Specification 3.0, Appendix H).
const (
	CapMSI    = 0x05
	CapVendor = 0x09
	CapPCIe   = 0x10
	CapMSIX   = 0x11
)

// BAR is one base address register, sized (§6.2.5.1). A 64-bit memory BAR
// takes two registers; Index is the first.
type BAR struct {
	Index        int
	Base         uint64
	Size         uint64
	IO           bool // I/O space, else memory
	Is64         bool
	Prefetchable bool
}

func (b BAR) String() string {
	kind := "mem32"
	switch {
	case b.IO:
		kind = "io"
	case b.Is64:
		kind = "mem64"
	}
	if b.Prefetchable {
		kind += ",pf"
	}
	return fmt.Sprintf("bar%d %s %#x+%#x", b.Index, kind, b.Base, b.Size)
}

// Capability is one entry of the capability list: its ID and the offset
// of its first byte (the ID) in configuration space.
type Capability struct {
	ID     uint8
	Offset int
}

// Function is one PCI function as the scan found it. Its configuration
// space stays reachable through Read and Write.
type Function struct {
	Addr
	VendorID, DeviceID                uint16
	Class, Subclass, ProgIF, Revision uint8
	// HeaderType is the header layout without the multi-function bit: 0
	// for a device, 1 for a PCI-to-PCI bridge, 2 for a CardBus bridge.
	HeaderType uint8
	// SubsystemVendor and Subsystem are the type 0 header's (0 for
	// bridges).
	SubsystemVendor, Subsystem uint16
	// Secondary is a bridge's secondary bus.
	Secondary uint8
	// BARs are the implemented base address registers, by Index.
	BARs []BAR
	// Caps is the capability list, in list order.
	Caps []Capability
	// IntLine is the interrupt line the firmware wrote (on the PC, the
	// 8259 IRQ it routed the pin to; 0xff for none); IntPin is the pin
	// (1-4 for INTA#-INTD#, 0 for none).
	IntLine, IntPin uint8

	cfg Config
}

func (f *Function) Read8(off int) uint8   { return uint8(f.cfg.Read(f.Addr, off, 1)) }
func (f *Function) Read16(off int) uint16 { return uint16(f.cfg.Read(f.Addr, off, 2)) }
func (f *Function) Read32(off int) uint32 { return f.cfg.Read(f.Addr, off, 4) }
func (f *Function) Write8(off int, v uint8) {
	f.cfg.Write(f.Addr, off, 1, uint32(v))
}
func (f *Function) Write16(off int, v uint16) {
	f.cfg.Write(f.Addr, off, 2, uint32(v))
}
func (f *Function) Write32(off int, v uint32) { f.cfg.Write(f.Addr, off, 4, v) }

// ConfigSize is how much of the function's configuration space Read and
// Write reach.
func (f *Function) ConfigSize() int { return f.cfg.ConfigSize() }

// Enable sets bits of the command register (CmdMemory, CmdBusMaster, ...).
func (f *Function) Enable(bits uint16) { f.Write16(RegCommand, f.Read16(RegCommand)|bits) }

// Disable clears bits of the command register.
func (f *Function) Disable(bits uint16) { f.Write16(RegCommand, f.Read16(RegCommand)&^bits) }

// BAR returns the base address register with index i.
func (f *Function) BAR(i int) (BAR, bool) {
	for _, b := range f.BARs {
		if b.Index == i {
			return b, true
		}
	}
	return BAR{}, false
}

// Find returns the function's capabilities with the given ID, in list
// order (vendor-specific capabilities often come several at once).
func (f *Function) Find(id uint8) []Capability {
	var out []Capability
	for _, c := range f.Caps {
		if c.ID == id {
			out = append(out, c)
		}
	}
	return out
}

// MSIX is a function's MSI-X capability (PCI Local Bus Specification 3.0,
// §6.8.2): its table of TableSize entries of 16 bytes at TableOffset in
// BAR TableBAR, and the pending bit array.
type MSIX struct {
	Cap                    Capability
	TableSize              int
	TableBAR, PBABAR       int
	TableOffset, PBAOffset uint32
}

// MSIX decodes the function's MSI-X capability, if it has one.
func (f *Function) MSIX() (MSIX, bool) {
	caps := f.Find(CapMSIX)
	if len(caps) == 0 {
		return MSIX{}, false
	}
	c := caps[0]
	ctl := f.Read16(c.Offset + 2)
	table, pba := f.Read32(c.Offset+4), f.Read32(c.Offset+8)
	return MSIX{Cap: c, TableSize: int(ctl&0x7ff) + 1,
		TableBAR: int(table & 7), TableOffset: table &^ 7,
		PBABAR: int(pba & 7), PBAOffset: pba &^ 7}, true
}

// probe reads the function at a, or returns nil when there is none.
func probe(c Config, a Addr) (*Function, error) {
	vendor := uint16(c.Read(a, RegVendor, 2))
	if vendor == 0xffff || vendor == 0 {
		return nil, nil
	}
	f := &Function{Addr: a, cfg: c, VendorID: vendor}
	f.DeviceID = f.Read16(RegDevice)
	classRev := f.Read32(RegRevision)
	f.Revision, f.ProgIF, f.Subclass, f.Class = uint8(classRev), uint8(classRev>>8), uint8(classRev>>16), uint8(classRev>>24)
	f.HeaderType = f.Read8(RegHeaderType) & 0x7f
	nbars := 0
	switch f.HeaderType {
	case 0:
		nbars = 6
		f.SubsystemVendor, f.Subsystem = f.Read16(RegSubVendor), f.Read16(RegSubsystem)
	case 1:
		nbars = 2
		f.Secondary = f.Read8(RegSecondary)
	}
	f.IntLine, f.IntPin = f.Read8(RegIntLine), f.Read8(RegIntPin)
	if f.IntPin > 4 {
		return nil, fmt.Errorf("pci: %v: interrupt pin %d (want 0 to 4)", a, f.IntPin)
	}
	var err error
	if f.BARs, err = sizeBARs(f, nbars); err != nil {
		return nil, err
	}
	if f.Caps, err = capabilities(f); err != nil {
		return nil, err
	}
	return f, nil
}

// sizeBARs sizes the first n BARs: with decoding off (so that the
// all-ones probe never claims addresses), write all ones, read back the
// writable bits, restore (§6.2.5.1).
func sizeBARs(f *Function, n int) ([]BAR, error) {
	cmd := f.Read16(RegCommand)
	f.Write16(RegCommand, cmd&^(CmdIO|CmdMemory))
	defer f.Write16(RegCommand, cmd)
	var bars []BAR
	for i := 0; i < n; i++ {
		off := RegBAR0 + 4*i
		orig := f.Read32(off)
		f.Write32(off, 0xffffffff)
		mask := f.Read32(off)
		f.Write32(off, orig)
		b := BAR{Index: i}
		switch {
		case orig&1 == 1: // I/O
			b.IO = true
			b.Base = uint64(orig &^ 3)
			m := mask &^ 3
			if m == 0 {
				continue
			}
			// An I/O BAR's upper 16 bits may read as zero (§6.2.5.1).
			if m&0xffff0000 == 0 {
				m |= 0xffff0000
			}
			b.Size = uint64(^m + 1)
		default:
			b.Prefetchable = orig&8 != 0
			typ := orig >> 1 & 3
			b.Base = uint64(orig &^ 0xf)
			m := uint64(mask &^ 0xf)
			switch typ {
			case 0:
				if m == 0 {
					continue
				}
				b.Size = uint64(^uint32(m) + 1)
			case 2:
				if i+1 >= n {
					return nil, fmt.Errorf("pci: %v: 64-bit BAR %d has no upper half", f.Addr, i)
				}
				hiOff := off + 4
				hi := f.Read32(hiOff)
				f.Write32(hiOff, 0xffffffff)
				hiMask := f.Read32(hiOff)
				f.Write32(hiOff, hi)
				b.Is64 = true
				b.Base |= uint64(hi) << 32
				m |= uint64(hiMask) << 32
				i++
				if m == 0 {
					continue
				}
				b.Size = ^m + 1
			default:
				return nil, fmt.Errorf("pci: %v: BAR %d has reserved memory type %d", f.Addr, i, typ)
			}
		}
		if b.Size == 0 || b.Size&(b.Size-1) != 0 {
			return nil, fmt.Errorf("pci: %v: BAR %d sizes to %#x, not a power of two", f.Addr, b.Index, b.Size)
		}
		bars = append(bars, b)
	}
	return bars, nil
}

// capabilities walks the capability list (§6.7): each entry's second byte
// points to the next, 0 ends it. A pointer into the header, unaligned, or
// a list longer than the 48 entries that fit is malformed.
func capabilities(f *Function) ([]Capability, error) {
	if f.Read16(RegStatus)&statusCapList == 0 || f.HeaderType == 2 {
		return nil, nil
	}
	var caps []Capability
	seen := map[int]bool{}
	for p := int(f.Read8(RegCapPtr)) &^ 3; p != 0; {
		if p < 0x40 || p > 0xfc {
			return nil, fmt.Errorf("pci: %v: capability pointer %#x outside 0x40-0xfc", f.Addr, p)
		}
		if seen[p] {
			return nil, fmt.Errorf("pci: %v: capability list loops at %#x", f.Addr, p)
		}
		seen[p] = true
		caps = append(caps, Capability{ID: f.Read8(p), Offset: p})
		p = int(f.Read8(p+1)) &^ 3
	}
	return caps, nil
}
