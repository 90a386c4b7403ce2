// Package acpitest builds ACPI tables and loads QEMU's table fixtures for
// tests: of core/acpi itself, and of modules that read the parsed tables
// (numa) and want real QEMU tables or synthetic ones byte for byte. It does
// no hardware access and depends on nothing but the standard library and
// core/hw.
package acpitest

import (
	"encoding/binary"
	"fmt"
)

// Table builds a system description table: a header with signature sig and
// revision rev, then body, with the length and checksum filled in.
func Table(sig string, rev uint8, body ...[]byte) []byte {
	b := make([]byte, 36)
	copy(b, sig)
	b[8] = rev
	copy(b[10:], "AERO  ")
	copy(b[16:], "TESTTBL ")
	copy(b[28:], "AERO")
	for _, p := range body {
		b = append(b, p...)
	}
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)))
	return FixChecksum(b)
}

// FixChecksum makes the table's bytes (up to its declared length, or all
// of b if that is shorter) sum to zero again after an edit, and returns b.
func FixChecksum(b []byte) []byte {
	n := len(b)
	if len(b) >= 8 {
		if l := int(binary.LittleEndian.Uint32(b[4:])); l < n {
			n = l
		}
	}
	if n < 10 {
		return b
	}
	b[9] = 0
	var s byte
	for _, c := range b[:n] {
		s += c
	}
	b[9] = -s
	return b
}

// LE builds little-endian bytes from values of fixed size: uint8, uint16,
// uint32, uint64 and []byte (copied as is). Any other type panics.
func LE(vals ...any) []byte {
	var b []byte
	for _, v := range vals {
		switch v := v.(type) {
		case uint8:
			b = append(b, v)
		case uint16:
			b = binary.LittleEndian.AppendUint16(b, v)
		case uint32:
			b = binary.LittleEndian.AppendUint32(b, v)
		case uint64:
			b = binary.LittleEndian.AppendUint64(b, v)
		case []byte:
			b = append(b, v...)
		default:
			panic(fmt.Sprintf("acpitest.LE: %T", v))
		}
	}
	return b
}
