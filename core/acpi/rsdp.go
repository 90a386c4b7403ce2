package acpi

import (
	"encoding/binary"
	"fmt"

	"github.com/aerokernel/aero/core/hw"
)

// RSDP sizes (ACPI 6.5 §5.2.5.3): the ACPI 1.0 part is covered by the
// checksum, the whole structure by the extended checksum.
const (
	RSDPv1Size = 20
	RSDPv2Size = 36
)

const rsdpSignature = "RSD PTR "

// RSDP is the Root System Description Pointer (ACPI 6.5 §5.2.5.3):
//
//	offset size field
//	 0      8   Signature "RSD PTR "
//	 8      1   Checksum of bytes 0-19
//	 9      6   OEMID
//	15      1   Revision: 0 for ACPI 1.0 (20-byte structure), 2 for 2.0 and later
//	16      4   RsdtAddress (32-bit physical)
//	20      4   Length of the whole structure (revision >= 2)
//	24      8   XsdtAddress (64-bit physical, revision >= 2)
//	32      1   Extended Checksum of all Length bytes
//	33      3   Reserved
type RSDP struct {
	OEMID       string
	Revision    uint8
	RSDTAddress uint32
	Length      uint32 // 20 for revision 0
	XSDTAddress uint64 // 0 for revision 0 or when the extension is invalid
}

// ParseRSDP validates and decodes the RSDP at the start of b. For revision
// 0 it needs 20 bytes; for later revisions, Length bytes.
//
// If the ACPI 1.0 part is valid but the revision 2 extension is not (bad
// Length, too few bytes, bad extended checksum), ParseRSDP returns both the
// RSDP, reduced to its 1.0 part (XSDTAddress 0), and an error: the RSDT is
// still usable.
func ParseRSDP(b []byte) (*RSDP, error) {
	if len(b) < RSDPv1Size {
		return nil, errorf("RSDP", ErrTruncated, "%d bytes are too few for the %d-byte structure", len(b), RSDPv1Size)
	}
	if string(b[:8]) != rsdpSignature {
		return nil, errorf("RSDP", ErrSignature, "signature is %q, want %q", printable(string(b[:8])), rsdpSignature)
	}
	if s := sum8(b[:RSDPv1Size]); s != 0 {
		return nil, errorf("RSDP", ErrChecksum, "checksum over the first %d bytes is %#02x, not 0", RSDPv1Size, s)
	}
	r := &RSDP{
		OEMID:       string(b[9:15]),
		Revision:    b[15],
		RSDTAddress: binary.LittleEndian.Uint32(b[16:]),
		Length:      RSDPv1Size,
	}
	if r.Revision < 2 {
		return r, nil
	}
	if len(b) < RSDPv2Size {
		return r, errorf("RSDP", ErrTruncated, "revision %d needs %d bytes, have %d", r.Revision, RSDPv2Size, len(b))
	}
	length := binary.LittleEndian.Uint32(b[20:])
	switch {
	case length < RSDPv2Size || length > 4096:
		return r, errorf("RSDP", ErrLength, "revision %d structure has length %d", r.Revision, length)
	case uint64(length) > uint64(len(b)):
		return r, errorf("RSDP", ErrTruncated, "length is %d but only %d bytes are present", length, len(b))
	}
	if s := sum8(b[:length]); s != 0 {
		return r, errorf("RSDP", ErrChecksum, "extended checksum over %d bytes is %#02x, not 0", length, s)
	}
	r.Length = length
	r.XSDTAddress = binary.LittleEndian.Uint64(b[24:])
	return r, nil
}

// FindRSDP looks for the RSDP where an IA-PC BIOS leaves it (ACPI 6.5
// §5.2.5.1): on a 16-byte boundary in the first KiB of the Extended BIOS
// Data Area (whose segment is the 16-bit word at 0x40E), then in
// 0xE0000-0xFFFFF. A candidate must carry the signature and a valid 20-byte
// checksum. Pages that mem cannot read are skipped. UEFI systems and PVH
// boots pass the address instead (EFI configuration table, hvm_start_info).
func FindRSDP(mem hw.PhysMemory) (uint64, error) {
	var areas [][2]uint64
	var seg [2]byte
	if n, err := mem.ReadAt(seg[:], 0x40e); err == nil && n == 2 {
		if ebda := uint64(binary.LittleEndian.Uint16(seg[:])) << 4; ebda >= 0x400 && ebda < 0xa0000 {
			areas = append(areas, [2]uint64{ebda, ebda + 1024})
		}
	}
	areas = append(areas, [2]uint64{0xe0000, 0x100000})
	buf := make([]byte, 4096)
	for _, a := range areas {
		for page := a[0]; page < a[1]; page += uint64(len(buf)) {
			b := buf[:min(uint64(len(buf)), a[1]-page)]
			if n, err := mem.ReadAt(b, page); err != nil || n != len(b) {
				continue
			}
			for off := 0; off+RSDPv1Size <= len(b); off += 16 {
				if string(b[off:off+8]) == rsdpSignature && sum8(b[off:off+RSDPv1Size]) == 0 {
					return page + uint64(off), nil
				}
			}
		}
	}
	return 0, errorf("RSDP", ErrNotFound, "no RSDP in the EBDA or in 0xE0000-0xFFFFF")
}

// rsdpAt reads and parses the RSDP at addr: 20 bytes, then for revision 2
// and later the 36-byte structure, then Length bytes if it is longer.
func rsdpAt(mem hw.PhysMemory, addr uint64) (*RSDP, error) {
	b := make([]byte, RSDPv1Size)
	if err := readFull(mem, b, addr, "RSDP"); err != nil {
		return nil, err
	}
	r, err := ParseRSDP(b)
	if r == nil || r.Revision < 2 {
		return r, at(err, addr)
	}
	full := make([]byte, RSDPv2Size)
	if err := readFull(mem, full, addr, "RSDP"); err != nil {
		return r, err
	}
	if l := binary.LittleEndian.Uint32(full[20:]); l > RSDPv2Size && l <= 4096 {
		full = make([]byte, l)
		if err := readFull(mem, full, addr, "RSDP"); err != nil {
			return r, err
		}
	}
	r, err = ParseRSDP(full)
	return r, at(err, addr)
}

// readFull reads len(p) bytes at addr or returns an *Error of kind ErrRead.
func readFull(mem hw.PhysMemory, p []byte, addr uint64, name string) error {
	if addr+uint64(len(p)) < addr {
		return &Error{Table: name, Addr: addr, Kind: ErrRead, Msg: fmt.Sprintf("%d bytes at %#x wrap around the address space", len(p), addr)}
	}
	n, err := mem.ReadAt(p, addr)
	if err != nil {
		return &Error{Table: name, Addr: addr, Kind: ErrRead, Msg: fmt.Sprintf("reading %d bytes: %v", len(p), err)}
	}
	if n != len(p) {
		return &Error{Table: name, Addr: addr, Kind: ErrRead, Msg: fmt.Sprintf("read %d of %d bytes", n, len(p))}
	}
	return nil
}
