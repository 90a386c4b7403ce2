package acpi

import (
	"encoding/binary"

	"github.com/aerokernel/aero/core/hw"
)

// MADT is the Multiple APIC Description Table, signature "APIC" (ACPI 6.5
// §5.2.12):
//
//	offset size field
//	 0     36   header
//	36      4   Local Interrupt Controller Address (32-bit)
//	40      4   Flags (bit 0 PCAT_COMPAT: dual 8259s are present as well)
//	44      -   interrupt controller structures, each {type u8, length u8, ...}
type MADT struct {
	Header Header
	// LocalAPICAddress is the physical address of every local APIC: the
	// 32-bit field, or the local APIC address override when there is one.
	LocalAPICAddress uint64
	Flags            uint32
	// Processors lists the processor local APIC (type 0) and local x2APIC
	// (type 9) structures in table order: the CPUs the firmware knows,
	// present or not.
	Processors []Processor
	IOAPICs    []IOAPIC
	Overrides  []InterruptOverride
	NMISources []NMISource
	LocalNMIs  []LocalNMI
	// Skipped counts structures of types not parsed here, by type.
	Skipped map[uint8]int
}

// Register window sizes: the local APIC's 4 KiB register page (Intel SDM
// Vol. 3A §11.4.1), and an I/O APIC's IOREGSEL at 0x00 and 32-bit IOWIN at
// 0x10 (Intel 82093AA datasheet §3.0).
const (
	LocalAPICSize = 4096
	IOAPICSize    = 0x14
)

// LocalAPIC returns the physical range of the local APIC registers.
func (m *MADT) LocalAPIC() hw.Range {
	return hw.Range{Base: m.LocalAPICAddress, Size: LocalAPICSize}
}

// Registers returns the physical range of the I/O APIC's registers.
func (io IOAPIC) Registers() hw.Range {
	return hw.Range{Base: uint64(io.Address), Size: IOAPICSize}
}

// MADT flags (ACPI 6.5 §5.2.12, Multiple APIC Flags).
const MADTPCATCompat = 1 << 0

// PCATCompat reports whether the machine also has legacy 8259 PICs, which
// must be masked when the APICs are used.
func (m *MADT) PCATCompat() bool { return m.Flags&MADTPCATCompat != 0 }

// MADT interrupt controller structure types (ACPI 6.5 §5.2.12) parsed here.
const (
	MADTLocalAPIC         = 0
	MADTIOAPIC            = 1
	MADTInterruptOverride = 2
	MADTNMISource         = 3
	MADTLocalAPICNMI      = 4
	MADTLocalAPICOverride = 5
	MADTLocalX2APIC       = 9
	MADTLocalX2APICNMI    = 0xa
)

// Local APIC flags (ACPI 6.5 §5.2.12.2, Local APIC Flags), shared by the
// local x2APIC structure (§5.2.12.12).
const (
	LAPICEnabled       = 1 << 0
	LAPICOnlineCapable = 1 << 1
)

// Processor is one processor local APIC (ACPI 6.5 §5.2.12.2) or local
// x2APIC (§5.2.12.12) structure.
type Processor struct {
	UID    uint32 // ACPI Processor UID, which the namespace's processor objects carry
	APICID uint32 // local APIC ID (8 bits) or x2APIC ID (32 bits)
	X2APIC bool   // from a local x2APIC structure
	Flags  uint32
	// Enabled: the processor is usable now.
	Enabled bool
	// OnlineCapable: not enabled, but the OS may bring it online later
	// (hot add). Bit 1 means this only from MADT revision 5 (ACPI 6.3) on;
	// in older tables it is reserved and ignored here.
	OnlineCapable bool
}

// IOAPIC is an I/O APIC structure (ACPI 6.5 §5.2.12.3).
type IOAPIC struct {
	ID      uint8
	Address uint32 // physical address of its registers
	GSIBase uint32 // first global system interrupt it serves
}

// InterruptOverride is an Interrupt Source Override structure (ACPI 6.5
// §5.2.12.5): ISA IRQ Source of Bus is wired to global interrupt GSI.
type InterruptOverride struct {
	Bus    uint8 // 0: ISA
	Source uint8 // the bus-relative IRQ
	GSI    uint32
	Flags  uint16 // MPS INTI flags
}

// MPS INTI flags (ACPI 6.5 §5.2.12.5): polarity in bits 0-1, trigger mode
// in bits 2-3. 0 means "conforms to the bus" (ISA: active high, edge).
const (
	PolarityMask       = 0x3
	PolarityConforming = 0x0
	PolarityActiveHigh = 0x1
	PolarityActiveLow  = 0x3
	TriggerMask        = 0xc
	TriggerConforming  = 0x0
	TriggerEdge        = 0x4
	TriggerLevel       = 0xc
)

// Polarity returns the flags' polarity bits (Polarity* constants).
func (o InterruptOverride) Polarity() uint16 { return o.Flags & PolarityMask }

// Trigger returns the flags' trigger mode bits (Trigger* constants).
func (o InterruptOverride) Trigger() uint16 { return o.Flags & TriggerMask }

// NMISource is a Non-Maskable Interrupt Source structure (ACPI 6.5
// §5.2.12.6): global interrupt GSI is an NMI.
type NMISource struct {
	Flags uint16 // MPS INTI flags
	GSI   uint32
}

