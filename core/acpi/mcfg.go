package acpi

import (
	"encoding/binary"

	"github.com/aerokernel/aero/core/hw"
)

// MCFG is the PCI Express memory-mapped configuration space table (PCI
// Firmware Specification 3.x, §4.1.2; its signature "MCFG" is reserved by
// ACPI 6.5 §5.2.6):
//
//	offset size field
//	 0     36   header
//	36      8   Reserved
//	44      -   allocation structures of 16 bytes:
//	              0 u64 base address of the ECAM region
//	              8 u16 PCI segment group number
//	             10 u8  start bus number
//	             11 u8  end bus number
//	             12 u32 reserved
type MCFG struct {
	Header  Header
	Regions []ECAMRegion
}

// ECAMRegion is one MCFG allocation: configuration space of buses
// StartBus..EndBus of a PCI segment group, memory-mapped at Base.
type ECAMRegion struct {
	Base     uint64
	Segment  uint16
	StartBus uint8
	EndBus   uint8
}

// ECAMBusSize is one bus's configuration space: 32 devices of 8 functions
// of 4 KiB (PCI Express Base Specification 4.0, §7.2.2).
const ECAMBusSize = 1 << 20

// Range returns the physical range holding the configuration space of
// buses StartBus..EndBus (Base is where bus 0's would be).
func (r ECAMRegion) Range() hw.Range {
	return hw.Range{Base: r.Base + uint64(r.StartBus)*ECAMBusSize, Size: (uint64(r.EndBus) - uint64(r.StartBus) + 1) * ECAMBusSize}
}

const (
	mcfgFixed = 44
	mcfgEntry = 16
)

// ParseMCFG validates and decodes a MCFG.
func ParseMCFG(b []byte) (*MCFG, error) {
	h, b, err := ParseHeader(b, "MCFG")
	if err != nil {
		return nil, err
	}
	const name = "MCFG"
	if len(b) < mcfgFixed {
		return nil, errorf(name, ErrLength, "length %d is shorter than the %d-byte fixed part", len(b), mcfgFixed)
	}
	if r := (len(b) - mcfgFixed) % mcfgEntry; r != 0 {
		return nil, errorf(name, ErrLength, "length %d leaves %d byte(s) after the last %d-byte entry", len(b), r, mcfgEntry)
	}
	m := &MCFG{Header: h}
	for off := mcfgFixed; off+mcfgEntry <= len(b); off += mcfgEntry {
		e := b[off:]
		r := ECAMRegion{
			Base:     binary.LittleEndian.Uint64(e),
			Segment:  binary.LittleEndian.Uint16(e[8:]),
			StartBus: e[10],
			EndBus:   e[11],
		}
		if r.StartBus > r.EndBus {
			return nil, errorf(name, ErrEntry, "entry at offset %d has start bus %d after end bus %d", off, r.StartBus, r.EndBus)
		}
		m.Regions = append(m.Regions, r)
	}
	return m, nil
}
