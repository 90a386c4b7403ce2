package mm

import (
	"fmt"
	"math/bits"
)

// buddy is a binary buddy allocator over the page frames [first,
// first+n): frame numbers are physical addresses / PageSize, so a free
// block of order k (2^k frames) starts at a frame number that is a
// multiple of 2^k, and its buddy is the block at frame ^ 2^k — blocks are
// aligned physically, which is what AllocDMA's alignment rests on.
//
// Its bookkeeping lives outside the memory it manages (9 bytes per frame
// in the Go heap): nothing an allocation's owner writes, in or past its
// block, can corrupt it, and every free is checked against it.
//
// An allocation is a run of frames, not necessarily a power of two: the
// block it is cut from gives its unused tail back at once. buddy does no
// locking; the zone that holds it does.
type buddy struct {
	first uint64 // frame number of the first frame
	n     uint64 // frames managed
	// state[i] says what frame first+i is: the head of a free block
	// (headFree|order), the head of an allocation (headAlloc), or neither
	// (inside a block or an allocation).
	state []uint8
	// link[i] is a free block head's list neighbours (frame offsets,
	// none at the ends); for an allocation's head it holds the
	// allocation's length in bytes instead (see allocLen).
	link  []link
	heads [maxOrder + 1]uint32 // first free block of each order, or none

	free uint64 // free frames
}

type link struct{ next, prev uint32 }

const (
	// maxOrder is the largest block: 2^32 frames (16 TiB), past any
	// zone; an offset must also fit a uint32 (see newBuddy).
	maxOrder  = 32
	none      = ^uint32(0)
	headFree  = 0x80
	headAlloc = 0x40
	orderMask = 0x3f
)

// newBuddy returns an allocator of the n frames from frame first, all
// free. n must be below 2^32 - 1 (16 TiB), as zone construction keeps it.
func newBuddy(first, n uint64) *buddy {
	if n == 0 || n >= uint64(none) {
		panic(fmt.Sprintf("mm: a zone of %d frames (want 1 to %d)", n, none-1))
	}
	b := &buddy{first: first, n: n, state: make([]uint8, n), link: make([]link, n)}
	for i := range b.heads {
		b.heads[i] = none
	}
	b.release(0, n)
	return b
}

// orderOf returns the least order whose block holds n frames.
func orderOf(n uint64) int {
	if n <= 1 {
		return 0
	}
	return bits.Len64(n - 1)
}

// alloc takes a run of n frames whose first frame number is a multiple of
// 2^alignOrder, and returns its offset; false when no free block is large
// enough. It records length (bytes) for free to check.
func (b *buddy) alloc(n uint64, alignOrder int, length uint64) (uint32, bool) {
	k := max(orderOf(n), alignOrder)
	if n == 0 || k > maxOrder {
		return 0, false
	}
	j := k
	for j <= maxOrder && b.heads[j] == none {
		j++
	}
	if j > maxOrder {
		return 0, false
	}
	off := b.heads[j]
	b.unlink(off, j)
	// Split down to order k: the upper halves stay free.
	for j > k {
		j--
		b.push(off+1<<j, j)
	}
	b.free -= 1 << k
	b.state[off] = headAlloc
	b.setLen(off, length)
	// The block's unused tail goes back at once.
	if n < 1<<k {
		b.release(off+uint32(n), 1<<k-n)
	}
	return off, true
}

// release frees the frames [off, off+n), none of them free now, as the
// largest aligned blocks that fit, each merged with its free buddies.
func (b *buddy) release(off uint32, n uint64) {
	at, end := uint64(off), uint64(off)+n
	for at < end {
		k := min(bits.TrailingZeros64(b.first+at), maxOrder)
		for at+1<<k > end {
			k--
		}
		b.freeBlock(uint32(at), k)
		at += 1 << k
	}
}

// freeBlock frees the block of order k at off and merges it with its
// buddy while the buddy is a free block of the same order.
func (b *buddy) freeBlock(off uint32, k int) {
	b.free += 1 << k
	for k < maxOrder {
		frame := b.first + uint64(off)
		bf := frame ^ 1<<k
		if bf < b.first || bf+1<<k > b.first+b.n {
			break
		}
		bo := uint32(bf - b.first)
		if b.state[bo] != headFree|uint8(k) {
			break
		}
		b.unlink(bo, k)
		b.state[bo] = 0
		b.state[off] = 0
		off = min(off, bo)
		k++
	}
	b.push(off, k)
}

// allocation checks that off is the head of an allocation of length
// bytes and says what is wrong otherwise: the words of free's error.
func (b *buddy) allocation(off uint32, length uint64) error {
	switch s := b.state[off]; {
	case s&headFree != 0:
		return fmt.Errorf("freed already (it is free)")
	case s != headAlloc:
		return fmt.Errorf("not the start of an allocation (freed already, or inside one)")
	case b.allocLen(off) != length:
		return fmt.Errorf("%d bytes were allocated there", b.allocLen(off))
	}
	return nil
}

// freeAlloc gives back the allocation at off, of length bytes (frames
// frames), which allocation has accepted.
func (b *buddy) freeAlloc(off uint32, frames uint64) {
	b.state[off] = 0
	b.link[off] = link{}
	b.release(off, frames)
}

// largest returns the frames of the largest free block.
func (b *buddy) largest() uint64 {
	for k := maxOrder; k >= 0; k-- {
		if b.heads[k] != none {
			return 1 << k
		}
	}
	return 0
}

func (b *buddy) push(off uint32, k int) {
	b.state[off] = headFree | uint8(k)
	h := b.heads[k]
	b.link[off] = link{next: h, prev: none}
	if h != none {
		b.link[h].prev = off
	}
	b.heads[k] = off
}

func (b *buddy) unlink(off uint32, k int) {
	l := b.link[off]
	if l.prev != none {
		b.link[l.prev].next = l.next
	} else {
		b.heads[k] = l.next
	}
	if l.next != none {
		b.link[l.next].prev = l.prev
	}
	b.link[off] = link{}
}

// An allocation's head is on no list: its link holds the length.
func (b *buddy) setLen(off uint32, n uint64) {
	b.link[off] = link{next: uint32(n >> 32), prev: uint32(n)}
}

func (b *buddy) allocLen(off uint32) uint64 {
	return uint64(b.link[off].next)<<32 | uint64(b.link[off].prev)
}