// LocalNMI is a local APIC NMI (ACPI 6.5 §5.2.12.7) or local x2APIC NMI
// (§5.2.12.13) structure: which LINT pin of which processor's local APIC
// is wired to NMI.
type LocalNMI struct {
	UID           uint32 // ACPI Processor UID; meaningless when AllProcessors
	AllProcessors bool   // UID 0xFF (local APIC NMI) or 0xFFFFFFFF (x2APIC NMI)
	X2APIC        bool
	Flags         uint16 // MPS INTI flags
	LINT          uint8  // 0 or 1
}

// EnabledProcessors returns the processors that are enabled now.
func (m *MADT) EnabledProcessors() []Processor {
	var ps []Processor
	for _, p := range m.Processors {
		if p.Enabled {
			ps = append(ps, p)
		}
	}
	return ps
}

// madtFixed is where the interrupt controller structures begin.
const madtFixed = 44

// ParseMADT validates (header, checksum, every structure's length) and
// decodes a MADT.
func ParseMADT(b []byte) (*MADT, error) {
	h, b, err := ParseHeader(b, "APIC")
	if err != nil {
		return nil, err
	}
	const name = "MADT"
	if len(b) < madtFixed {
		return nil, errorf(name, ErrLength, "length %d is shorter than the %d-byte fixed part", len(b), madtFixed)
	}
	m := &MADT{
		Header:           h,
		LocalAPICAddress: uint64(binary.LittleEndian.Uint32(b[36:])),
		Flags:            binary.LittleEndian.Uint32(b[40:]),
	}
	onlineCapable := h.Revision >= 5
	le16, le32 := binary.LittleEndian.Uint16, binary.LittleEndian.Uint32
	err = walkEntries(name, b, madtFixed, func(typ uint8, off int, e []byte) error {
		switch typ {
		case MADTLocalAPIC:
			// §5.2.12.2: UID u8 @2, APIC ID u8 @3, flags u32 @4; 8 bytes.
			if err := needLength(name, off, e, "processor local APIC", 8); err != nil {
				return err
			}
			f := le32(e[4:])
			m.Processors = append(m.Processors, Processor{
				UID: uint32(e[2]), APICID: uint32(e[3]), Flags: f,
				Enabled: f&LAPICEnabled != 0, OnlineCapable: onlineCapable && f&LAPICOnlineCapable != 0,
			})
		case MADTLocalX2APIC:
			// §5.2.12.12: reserved u16 @2, x2APIC ID u32 @4, flags u32 @8,
			// UID u32 @12; 16 bytes.
			if err := needLength(name, off, e, "processor local x2APIC", 16); err != nil {
				return err
			}
			f := le32(e[8:])
			m.Processors = append(m.Processors, Processor{
				UID: le32(e[12:]), APICID: le32(e[4:]), X2APIC: true, Flags: f,
				Enabled: f&LAPICEnabled != 0, OnlineCapable: onlineCapable && f&LAPICOnlineCapable != 0,
			})
		case MADTIOAPIC:
			// §5.2.12.3: ID u8 @2, reserved u8 @3, address u32 @4,
			// GSI base u32 @8; 12 bytes.
			if err := needLength(name, off, e, "I/O APIC", 12); err != nil {
				return err
			}
			m.IOAPICs = append(m.IOAPICs, IOAPIC{ID: e[2], Address: le32(e[4:]), GSIBase: le32(e[8:])})
		case MADTInterruptOverride:
			// §5.2.12.5: bus u8 @2, source u8 @3, GSI u32 @4, flags u16 @8;
			// 10 bytes.
			if err := needLength(name, off, e, "interrupt source override", 10); err != nil {
				return err
			}
			m.Overrides = append(m.Overrides, InterruptOverride{Bus: e[2], Source: e[3], GSI: le32(e[4:]), Flags: le16(e[8:])})
		case MADTNMISource:
			// §5.2.12.6: flags u16 @2, GSI u32 @4; 8 bytes.
			if err := needLength(name, off, e, "NMI source", 8); err != nil {
				return err
			}
			m.NMISources = append(m.NMISources, NMISource{Flags: le16(e[2:]), GSI: le32(e[4:])})
		case MADTLocalAPICNMI:
			// §5.2.12.7: UID u8 @2 (0xFF: all), flags u16 @3, LINT# u8 @5;
			// 6 bytes.
			if err := needLength(name, off, e, "local APIC NMI", 6); err != nil {
				return err
			}
			m.LocalNMIs = append(m.LocalNMIs, LocalNMI{
				UID: uint32(e[2]), AllProcessors: e[2] == 0xff, Flags: le16(e[3:]), LINT: e[5],
			})
		case MADTLocalX2APICNMI:
			// §5.2.12.13: flags u16 @2, UID u32 @4 (0xFFFFFFFF: all),
			// LINT# u8 @8, reserved 3 bytes; 12 bytes.
			if err := needLength(name, off, e, "local x2APIC NMI", 12); err != nil {
				return err
			}
			uid := le32(e[4:])
			m.LocalNMIs = append(m.LocalNMIs, LocalNMI{
				UID: uid, AllProcessors: uid == 0xffffffff, X2APIC: true, Flags: le16(e[2:]), LINT: e[8],
			})
		case MADTLocalAPICOverride:
			// §5.2.12.8: reserved u16 @2, 64-bit address @4; 12 bytes.
			if err := needLength(name, off, e, "local APIC address override", 12); err != nil {
				return err
			}
			m.LocalAPICAddress = binary.LittleEndian.Uint64(e[4:])
		default:
			count(&m.Skipped, typ)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}
