package virtio

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"unsafe"

	"github.com/aerokernel/aero/core/hw"
)

// Split virtqueue layout (virtio 1.2 §2.7): a descriptor table of 16-byte
// entries (addr u64, len u32, flags u16, next u16), the driver area
// (flags u16, idx u16, ring[size] u16, used_event u16) and the device area
// (flags u16, idx u16, ring[size] of {id u32, len u32}, avail_event u16).
const (
	descSize         = 16
	descFlagWrite    = 2 // the device writes the buffer (§2.7.5)
	availNoInterrupt = 1 // VIRTQ_AVAIL_F_NO_INTERRUPT (§2.7.7)
	usedElemSize     = 8
)

// Queue is one split virtqueue whose descriptor i always points at buffer
// i: Buffers(i) is a fixed slot of BufSize bytes in DMA memory. The
// driver hands slots to the device (Give, then Publish) and takes them
// back as the device finishes with them (Next). It is not safe for
// concurrent use: its owner serialises calls.
type Queue struct {
	Index   int // the queue's number on its device
	size    int
	bufSize int
	ring    hw.DMABuffer // descriptors, driver area, device area
	bufs    hw.DMABuffer // size slots of bufSize bytes
	desc    []byte
	driver  []byte
	device  []byte
	devOff  int    // offset of the device area in ring
	avail   uint16 // next driver ring index to fill
	used    uint16 // next device ring index to read
	owned   []bool // slot i is the device's now
	pending int    // slots the device owns
	quiet   bool   // VIRTQ_AVAIL_F_NO_INTERRUPT: no interrupt for used buffers
	mem     hw.DMAMemory
}

// NewQueue allocates queue index of size entries (a power of two, at
// most 32768) with buffers of bufSize bytes each, from mem.
func NewQueue(mem hw.DMAMemory, index, size, bufSize int) (*Queue, error) {
	if size <= 0 || size > 32768 || size&(size-1) != 0 {
		return nil, fmt.Errorf("virtio: queue %d: size %d (want a power of two, 1 to 32768)", index, size)
	}
	if bufSize <= 0 || bufSize > 1<<16 {
		return nil, fmt.Errorf("virtio: queue %d: buffer size %d (want 1 to 65536)", index, bufSize)
	}
	driverOff := descSize * size
	devOff := align(driverOff+4+2*size+2, hw.PageSize)
	ring, err := mem.AllocDMA(devOff+4+usedElemSize*size+2, 0, -1)
	if err != nil {
		return nil, fmt.Errorf("virtio: queue %d: rings: %w", index, err)
	}
	bufs, err := mem.AllocDMA(size*bufSize, 0, -1)
	if err != nil {
		mem.Free(ring.Bytes)
		return nil, fmt.Errorf("virtio: queue %d: buffers: %w", index, err)
	}
	q := &Queue{Index: index, size: size, bufSize: bufSize, ring: ring, bufs: bufs, mem: mem,
		desc: ring.Bytes[:driverOff], driver: ring.Bytes[driverOff:devOff], device: ring.Bytes[devOff:],
		devOff: devOff, owned: make([]bool, size)}
	for i := 0; i < size; i++ {
		binary.LittleEndian.PutUint64(q.desc[descSize*i:], bufs.PhysAt(i*bufSize))
	}
	return q, nil
}

func align(n, a int) int { return (n + a - 1) &^ (a - 1) }

// Size is the number of entries; BufSize the size of each buffer.
func (q *Queue) Size() int    { return q.size }
func (q *Queue) BufSize() int { return q.bufSize }

// Pending is how many buffers the device holds.
func (q *Queue) Pending() int { return q.pending }

// Addresses returns the physical addresses of the descriptor table, the
// driver area and the device area, for Transport.SetQueue.
func (q *Queue) Addresses() (desc, driver, device uint64) {
	return q.ring.Phys, q.ring.PhysAt(len(q.desc)), q.ring.PhysAt(q.devOff)
}

// Buffer returns slot i.
func (q *Queue) Buffer(i int) []byte { return q.bufs.Bytes[i*q.bufSize : (i+1)*q.bufSize] }

