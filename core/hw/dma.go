package hw

import (
	"errors"
	"fmt"
)

// PageSize is the size of a page of physical memory: the unit of DMA
// buffers.
const PageSize = 4096

// DMABuffer is memory a device can reach: Bytes, physically contiguous,
// starting at physical address Phys, which is a multiple of Align. len(Bytes)
// is a whole number of pages and Align a power of two of at least PageSize.
// The memory stays where it is (the device may hold Phys) until it is
// given back with DMAMemory.Free(Bytes).
type DMABuffer struct {
	Bytes []byte
	Phys  uint64
	Align uint64
}

// PhysAt returns the physical address of Bytes[off], for descriptors that
// point into the middle of a buffer; off must be inside it (len(Bytes) is
// allowed: one past the end), else PhysAt panics.
func (b DMABuffer) PhysAt(off int) uint64 {
	if off < 0 || off > len(b.Bytes) {
		panic(fmt.Sprintf("hw: offset %d outside a %d-byte DMA buffer at %#x", off, len(b.Bytes), b.Phys))
	}
	return b.Phys + uint64(off)
}

// DMAMemory hands out DMA buffers. core's Memory kind is one (the
// kernel's, for drivers); hwtest.RAM is one for host tests.
type DMAMemory interface {
	// AllocDMA returns a zeroed DMA buffer of size bytes rounded up to
	// whole pages, whose physical address is a multiple of align (0
	// means PageSize; otherwise a power of two of at least PageSize),
	// preferring NUMA node node (< 0: any). size <= 0 or a bad align is
	// an error wrapping ErrBadRequest; running out of memory is one
	// wrapping ErrNoMemory.
	AllocDMA(size, align, node int) (DMABuffer, error)
	// Free gives back memory this DMAMemory handed out. It accepts
	// exactly a slice an allocation returned (the same first byte and
	// length: DMABuffer.Bytes, or a Memory's Alloc result), once; anything
	// else — resliced, freed before, never handed out, nil — returns an
	// error wrapping ErrBadFree that names the address, and changes
	// nothing.
	Free(b []byte) error
}

// Errors of DMAMemory (and core's Memory).
var (
	ErrBadRequest = errors.New("hw: bad allocation request")
	ErrNoMemory   = errors.New("hw: out of memory")
	ErrBadFree    = errors.New("hw: bad free")
)

// DMASize checks an AllocDMA request and returns its size in bytes (whole
// pages) and its alignment, as every DMAMemory must: one rule in one
// place.
func DMASize(size, align int) (bytes, alignment uint64, err error) {
	if size <= 0 {
		return 0, 0, fmt.Errorf("%w: size %d (must be positive)", ErrBadRequest, size)
	}
	if align == 0 {
		align = PageSize
	}
	if align < PageSize || align&(align-1) != 0 {
		return 0, 0, fmt.Errorf("%w: alignment %#x (must be a power of two of at least %#x)", ErrBadRequest, align, PageSize)
	}
	return (uint64(size) + PageSize - 1) &^ (PageSize - 1), uint64(align), nil
}
