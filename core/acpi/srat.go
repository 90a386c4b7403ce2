package acpi

import (
	"encoding/binary"
	"math/bits"

	"github.com/aerokernel/aero/core/hw"
)

// SRAT is the System Resource Affinity Table (ACPI 6.5 §5.2.16): which
// proximity domain (NUMA node) each processor and memory range belongs to.
//
//	offset size field
//	 0     36   header, signature "SRAT"
//	36      4   Reserved (1, for compatibility)
//	40      8   Reserved
//	48      -   static resource allocation structures, each {type u8, length u8, ...}
//
// Revision 1 is the ACPI 2.0 table, in which proximity domains were 8 bits
// wide and the bytes that later held their upper 24 bits were reserved;
// from revision 2 (ACPI 3.0) on, domains are 32 bits. For a revision 1
// table only the low 8 bits are used, so firmware's junk in reserved bytes
// cannot invent domains.
type SRAT struct {
	Header     Header
	Processors []ProcessorAffinity
	Memory     []MemoryAffinity
	// Skipped counts structures of types not parsed here (GICC, GIC ITS,
	// generic initiator, generic port, RINTC, ...), by type.
	Skipped map[uint8]int
}

// SRAT structure types (ACPI 6.5 §5.2.16) parsed here.
const (
	SRATLocalAPIC   = 0
	SRATMemory      = 1
	SRATLocalX2APIC = 2
)

// ProcessorAffinity is a Processor Local APIC/SAPIC Affinity (ACPI 6.5
// §5.2.16.1) or Processor Local x2APIC Affinity (§5.2.16.3) structure.
type ProcessorAffinity struct {
	Domain      uint32
	APICID      uint32 // local APIC ID (8 bits) or x2APIC ID
	X2APIC      bool
	Flags       uint32
	Enabled     bool // if clear, the structure is to be ignored
	SAPICEID    uint8
	ClockDomain uint32
}

// MemoryAffinity is a Memory Affinity structure (ACPI 6.5 §5.2.16.2): the
// physical range (base address, length) and its proximity domain.
type MemoryAffinity struct {
	hw.Range
	Domain       uint32
	Flags        uint32
	Enabled      bool // if clear, the structure is to be ignored
	HotPluggable bool // the range may be hot-added (it need not be present at boot)
	NonVolatile  bool
}

// Affinity flags (ACPI 6.5 §5.2.16.1-3).
const (
	AffinityEnabled       = 1 << 0
	MemoryHotPluggable    = 1 << 1
	MemoryNonVolatile     = 1 << 2
	MemorySpecificPurpose = 1 << 3 // defined by ACPI 6.6; reported in Flags only
)

const sratFixed = 48

// ParseSRAT validates and decodes a SRAT.
func ParseSRAT(b []byte) (*SRAT, error) {
	h, b, err := ParseHeader(b, "SRAT")
	if err != nil {
		return nil, err
	}
	const name = "SRAT"
	if len(b) < sratFixed {
		return nil, errorf(name, ErrLength, "length %d is shorter than the %d-byte fixed part", len(b), sratFixed)
	}
	domainMask := ^uint32(0)
	if h.Revision < 2 {
		domainMask = 0xff
	}
	s := &SRAT{Header: h}
	le32 := binary.LittleEndian.Uint32
	err = walkEntries(name, b, sratFixed, func(typ uint8, off int, e []byte) error {
		switch typ {
		case SRATLocalAPIC:
			// §5.2.16.1: domain[7:0] u8 @2, APIC ID u8 @3, flags u32 @4,
			// SAPIC EID u8 @8, domain[31:8] 3 bytes @9, clock domain
			// u32 @12; 16 bytes.
			if err := needLength(name, off, e, "processor local APIC affinity", 16); err != nil {
				return err
			}
			dom := uint32(e[2]) | uint32(e[9])<<8 | uint32(e[10])<<16 | uint32(e[11])<<24
			f := le32(e[4:])
			s.Processors = append(s.Processors, ProcessorAffinity{
				Domain: dom & domainMask, APICID: uint32(e[3]), Flags: f, Enabled: f&AffinityEnabled != 0,
				SAPICEID: e[8], ClockDomain: le32(e[12:]),
			})
		case SRATLocalX2APIC:
			// §5.2.16.3: reserved u16 @2, domain u32 @4, x2APIC ID u32 @8,
			// flags u32 @12, clock domain u32 @16, reserved u32 @20;
			// 24 bytes.
			if err := needLength(name, off, e, "processor local x2APIC affinity", 24); err != nil {
				return err
			}
			f := le32(e[12:])
			s.Processors = append(s.Processors, ProcessorAffinity{
				Domain: le32(e[4:]), APICID: le32(e[8:]), X2APIC: true, Flags: f, Enabled: f&AffinityEnabled != 0,
				ClockDomain: le32(e[16:]),
			})
		case SRATMemory:
			// §5.2.16.2: domain u32 @2, reserved u16 @6, base low/high
			// u32 @8/@12, length low/high u32 @16/@20, reserved u32 @24,
			// flags u32 @28, reserved u64 @32; 40 bytes.
			if err := needLength(name, off, e, "memory affinity", 40); err != nil {
				return err
			}
			base := uint64(le32(e[8:])) | uint64(le32(e[12:]))<<32
			length := uint64(le32(e[16:])) | uint64(le32(e[20:]))<<32
			f := le32(e[28:])
			if _, carry := bits.Add64(base, length, 0); carry != 0 && f&AffinityEnabled != 0 {
				return errorf(name, ErrEntry, "entry at offset %d (memory affinity) covers %#x+%#x, past the end of the address space", off, base, length)
			}
			s.Memory = append(s.Memory, MemoryAffinity{
				Range: hw.Range{Base: base, Size: length}, Domain: le32(e[2:]) & domainMask, Flags: f,
				Enabled: f&AffinityEnabled != 0, HotPluggable: f&MemoryHotPluggable != 0, NonVolatile: f&MemoryNonVolatile != 0,
			})
		default:
			count(&s.Skipped, typ)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// DomainOfAPIC returns the proximity domain of the enabled processor with
// the given (x2)APIC ID.
func (s *SRAT) DomainOfAPIC(apicID uint32) (uint32, bool) {
	for _, p := range s.Processors {
		if p.Enabled && p.APICID == apicID {
			return p.Domain, true
		}
	}
	return 0, false
}
