package virtio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/hw"
	"github.com/aerokernel/aero/net/nicbase"
)

// Network device features (virtio 1.2 §5.1.3).
const (
	NetFeatureCSum     = 1 << 0  // the device completes partial checksums of sent frames
	NetFeatureMAC      = 1 << 5  // the configuration has the MAC address
	NetFeatureMrgRxBuf = 1 << 15 // a received frame may span several buffers
	NetFeatureStatus   = 1 << 16 // the configuration has the link status
)

// wanted is every feature the driver can use.
const wanted = FeatureVersion1 | NetFeatureCSum | NetFeatureMAC | NetFeatureMrgRxBuf | NetFeatureStatus

const (
	rxQueue = 0
	txQueue = 1
	// netHdrLen is struct virtio_net_hdr with num_buffers, always there
	// with VERSION_1 (§5.1.6): flags u8, gso_type u8, hdr_len u16,
	// gso_size u16, csum_start u16, csum_offset u16, num_buffers u16.
	netHdrLen       = 12
	hdrNeedsCsum    = 1
	netStatusLinkUp = 1
	mtu             = 1500
	slotSize        = 2048 // a header and a whole frame in one buffer
	maxQueue        = 256
	// maxMerged bounds a frame's buffers: a device claiming more is
	// treated as broken rather than trusted to a large allocation.
	maxMerged = 64
)

// Net is a virtio network card, a core.NIC.
type Net struct {
	*nicbase.Base
	t        Transport
	irq      hw.IRQ
	features uint64
	mac      [6]byte

	rx *Queue // the receive goroutine's alone once attached

	// Under the Base's lock:
	tx     *Queue
	txFree []int
	txLen  []int // frame bytes in each busy tx slot

	interrupts   atomic.Uint64
	deviceErrors atomic.Uint64

	// partial is a received frame whose later buffers are still to come.
	partial   []byte
	remaining int
	dropping  bool // the frame being merged is to be dropped
}

// NewNet initialises the network device behind t (virtio 1.2 §3.1.1):
// reset, feature negotiation (VERSION_1 is required), both queues, the
// MAC address, then DRIVER_OK. irq is its interrupt line, enabled at
// Attach. The device receives nothing until Attach.
func NewNet(name string, t Transport, irq hw.IRQ, mem hw.DMAMemory) (*Net, error) {
	t.SetStatus(0)
	t.SetStatus(StatusAcknowledge)
	t.SetStatus(StatusAcknowledge | StatusDriver)
	fail := func(err error) (*Net, error) {
		t.SetStatus(t.Status() | StatusFailed)
		return nil, fmt.Errorf("virtio: %s: %w", name, err)
	}
	offered := t.DeviceFeatures()
	if offered&FeatureVersion1 == 0 {
		return fail(fmt.Errorf("%w: the device does not offer VERSION_1 (features %#x): a legacy device", ErrNoDevice, offered))
	}
	n := &Net{t: t, irq: irq, features: offered & wanted}
	t.SetDriverFeatures(n.features)
	t.SetStatus(StatusAcknowledge | StatusDriver | StatusFeaturesOK)
	if t.Status()&StatusFeaturesOK == 0 {
		return fail(fmt.Errorf("%w: features %#x refused", ErrDevice, n.features))
	}
	var err error
	if n.rx, err = n.queue(mem, rxQueue); err != nil {
		return fail(err)
	}
	if n.tx, err = n.queue(mem, txQueue); err != nil {
		n.rx.Free()
		return fail(err)
	}
	for i := n.tx.Size() - 1; i >= 0; i-- {
		n.txFree = append(n.txFree, i)
	}
	// Transmit takes finished slots back itself; an interrupt for them is
	// wanted only while a TransmitReady is owed.
	n.tx.SetInterrupts(false)
	n.txLen = make([]int, n.tx.Size())
	if n.features&NetFeatureMAC != 0 {
		cfg := t.Config()
		for i := range n.mac {
			n.mac[i] = cfg.Read8(i)
		}
	} else {
		// No MAC from the device: a locally administered one (IEEE
		// 802 §8.2.2: bit 1 of the first octet), fixed per name.
		n.mac = [6]byte{0x02, 'a', 'e', 'r', 'o', byte(len(name))}
	}
	n.Base = nicbase.New("virtio", name, n.readLink)
	t.SetStatus(StatusAcknowledge | StatusDriver | StatusFeaturesOK | StatusDriverOK)
	return n, nil
}

