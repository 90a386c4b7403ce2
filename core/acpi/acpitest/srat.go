package acpitest

// SRAT and SLIT builders, laid out as ACPI 6.5 §5.2.16 and §5.2.17 say
// (core/acpi's srat.go and slit.go give the offsets).

// Affinity flags (ACPI 6.5 §5.2.16.1-3), as core/acpi names them.
const (
	Enabled      = 1 << 0
	HotPluggable = 1 << 1
)

// SRAT builds a System Resource Affinity Table of revision rev (3 for the
// 32-bit domains of ACPI 3.0 and later; QEMU writes 1) from affinity
// structures made by APIC, X2APIC and Memory.
func SRAT(rev uint8, entries ...[]byte) []byte {
	body := [][]byte{LE(uint32(1), uint64(0))} // reserved fields
	return Table("SRAT", rev, append(body, entries...)...)
}

// APIC is a Processor Local APIC Affinity structure (§5.2.16.1).
func APIC(domain uint32, apicID uint8, flags uint32) []byte {
	return LE(uint8(0), uint8(16), uint8(domain), apicID, flags, uint8(0),
		[]byte{uint8(domain >> 8), uint8(domain >> 16), uint8(domain >> 24)}, uint32(0))
}

// X2APIC is a Processor Local x2APIC Affinity structure (§5.2.16.3).
func X2APIC(domain, x2apicID, flags uint32) []byte {
	return LE(uint8(2), uint8(24), uint16(0), domain, x2apicID, flags, uint32(0), uint32(0))
}

// Memory is a Memory Affinity structure (§5.2.16.2).
func Memory(domain uint32, base, length uint64, flags uint32) []byte {
	return LE(uint8(1), uint8(40), domain, uint16(0),
		uint32(base), uint32(base>>32), uint32(length), uint32(length>>32),
		uint32(0), flags, uint64(0))
}

// SLIT builds a System Locality Distance Information Table from a square
// matrix of distances (rows must all have len(m) entries).
func SLIT(m [][]uint8) []byte {
	body := LE(uint64(len(m)))
	for _, row := range m {
		body = append(body, row...)
	}
	return Table("SLIT", 1, body)
}
