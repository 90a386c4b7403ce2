package hw

import "fmt"

// PhysMemory reads physical memory. ReadAt reads len(p) bytes at physical
// address addr; as with io.ReaderAt, n < len(p) comes only with an error,
// which means the memory is not there (not mapped, not copied, past the
// end). Readers are safe for concurrent use.
//
// The kernel's implementation is platform.PhysMemory (the identity map);
// Pieces is one over copies, for the boot snapshot and for tests.
type PhysMemory interface {
	ReadAt(p []byte, addr uint64) (n int, err error)
}

// Piece is a copy of len(Data) bytes of physical memory at Addr.
type Piece struct {
	Addr uint64
	Data []byte
}

// Pieces is a PhysMemory made of copies: a read must fall entirely inside
// one piece, else it fails and reads nothing (a structure lies within one
// firmware region; a read straddling two copies is a parser's bug). When
// pieces overlap, the first that holds the whole read is used.
type Pieces []Piece

// ReadAt implements PhysMemory.
func (ps Pieces) ReadAt(p []byte, addr uint64) (int, error) {
	n := uint64(len(p))
	for _, pc := range ps {
		if (Range{pc.Addr, uint64(len(pc.Data))}).Contains(addr, n) {
			return copy(p, pc.Data[addr-pc.Addr:]), nil
		}
	}
	if addr+n < addr {
		return 0, fmt.Errorf("hw: %d bytes at %#x run past the end of the address space", n, addr)
	}
	return 0, fmt.Errorf("hw: [%#x, %#x) is not in the copied memory", addr, addr+n)
}
