package e1000

import (
	"sync/atomic"
	"unsafe"
)

// atomicStatus reads the status byte at off in descriptor d (whose 32-bit
// word at off&^3 is aligned: descriptors are 16 bytes in a page-aligned
// ring) with an atomic load, so that the compiler reads it before the
// fields the device wrote with it (x86 keeps loads in order, SDM vol. 3
// §9.2.2).
func atomicStatus(d []byte, off int) uint8 {
	w := atomic.LoadUint32((*uint32)(unsafe.Pointer(&d[off&^3])))
	return uint8(w >> (8 * (off & 3)))
}

var fence atomic.Uint32

// publish orders the descriptor stores before the tail register write
// that hands them to the device: an atomic store is a compiler barrier,
// and x86 keeps stores in order.
func publish() { fence.Add(1) }
