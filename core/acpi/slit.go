package acpi

import (
	"encoding/binary"
	"errors"
	"fmt"
)

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

// Distances with a meaning of their own (ACPI 6.5 §5.2.17).
const (
	// LocalDistance is every locality's distance to itself: the unit the
	// others are relative to (20 is twice as far).
	LocalDistance = 10
	// Unreachable is the distance to a locality that cannot be reached.
	Unreachable = 0xff
)

// Check says what makes s unusable as a distance table, or returns nil:
// a table length other than the 44 + N*N bytes its N localities need (the
// parser accepts trailing bytes), a locality's distance to itself other than
// LocalDistance, a distance to another locality below LocalDistance (values
// 0-9 are reserved). Each problem is an *Error wrapping ErrLength or ErrEntry
// that names the first entry showing it and how many do.
func (s *SLIT) Check() error {
	const name = "SLIT"
	n := s.Localities
	var errs []error
	if want := uint64(slitFixed) + uint64(n)*uint64(n); uint64(s.Header.Length) != want {
		errs = append(errs, errorf(name, ErrLength, "length %d, but %d localities need %d bytes", s.Header.Length, n, want))
	}
	type problem struct {
		what   string
		i, j   int
		d      uint8
		others int
	}
	var self, low *problem
	note := func(p **problem, what string, i, j int, d uint8) {
		if *p == nil {
			*p = &problem{what: what, i: i, j: j, d: d}
		} else {
			(*p).others++
		}
	}
	for i := range n {
		for j := range n {
			d := s.Distance(i, j)
			switch {
			case i == j && d != LocalDistance:
				note(&self, fmt.Sprintf("want %d to itself", LocalDistance), i, j, d)
			case i != j && d < LocalDistance:
				note(&low, fmt.Sprintf("below %d, a reserved value", LocalDistance), i, j, d)
			}
		}
	}
	for _, p := range []*problem{self, low} {
		if p == nil {
			continue
		}
		more := ""
		if p.others > 0 {
			more = fmt.Sprintf(" (and %d more like it)", p.others)
		}
		errs = append(errs, errorf(name, ErrEntry, "distance %d->%d is %d: %s%s", p.i, p.j, p.d, p.what, more))
	}
	return errors.Join(errs...)
}

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