func (n *Net) queue(mem hw.DMAMemory, idx int) (*Queue, error) {
	size := n.t.QueueMax(idx)
	if size == 0 {
		return nil, fmt.Errorf("%w: queue %d is missing", ErrDevice, idx)
	}
	size = min(size, maxQueue)
	for size&(size-1) != 0 { // the largest power of two that fits
		size &= size - 1
	}
	q, err := NewQueue(mem, idx, size, slotSize)
	if err != nil {
		return nil, err
	}
	desc, driver, device := q.Addresses()
	if err := n.t.SetQueue(idx, size, desc, driver, device); err != nil {
		q.Free()
		return nil, err
	}
	return q, nil
}

func (n *Net) readLink() bool {
	if n.features&NetFeatureStatus == 0 {
		return true
	}
	for {
		g := n.t.Generation()
		s := n.t.Config().Read16(6)
		if n.t.Generation() == g {
			return s&netStatusLinkUp != 0
		}
	}
}

func (n *Net) MAC() [6]byte     { return n.mac }
func (n *Net) Features() uint64 { return n.features }

// Caps implements core.NIC.
func (n *Net) Caps() core.NICCaps {
	return core.NICCaps{MTU: mtu, TxChecksum: n.features&NetFeatureCSum != 0, TxQueue: n.tx.Size()}
}

// Interrupts counts the interrupt handler's calls that found the device's
// interrupt status set; DeviceErrors the used-ring entries that broke
// the rules (ErrDevice), each dropped.
func (n *Net) Interrupts() uint64   { return n.interrupts.Load() }
func (n *Net) DeviceErrors() uint64 { return n.deviceErrors.Load() }

// Attach implements core.NIC: every receive buffer goes to the device,
// the interrupt line is enabled and the receive goroutine starts.
func (n *Net) Attach(h core.NICHandler) error {
	return n.Base.Attach(h, func() error {
		for i := 0; i < n.rx.Size(); i++ {
			n.rx.Give(i, 0, true)
		}
		n.rx.Publish()
		n.t.Notify(rxQueue)
		if err := n.irq.Enable(n.interrupt); err != nil {
			return n.Errorf("interrupt: %w", err)
		}
		return nil
	}, n.service)
}

// interrupt runs on the platform's interrupt goroutine: reading the
// status acknowledges it (and lowers a level-triggered line); the work
// is the receive goroutine's.
func (n *Net) interrupt() {
	s := n.t.InterruptStatus()
	if s == 0 {
		return // a shared line's other device
	}
	n.interrupts.Add(1)
	if s&InterruptConfig != 0 {
		n.LinkEvent()
	}
	n.Wake()
}

// service runs on the receive goroutine after every interrupt.
func (n *Net) service(h core.NICHandler) bool {
	ready := n.Reclaim(txRing{n})
	if ready {
		h.TransmitReady()
	}
	return n.drainRx(h) > 0 || ready
}

// drainRx delivers every received frame and gives the buffers back; it
// returns how many used buffers it took.
func (n *Net) drainRx(h core.NICHandler) int {
	gave, used := false, 0
	for {
		slot, l, ok, err := n.rx.Next()
		if !ok {
			break
		}
		used++
		if err != nil {
			n.deviceErrors.Add(1)
			if slot >= 0 { // a frame too long for its buffer
				n.Count(func(s *core.NICStats) { s.RxDropped++ })
				n.rx.Give(slot, 0, true)
				gave = true
			}
			continue
		}
		n.frame(h, n.rx.Buffer(slot)[:l])
		n.rx.Give(slot, 0, true)
		gave = true
	}
	if gave {
		n.rx.Publish()
		n.t.Notify(rxQueue)
	}
	return used
}

