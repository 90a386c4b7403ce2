package virtio

import (
	"encoding/binary"
	"sync"

	"github.com/aerokernel/aero/core/hw"
	"github.com/aerokernel/aero/core/hw/hwtest"
)

// fakeDevice is a virtio network device for host tests: a Transport whose
// queues live in hwtest.RAM, which it reads and writes at physical
// addresses as the device's DMA would. The test is the wire: inject puts
// a frame in the next receive buffer, sent collects what the driver
// transmitted (when the driver notifies the transmit queue).
type fakeDevice struct {
	ram *hwtest.RAM
	irq *hwtest.IRQ

	mu       sync.Mutex
	offered  uint64
	accepted uint64
	status   uint8
	refuse   bool // clear FEATURES_OK
	queues   [2]fakeQueue
	isr      uint8
	config   *hwtest.Regs
	gen      uint8
	sent     [][]byte // frames the driver transmitted, header stripped
	headers  [][]byte // their headers
	holdTx   bool     // do not complete transmits
	notifies [2]int
}

type fakeQueue struct {
	size                 int
	desc, driver, device uint64
	enabled              bool
	availSeen            uint16 // driver ring entries consumed
	usedIdx              uint16
	held                 []uint16 // receive buffers taken from the driver ring
}

func newFakeDevice(offered uint64, mac [6]byte) *fakeDevice {
	d := &fakeDevice{ram: hwtest.NewRAM(0x100000, 4<<20), irq: &hwtest.IRQ{}, offered: offered, config: hwtest.NewRegs(16)}
	for i, b := range mac {
		d.config.Set(i, 1, uint64(b))
	}
	d.config.Set(6, 2, netStatusLinkUp)
	return d
}

func (d *fakeDevice) DeviceFeatures() uint64 { return d.offered }
func (d *fakeDevice) SetDriverFeatures(f uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.accepted = f
}
func (d *fakeDevice) Status() uint8 { d.mu.Lock(); defer d.mu.Unlock(); return d.status }
func (d *fakeDevice) SetStatus(s uint8) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if s == 0 {
		d.queues = [2]fakeQueue{}
	}
	if d.refuse {
		s &^= StatusFeaturesOK
	}
	d.status = s
}
func (d *fakeDevice) QueueMax(q int) int {
	if q > 1 {
		return 0
	}
	return 16
}
func (d *fakeDevice) SetQueue(q, size int, desc, driver, device uint64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.queues[q] = fakeQueue{size: size, desc: desc, driver: driver, device: device, enabled: true}
	return nil
}
func (d *fakeDevice) InterruptStatus() uint8 {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.isr
	d.isr = 0
	return s
}
func (d *fakeDevice) Config() hw.Registers { return d.config }
func (d *fakeDevice) Generation() uint8    { d.mu.Lock(); defer d.mu.Unlock(); return d.gen }

func (d *fakeDevice) read16(addr uint64) uint16 {
	var b [2]byte
	d.ram.ReadAt(b[:], addr)
	return binary.LittleEndian.Uint16(b[:])
}

func (d *fakeDevice) descriptor(q *fakeQueue, i uint16) (addr uint64, n uint32, flags uint16) {
	var b [16]byte
	d.ram.ReadAt(b[:], q.desc+16*uint64(i))
	return binary.LittleEndian.Uint64(b[:]), binary.LittleEndian.Uint32(b[8:]), binary.LittleEndian.Uint16(b[12:])
}

// take returns the driver ring entries not consumed yet.
func (d *fakeDevice) take(q *fakeQueue) []uint16 {
	idx := d.read16(q.driver + 2)
	var out []uint16
	for ; q.availSeen != idx; q.availSeen++ {
		out = append(out, d.read16(q.driver+4+2*uint64(q.availSeen%uint16(q.size))))
	}
	return out
}

// putUsed writes a used entry and publishes it.
func (d *fakeDevice) putUsed(q *fakeQueue, id uint32, n uint32) {
	var e [8]byte
	binary.LittleEndian.PutUint32(e[:], id)
	binary.LittleEndian.PutUint32(e[4:], n)
	d.ram.WriteAt(e[:], q.device+4+8*uint64(q.usedIdx%uint16(q.size)))
	q.usedIdx++
	var idx [2]byte
	binary.LittleEndian.PutUint16(idx[:], q.usedIdx)
	d.ram.WriteAt(idx[:], q.device+2)
}

func (d *fakeDevice) Notify(qi int) {
	d.mu.Lock()
	d.notifies[qi]++
	q := &d.queues[qi]
	if qi == rxQueue {
		q.held = append(q.held, d.take(q)...)
		d.mu.Unlock()
		return
	}
	if d.holdTx {
		d.mu.Unlock()
		return
	}
	d.completeTxLocked()
	d.mu.Unlock()
	d.fire()
}

func (d *fakeDevice) completeTxLocked() {
	q := &d.queues[txQueue]
	for _, id := range d.take(q) {
		addr, n, _ := d.descriptor(q, id)
		b := make([]byte, n)
		d.ram.ReadAt(b, addr)
		d.headers = append(d.headers, b[:netHdrLen])
		d.sent = append(d.sent, b[netHdrLen:])
		d.putUsed(q, uint32(id), 0)
	}
	d.isr |= InterruptQueue
}

// releaseTx completes the transmits held back by holdTx.
func (d *fakeDevice) releaseTx() {
	d.mu.Lock()
	d.holdTx = false
	d.completeTxLocked()
	d.mu.Unlock()
	d.fire()
}

func (d *fakeDevice) fire() { d.irq.Fire() }

// inject writes one frame into the next receive buffer (with a header of
// numBuffers buffers) and reports whether there was one.
func (d *fakeDevice) inject(payload []byte, numBuffers uint16) bool {
	d.mu.Lock()
	q := &d.queues[rxQueue]
	if len(q.held) == 0 {
		d.mu.Unlock()
		return false
	}
	id := q.held[0]
	q.held = q.held[1:]
	addr, n, flags := d.descriptor(q, id)
	if flags&descFlagWrite == 0 || int(n) < len(payload) {
		panic("fake: receive descriptor not writable or too small")
	}
	d.ram.WriteAt(payload, addr)
	if numBuffers > 0 {
		var nb [2]byte
		binary.LittleEndian.PutUint16(nb[:], numBuffers)
		d.ram.WriteAt(nb[:], addr+10)
	}
	d.putUsed(q, uint32(id), uint32(len(payload)))
	d.isr |= InterruptQueue
	d.mu.Unlock()
	d.fire()
	return true
}

// injectFrame injects an Ethernet frame with a one-buffer header.
func (d *fakeDevice) injectFrame(f []byte) bool {
	return d.inject(append(make([]byte, netHdrLen), f...), 1)
}

// rawUsed writes a used entry as a broken device would, and fires.
func (d *fakeDevice) rawUsed(qi int, id, n uint32) {
	d.mu.Lock()
	d.putUsed(&d.queues[qi], id, n)
	d.isr |= InterruptQueue
	d.mu.Unlock()
	d.fire()
}

func (d *fakeDevice) setLink(up bool) {
	v := uint64(0)
	if up {
		v = netStatusLinkUp
	}
	d.mu.Lock()
	d.config.Set(6, 2, v)
	d.gen++
	d.isr |= InterruptConfig
	d.mu.Unlock()
	d.fire()
}

func (d *fakeDevice) sentFrames() [][]byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([][]byte(nil), d.sent...)
}

var _ Transport = (*fakeDevice)(nil)
