package hwtest

import (
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/aerokernel/aero/core/hw"
)

// Access is one register access a driver made.
type Access struct {
	Write bool
	Off   int
	Width int    // bytes: 1, 2, 4 or 8
	Value uint64 // read or written
}

// String formats the access as "w32 0x10 0x1" or "r8 0x5 0xff".
func (a Access) String() string {
	rw := "r"
	if a.Write {
		rw = "w"
	}
	return fmt.Sprintf("%s%d %#x %#x", rw, 8*a.Width, a.Off, a.Value)
}

// Regs is a fake register window (a hw.MMIO, and so a hw.Registers for
// I/O ports too). By default a register holds what was last written
// (little-endian bytes: a 32-bit write shows in the 8-bit reads of its
// bytes); OnRead and OnWrite script registers that behave otherwise.
// Every access is recorded. Safe for concurrent use; hooks run without
// Regs' lock held, so they may call Set and Get.
type Regs struct {
	mu      sync.Mutex
	mem     []byte
	log     []Access
	onRead  map[int]func() uint64
	onWrite map[int]func(v uint64)
}

// NewRegs returns a window of size bytes, all zero.
func NewRegs(size int) *Regs {
	return &Regs{mem: make([]byte, size), onRead: map[int]func() uint64{}, onWrite: map[int]func(uint64){}}
}

// OnRead makes a read at off return f() (cut to the access width) instead
// of the stored value: a status register, a counter, a read-to-clear
// register (f clears with Set).
func (r *Regs) OnRead(off int, f func() uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.onRead[off] = f
}

// OnWrite makes a write at off call f with the value instead of storing
// it: a doorbell, a command register (f acts and Sets what the device
// would show).
func (r *Regs) OnWrite(off int, f func(v uint64)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.onWrite[off] = f
}

// Set stores v in the width bytes at off, as the device would, without
// recording an access.
func (r *Regs) Set(off, width int, v uint64) {
	hw.CheckAccess(len(r.mem), off, width)
	r.mu.Lock()
	defer r.mu.Unlock()
	put(r.mem[off:off+width], v)
}

// Get returns the width bytes at off, without recording an access.
func (r *Regs) Get(off, width int) uint64 {
	hw.CheckAccess(len(r.mem), off, width)
	r.mu.Lock()
	defer r.mu.Unlock()
	return get(r.mem[off : off+width])
}

// Accesses returns the accesses made so far, in order.
func (r *Regs) Accesses() []Access {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Access(nil), r.log...)
}

// ClearAccesses forgets the accesses recorded so far.
func (r *Regs) ClearAccesses() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = nil
}

func (r *Regs) read(off, width int) uint64 {
	hw.CheckAccess(len(r.mem), off, width)
	r.mu.Lock()
	f := r.onRead[off]
	v := get(r.mem[off : off+width])
	r.mu.Unlock()
	if f != nil {
		v = f() & mask(width)
	}
	r.mu.Lock()
	r.log = append(r.log, Access{Off: off, Width: width, Value: v})
	r.mu.Unlock()
	return v
}

func (r *Regs) write(off, width int, v uint64) {
	hw.CheckAccess(len(r.mem), off, width)
	r.mu.Lock()
	r.log = append(r.log, Access{Write: true, Off: off, Width: width, Value: v})
	f := r.onWrite[off]
	if f == nil {
		put(r.mem[off:off+width], v)
	}
	r.mu.Unlock()
	if f != nil {
		f(v)
	}
}

func (r *Regs) Size() int                 { return len(r.mem) }
func (r *Regs) Read8(off int) uint8       { return uint8(r.read(off, 1)) }
func (r *Regs) Read16(off int) uint16     { return uint16(r.read(off, 2)) }
func (r *Regs) Read32(off int) uint32     { return uint32(r.read(off, 4)) }
func (r *Regs) Read64(off int) uint64     { return r.read(off, 8) }
func (r *Regs) Write8(off int, v uint8)   { r.write(off, 1, uint64(v)) }
func (r *Regs) Write16(off int, v uint16) { r.write(off, 2, uint64(v)) }
func (r *Regs) Write32(off int, v uint32) { r.write(off, 4, uint64(v)) }
func (r *Regs) Write64(off int, v uint64) { r.write(off, 8, v) }

var _ hw.MMIO = (*Regs)(nil)

func mask(width int) uint64 { return ^uint64(0) >> (64 - 8*width) }

func put(b []byte, v uint64) {
	var w [8]byte
	binary.LittleEndian.PutUint64(w[:], v)
	copy(b, w[:len(b)])
}

func get(b []byte) uint64 {
	var w [8]byte
	copy(w[:], b)
	return binary.LittleEndian.Uint64(w[:])
}
