package acpi

import "encoding/binary"

// SLIT is the System Locality Distance Information Table (ACPI 6.5
// §5.2.17): the relative memory latency between every pair of proximity
// domains (localities).
//
//	offset size field
//	 0     36   header, signature "SLIT"
//	36      8   Number of System Localities, N
//	44    N*N   Entry[i][j], row-major: distance from locality i to j
//
// A locality's distance to itself is 10; 0-9 are reserved and 0xFF means
// unreachable. Values are reported as the table holds them.
type SLIT struct {
	Header     Header
	Localities int
	Matrix     []uint8 // Localities*Localities entries, row-major
}

const slitFixed = 44

// Distance returns the distance from locality i to j, or 0xFF (the
// table's "unreachable") when either is out of range.
func (s *SLIT) Distance(i, j int) uint8 {
	if i < 0 || j < 0 || i >= s.Localities || j >= s.Localities {
		return 0xff
	}
	return s.Matrix[i*s.Localities+j]
}

// ParseSLIT validates and decodes a SLIT.
func ParseSLIT(b []byte) (*SLIT, error) {
	h, b, err := ParseHeader(b, "SLIT")
	if err != nil {
		return nil, err
	}
	const name = "SLIT"
	if len(b) < slitFixed {
		return nil, errorf(name, ErrLength, "length %d is shorter than the %d-byte fixed part", len(b), slitFixed)
	}
	n := binary.LittleEndian.Uint64(b[36:])
	room := uint64(len(b) - slitFixed)
	// Checking n against room first keeps n*n from overflowing (room < 2^24).
	if n > room || n*n > room {
		return nil, errorf(name, ErrLength, "%d localities need an %d-by-%d matrix but only %d bytes follow the fixed part", n, n, n, room)
	}
	m := make([]uint8, n*n)
	copy(m, b[slitFixed:])
	return &SLIT{Header: h, Localities: int(n), Matrix: m}, nil
}