// Give hands slot i to the device: n bytes for it to read, or, with
// deviceWrites, the whole slot for it to fill. The device sees it at the
// next Publish.
func (q *Queue) Give(i, n int, deviceWrites bool) {
	if q.owned[i] {
		panic(fmt.Sprintf("virtio: queue %d: slot %d given twice", q.Index, i))
	}
	d := q.desc[descSize*i:]
	var flags uint16
	if deviceWrites {
		n, flags = q.bufSize, descFlagWrite
	}
	binary.LittleEndian.PutUint32(d[8:], uint32(n))
	binary.LittleEndian.PutUint16(d[12:], flags)
	binary.LittleEndian.PutUint16(d[14:], 0)
	binary.LittleEndian.PutUint16(q.driver[4+2*int(q.avail%uint16(q.size)):], uint16(i))
	q.avail++
	q.owned[i] = true
	q.pending++
}

// Publish makes the slots given so far visible to the device (the driver
// ring's idx, written after the entries: §2.7.13). The caller then
// notifies the device.
func (q *Queue) Publish() {
	// flags and idx are one aligned 32-bit word; an atomic store keeps the
	// compiler from moving the entries' stores after it, and x86 keeps
	// stores in order (SDM vol. 3 §9.2.2).
	var flags uint32
	if q.quiet {
		flags = availNoInterrupt
	}
	atomic.StoreUint32((*uint32)(unsafe.Pointer(&q.driver[0])), uint32(q.avail)<<16|flags)
}

// SetInterrupts asks the device for an interrupt when it uses buffers
// (the default), or not: a hint the device may ignore (§2.7.7), published
// at once.
func (q *Queue) SetInterrupts(on bool) {
	q.quiet = !on
	q.Publish()
}

// Next returns the next slot the device has finished with and the number
// of bytes it wrote into it, or ok false when there is none. An entry
// that breaks the rules is consumed with an error wrapping ErrDevice: for
// a length past the slot, slot is the slot (back with the driver, n 0);
// for a descriptor the device does not hold or a used index running
// ahead of what it was given, slot is -1 (nothing came back).
func (q *Queue) Next() (slot, n int, ok bool, err error) {
	idx := uint16(atomic.LoadUint32((*uint32)(unsafe.Pointer(&q.device[0]))) >> 16)
	if idx == q.used {
		return 0, 0, false, nil
	}
	if ahead := idx - q.used; int(ahead) > q.pending {
		q.used = idx // skip what cannot be true; the slots stay the device's
		return -1, 0, true, fmt.Errorf("%w: queue %d: used idx %d is %d entries ahead, with %d buffers given", ErrDevice, q.Index, idx, ahead, q.pending)
	}
	e := q.device[4+usedElemSize*int(q.used%uint16(q.size)):]
	q.used++
	id, l := binary.LittleEndian.Uint32(e), binary.LittleEndian.Uint32(e[4:])
	if id >= uint32(q.size) || !q.owned[id] {
		return -1, 0, true, fmt.Errorf("%w: queue %d: used entry names descriptor %d, which the device does not hold", ErrDevice, q.Index, id)
	}
	q.owned[id] = false
	q.pending--
	if l > uint32(q.bufSize) {
		return int(id), 0, true, fmt.Errorf("%w: queue %d: used length %d past the %d-byte buffer", ErrDevice, q.Index, l, q.bufSize)
	}
	return int(id), int(l), true, nil
}

// Ready returns how many used entries wait to be read.
func (q *Queue) Ready() int {
	idx := uint16(atomic.LoadUint32((*uint32)(unsafe.Pointer(&q.device[0]))) >> 16)
	return int(idx - q.used)
}

// Owned reports whether the device holds slot i.
func (q *Queue) Owned(i int) bool { return q.owned[i] }

// Free gives the queue's memory back; the device must be reset first.
func (q *Queue) Free() error {
	err1, err2 := q.mem.Free(q.ring.Bytes), q.mem.Free(q.bufs.Bytes)
	if err1 != nil {
		return err1
	}
	return err2
}