// frame handles one used receive buffer: a whole frame, or a part of one
// that spans buffers (MRG_RXBUF: the first buffer's header says how many).
func (n *Net) frame(h core.NICHandler, b []byte) {
	if n.remaining > 0 { // a later buffer of a merged frame
		n.remaining--
		if !n.dropping {
			if len(n.partial)+len(b) > 14+mtu {
				n.dropping = true
			} else {
				n.partial = append(n.partial, b...)
			}
		}
		if n.remaining == 0 {
			n.deliver(h, n.partial, n.dropping)
			n.partial = n.partial[:0]
		}
		return
	}
	if len(b) < netHdrLen {
		n.Count(func(s *core.NICStats) { s.RxDropped++ })
		return
	}
	buffers := 1
	if n.features&NetFeatureMrgRxBuf != 0 {
		buffers = int(binary.LittleEndian.Uint16(b[10:]))
	}
	if buffers < 1 || buffers > maxMerged {
		n.deviceErrors.Add(1)
		n.Count(func(s *core.NICStats) { s.RxDropped++ })
		return
	}
	payload := b[netHdrLen:]
	if buffers == 1 {
		n.deliver(h, payload, false)
		return
	}
	n.remaining = buffers - 1
	n.dropping = len(payload) > 14+mtu
	n.partial = append(n.partial[:0], payload...)
}

// deliver passes a whole frame to the stack, or counts it dropped.
func (n *Net) deliver(h core.NICHandler, f []byte, drop bool) {
	if drop || len(f) < 14 || len(f) > 14+mtu {
		n.Count(func(s *core.NICStats) { s.RxDropped++ })
		return
	}
	n.Count(func(s *core.NICStats) { s.RxFrames++; s.RxBytes += uint64(len(f)) })
	h.Receive(f, false)
}

// txRing is the transmit queue as nicbase drives it (under the lock).
type txRing struct{ n *Net }

func (r txRing) Slots() int  { return r.n.tx.Size() }
func (r txRing) Full() bool  { return len(r.n.txFree) == 0 }
func (r txRing) Arm(on bool) { r.n.tx.SetInterrupts(on) }
func (r txRing) Kick() {
	r.n.tx.Publish()
	r.n.t.Notify(txQueue)
}

// Reclaim takes back the slots the device is done with.
func (r txRing) Reclaim() {
	n := r.n
	for {
		slot, _, ok, err := n.tx.Next()
		if !ok {
			return
		}
		if err != nil {
			n.deviceErrors.Add(1)
			if slot < 0 {
				continue
			}
			// A bad length on a slot the device did hold: it is back.
		}
		n.txFree = append(n.txFree, slot)
		st := n.CountLocked()
		st.TxFrames++
		st.TxBytes += uint64(n.txLen[slot])
	}
}

// Put copies f behind a virtio-net header into a free slot.
func (r txRing) Put(f []byte) {
	n := r.n
	slot := n.txFree[len(n.txFree)-1]
	n.txFree = n.txFree[:len(n.txFree)-1]
	b := n.tx.Buffer(slot)
	clear(b[:netHdrLen])
	copy(b[netHdrLen:], f)
	if n.features&NetFeatureCSum != 0 {
		offloadChecksum(b[:netHdrLen], b[netHdrLen:netHdrLen+len(f)])
	}
	n.txLen[slot] = len(f)
	n.tx.Give(slot, netHdrLen+len(f), false)
}

// Transmit implements core.NIC.
func (n *Net) Transmit(frames [][]byte) (int, error) { return n.Base.Transmit(frames, mtu, txRing{n}) }

// Close implements core.NIC.
func (n *Net) Close() error {
	if err := n.Base.Close(func() { n.irq.Close() }); err != nil {
		return err
	}
	n.t.SetStatus(0) // the device lets go of every buffer
	n.Lock()
	txRing{n}.Reclaim()
	st := n.CountLocked()
	st.TxErrors += uint64(n.tx.Pending())
	st.RxDropped += uint64(n.rx.Ready())
	n.Unlock()
	return errors.Join(n.rx.Free(), n.tx.Free())
}

var _ core.NIC = (*Net)(nil)
