package acpi

import (
	"encoding/binary"

	"github.com/aerokernel/aero/core/hw"
)

// HPET is the HPET Description Table (IA-PC HPET Specification 1.0a,
// §3.2.4, "The ACPI 2.0 HPET Description Table"):
//
//	offset size field
//	 0     36   header, signature "HPET"
//	36      4   Event Timer Block ID: bits 0-7 hardware revision, 8-12 number
//	            of comparators minus one, 13 COUNT_SIZE_CAP (64-bit counter),
//	            15 LegacyReplacement IRQ routing capable, 16-31 PCI vendor ID
//	40     12   Base Address (GAS)
//	52      1   HPET Number (sequence number of this timer block)
//	53      2   Main Counter Minimum Clock Tick in Periodic Mode
//	55      1   Page Protection (bits 0-3) and OEM attribute (bits 4-7)
type HPET struct {
	Header            Header
	BlockID           uint32 // Event Timer Block ID, raw
	HardwareRevision  uint8
	Comparators       int  // number of comparators (timers) in the block: 1-32
	Counter64         bool // COUNT_SIZE_CAP
	LegacyReplacement bool
	PCIVendorID       uint16
	Address           GAS // the registers, normally system memory
	Number            uint8
	MinTick           uint16 // minimum periodic tick in main counter ticks; QEMU gives 0
	PageProtection    uint8  // 0 none, 1 4 KiB, 2 64 KiB
	OEMAttribute      uint8
}

const hpetSize = 56

// HPETRegistersSize is the size of an event timer block's register space
// (IA-PC HPET Specification 1.0a, §2.3.1: 1024 bytes).
const HPETRegistersSize = 1024

// Registers returns the physical range of the timer block's registers, or
// an error when the table puts them elsewhere than in system memory.
func (h *HPET) Registers() (hw.Range, error) {
	if h.Address.Space != SpaceSystemMemory {
		return hw.Range{}, errorf("HPET", ErrEntry, "registers are in address space %d, not system memory", h.Address.Space)
	}
	if h.Address.Address == 0 {
		return hw.Range{}, errorf("HPET", ErrEntry, "register address is 0")
	}
	return hw.Range{Base: h.Address.Address, Size: HPETRegistersSize}, nil
}

// ParseHPET validates and decodes a HPET table.
func ParseHPET(b []byte) (*HPET, error) {
	h, b, err := ParseHeader(b, "HPET")
	if err != nil {
		return nil, err
	}
	if len(b) < hpetSize {
		return nil, errorf("HPET", ErrLength, "length %d is shorter than the %d-byte table", len(b), hpetSize)
	}
	id := binary.LittleEndian.Uint32(b[36:])
	return &HPET{
		Header:            h,
		BlockID:           id,
		HardwareRevision:  uint8(id),
		Comparators:       int(id>>8&0x1f) + 1,
		Counter64:         id&(1<<13) != 0,
		LegacyReplacement: id&(1<<15) != 0,
		PCIVendorID:       uint16(id >> 16),
		Address:           decodeGAS(b[40:]),
		Number:            b[52],
		MinTick:           binary.LittleEndian.Uint16(b[53:]),
		PageProtection:    b[55] & 0xf,
		OEMAttribute:      b[55] >> 4,
	}, nil
}
