package acpi

import (
	"encoding/binary"
	"strings"
)

// Limits on declared lengths. A length field is firmware's word, and a
// corrupted one must not make the kernel read (or allocate) gigabytes.
const (
	// MaxTableLength caps every table but definition blocks.
	MaxTableLength = 1 << 20
	// MaxDefinitionBlockLength caps the DSDT, SSDTs and PSDTs: AML of
	// large servers runs to hundreds of KiB.
	MaxDefinitionBlockLength = 16 << 20
)

// HeaderSize is the size of the common header of every System Description
// Table (ACPI 6.5 §5.2.6).
const HeaderSize = 36

// Header is the System Description Table header (ACPI 6.5 §5.2.6):
//
//	offset size field
//	 0      4   Signature
//	 4      4   Length (of the whole table, header included)
//	 8      1   Revision
//	 9      1   Checksum (the whole table sums to zero)
//	10      6   OEMID
//	16      8   OEM Table ID
//	24      4   OEM Revision
//	28      4   Creator ID
//	32      4   Creator Revision
type Header struct {
	Signature       string
	Length          uint32
	Revision        uint8
	Checksum        uint8
	OEMID           string
	OEMTableID      string
	OEMRevision     uint32
	CreatorID       string
	CreatorRevision uint32
}

// tableNames maps signatures to the names tables are known by in messages.
var tableNames = map[string]string{
	"APIC": "MADT",
	"FACP": "FADT",
}

// tableName is the name errors use for a table with signature sig.
func tableName(sig string) string {
	if n, ok := tableNames[sig]; ok {
		return n
	}
	return printable(sig)
}

// printable makes a signature read from corrupt memory safe to print.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, s)
}

func sum8(b []byte) (s uint8) {
	for _, c := range b {
		s += c
	}
	return s
}

func maxLength(sig string) uint32 {
	switch sig {
	case "DSDT", "SSDT", "PSDT":
		return MaxDefinitionBlockLength
	}
	return MaxTableLength
}

func decodeHeader(b []byte) Header {
	return Header{
		Signature:       string(b[0:4]),
		Length:          binary.LittleEndian.Uint32(b[4:]),
		Revision:        b[8],
		Checksum:        b[9],
		OEMID:           string(b[10:16]),
		OEMTableID:      string(b[16:24]),
		OEMRevision:     binary.LittleEndian.Uint32(b[24:]),
		CreatorID:       string(b[28:32]),
		CreatorRevision: binary.LittleEndian.Uint32(b[32:]),
	}
}

// checkLength validates a declared table length against the header size,
// the cap for the signature and the bytes present (n).
func checkLength(name, sig string, length uint32, n int) *Error {
	switch {
	case length < HeaderSize:
		return errorf(name, ErrLength, "length %d is shorter than the %d-byte header", length, HeaderSize)
	case length > maxLength(sig):
		return errorf(name, ErrLength, "length %d exceeds the limit of %d bytes", length, maxLength(sig))
	case uint64(length) > uint64(n):
		return errorf(name, ErrTruncated, "length is %d but only %d bytes are present", length, n)
	}
	return nil
}

// ParseHeader validates the table at the start of b — signature (when
// want is not empty), declared length against len(b) and the limits, and
// the checksum over that length — and returns its header and its bytes,
// cut to the declared length (bytes of b beyond it are ignored).
func ParseHeader(b []byte, want string) (Header, []byte, error) {
	name := tableName(want)
	if len(b) < HeaderSize {
		if name == "" {
			name = "table"
		}
		return Header{}, nil, errorf(name, ErrTruncated, "%d bytes are too few for the %d-byte header", len(b), HeaderSize)
	}
	h := decodeHeader(b)
	if want == "" {
		name = tableName(h.Signature)
	} else if h.Signature != want {
		return h, nil, errorf(name, ErrSignature, "signature is %q, want %q", printable(h.Signature), want)
	}
	if err := checkLength(name, h.Signature, h.Length, len(b)); err != nil {
		return h, nil, err
	}
	b = b[:h.Length]
	if s := sum8(b); s != 0 {
		return h, nil, errorf(name, ErrChecksum, "checksum over %d bytes is %#02x, not 0", h.Length, s)
	}
	return h, b, nil
}

// Address spaces of a Generic Address Structure (ACPI 6.5 §5.2.3.2).
const (
	SpaceSystemMemory = 0
	SpaceSystemIO     = 1
	SpacePCIConfig    = 2
	SpaceFixedHW      = 0x7f
)

// GAS is a Generic Address Structure (ACPI 6.5 §5.2.3.2), 12 bytes:
//
//	offset size field
//	 0      1   Address Space ID (0 memory, 1 I/O port, 2 PCI config, ...)
//	 1      1   Register Bit Width
//	 2      1   Register Bit Offset
//	 3      1   Access Size (0 undefined, 1 byte, 2 word, 3 dword, 4 qword)
//	 4      8   Address
type GAS struct {
	Space      uint8
	BitWidth   uint8
	BitOffset  uint8
	AccessSize uint8
	Address    uint64
}

const gasSize = 12

func decodeGAS(b []byte) GAS {
	return GAS{
		Space:      b[0],
		BitWidth:   b[1],
		BitOffset:  b[2],
		AccessSize: b[3],
		Address:    binary.LittleEndian.Uint64(b[4:]),
	}
}

// IsZero reports whether the structure is all zero, which ACPI uses for
// "not present".
func (g GAS) IsZero() bool { return g == GAS{} }
