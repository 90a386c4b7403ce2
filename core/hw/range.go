package hw

import (
	"fmt"
	"math"
)

// Range is a range of physical addresses: [Base, Base+Size). A range that
// would run past 2^64 is cut there by End, and Last says where it ends.
type Range struct {
	Base, Size uint64
}

// End returns the first address past r, or 2^64-1 when r runs to the end
// of the address space (that last byte is then not counted as inside r).
func (r Range) End() uint64 {
	if e := r.Base + r.Size; e >= r.Base {
		return e
	}
	return math.MaxUint64
}

// Last returns r's last address, Base+Size-1, or 2^64-1 for a range that
// would run past it. It means nothing for an empty range.
func (r Range) Last() uint64 {
	if l := r.Base + (r.Size - 1); l >= r.Base {
		return l
	}
	return math.MaxUint64
}

// Contains reports whether [addr, addr+n) lies inside r (n 0 counts as
// inside when addr does).
func (r Range) Contains(addr, n uint64) bool {
	if addr < r.Base || addr-r.Base > r.Size {
		return false
	}
	return n <= r.Size-(addr-r.Base)
}

// String formats r as [0x100000-0x7fedefff] (inclusive bounds, as Linux
// prints memory maps), an empty range as [0x100000 empty].
func (r Range) String() string {
	if r.Size == 0 {
		return fmt.Sprintf("[%#x empty]", r.Base)
	}
	return fmt.Sprintf("[%#x-%#x]", r.Base, r.Last())
}
