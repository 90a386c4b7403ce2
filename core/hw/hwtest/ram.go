package hwtest

import (
	"fmt"
	"sort"
	"sync"

	"github.com/aerokernel/aero/core/hw"
)

// RAM is fake physical memory at [Base, Base+size): a hw.PhysMemory the
// test (playing the device) reads and writes at physical addresses, and a
// hw.DMAMemory the driver allocates its buffers from. A DMA buffer's
// Bytes are the RAM itself, so what the driver writes the device reads at
// Phys, and the other way round. Safe for concurrent use.
type RAM struct {
	base uint64
	mem  []byte

	mu     sync.Mutex
	blocks map[uint64]uint64 // allocated: physical address -> length
	allocs int
	frees  int
}

// NewRAM returns size bytes (rounded up to pages) of zeroed RAM at
// physical address base, which must be page-aligned.
func NewRAM(base uint64, size int) *RAM {
	if base%hw.PageSize != 0 || size <= 0 {
		panic(fmt.Sprintf("hwtest: NewRAM(%#x, %d): base must be page-aligned and size positive", base, size))
	}
	n := (size + hw.PageSize - 1) &^ (hw.PageSize - 1)
	return &RAM{base: base, mem: make([]byte, n), blocks: map[uint64]uint64{}}
}

// Range returns the physical range the RAM covers.
func (r *RAM) Range() hw.Range { return hw.Range{Base: r.base, Size: uint64(len(r.mem))} }

func (r *RAM) span(addr uint64, n int) ([]byte, error) {
	if !r.Range().Contains(addr, uint64(n)) {
		return nil, fmt.Errorf("hwtest: [%#x, +%d) is outside the fake RAM %v", addr, n, r.Range())
	}
	off := addr - r.base
	return r.mem[off : off+uint64(n)], nil
}

// ReadAt implements hw.PhysMemory: any range inside the RAM.
func (r *RAM) ReadAt(p []byte, addr uint64) (int, error) {
	b, err := r.span(addr, len(p))
	if err != nil {
		return 0, err
	}
	return copy(p, b), nil
}

// WriteAt writes p at physical address addr, as a device's DMA would.
func (r *RAM) WriteAt(p []byte, addr uint64) (int, error) {
	b, err := r.span(addr, len(p))
	if err != nil {
		return 0, err
	}
	return copy(b, p), nil
}

// AllocDMA implements hw.DMAMemory: the lowest free range that fits, with
// the alignment asked (node is ignored: the fake has one).
func (r *RAM) AllocDMA(size, align, node int) (hw.DMABuffer, error) {
	n, a, err := hw.DMASize(size, align)
	if err != nil {
		return hw.DMABuffer{}, fmt.Errorf("hwtest: AllocDMA: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	used := make([]uint64, 0, len(r.blocks))
	for p := range r.blocks {
		used = append(used, p)
	}
	sort.Slice(used, func(i, j int) bool { return used[i] < used[j] })
	at := (r.base + a - 1) &^ (a - 1)
	for _, p := range used {
		if at+n <= p {
			break
		}
		if end := p + r.blocks[p]; end > at {
			at = (end + a - 1) &^ (a - 1)
		}
	}
	if !r.Range().Contains(at, n) {
		return hw.DMABuffer{}, fmt.Errorf("hwtest: AllocDMA(%d, %#x): %w: no free range in %v", size, a, hw.ErrNoMemory, r.Range())
	}
	r.blocks[at] = n
	r.allocs++
	b := r.mem[at-r.base : at-r.base+n : at-r.base+n]
	clear(b)
	return hw.DMABuffer{Bytes: b, Phys: at, Align: a}, nil
}

// Free implements hw.DMAMemory: exactly a buffer's Bytes, once.
func (r *RAM) Free(b []byte) error {
	if len(b) == 0 {
		return fmt.Errorf("hwtest: Free of an empty slice: %w", hw.ErrBadFree)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	phys, ok := r.physOf(b)
	if !ok {
		return fmt.Errorf("hwtest: Free of %d bytes: %w: not the start of an allocation of this RAM, or freed already", len(b), hw.ErrBadFree)
	}
	if n := r.blocks[phys]; n != uint64(len(b)) {
		return fmt.Errorf("hwtest: Free of %d bytes at %#x: %w: %d bytes were allocated there", len(b), phys, hw.ErrBadFree, n)
	}
	delete(r.blocks, phys)
	r.frees++
	return nil
}

// physOf returns the physical address of the allocation that starts at
// b's first byte (compared by identity, not content).
func (r *RAM) physOf(b []byte) (uint64, bool) {
	for p, n := range r.blocks {
		blk := r.mem[p-r.base : p-r.base+n]
		if &blk[0] == &b[0] {
			return p, true
		}
	}
	return 0, false
}

// Outstanding returns how many DMA buffers are allocated and not freed:
// a driver test's leak check.
func (r *RAM) Outstanding() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.blocks)
}

var (
	_ hw.PhysMemory = (*RAM)(nil)
	_ hw.DMAMemory  = (*RAM)(nil)
)
