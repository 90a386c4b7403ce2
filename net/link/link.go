// Package link is the seam between a core.NIC and gVisor's network stack:
// Endpoint is a stack.LinkEndpoint that moves whole Ethernet frames
// across the NIC (wrap it in gVisor's link/ethernet for the Ethernet
// header, as package netstack does), and the NIC's handler, delivering
// what the NIC receives to the stack.
//
// A side user (the DHCP client, before the NIC has an address) can take
// received frames before the stack sees them (SetTap) and send frames of
// its own (Send).
//
// Backpressure: when the NIC's transmit ring is full, WritePackets waits
// for room (retrying Transmit, which reclaims finished slots, and woken by
// TransmitReady) for at most TransmitWait, then drops the rest and
// counts them (Stats.TxDropped): a full ring never blocks a sender
// forever.
package link

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aerokernel/aero/core"
	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// TransmitWait is how long WritePackets waits for room in a full
// transmit ring before it drops what is left.
const TransmitWait = 200 * time.Millisecond

// Stats counts what the endpoint did beyond the NIC's own counters.
type Stats struct {
	TxDropped  uint64 // frames dropped after TransmitWait with the ring full
	TxRejected uint64 // frames the NIC refused (size, link down, closed)
	RxTapped   uint64 // received frames a tap took
	RxNoStack  uint64 // received frames with no dispatcher attached
	RxShort    uint64 // received frames shorter than an Ethernet header
}

// Endpoint is a stack.LinkEndpoint over a core.NIC.
type Endpoint struct {
	nic  core.NIC
	mtu  uint32 // the frame's: 14 plus the NIC's MTU
	caps stack.LinkEndpointCapabilities

	mu         sync.RWMutex
	dispatcher stack.NetworkDispatcher
	tap        func(frame []byte) bool
	onClose    func()

	ready  chan struct{} // TransmitReady
	linkUp atomic.Bool
	onLink atomic.Pointer[func(bool)]

	txDropped, txRejected, rxTapped, rxNoStack, rxShort atomic.Uint64
}

// New returns the endpoint of nic and attaches to nic (its frames flow
// from then on; before the stack attaches they are counted in RxNoStack).
func New(nic core.NIC) (*Endpoint, error) {
	c := nic.Caps()
	e := &Endpoint{nic: nic, mtu: uint32(header.EthernetMinimumSize + c.MTU), ready: make(chan struct{}, 1)}
	if c.TxChecksum {
		e.caps |= stack.CapabilityTXChecksumOffload
	}
	// RxChecksum is not passed on: gVisor takes the capability for every
	// frame of a NIC (stack.NIC.DeliverNetworkPacket), while a NIC vouches
	// per frame; the stack verifies every received checksum itself.
	e.linkUp.Store(nic.LinkUp())
	if err := nic.Attach(e); err != nil {
		return nil, err
	}
	return e, nil
}

// NIC is the NIC under the endpoint.
func (e *Endpoint) NIC() core.NIC { return e.nic }

// Stats returns the endpoint's counters.
func (e *Endpoint) Stats() Stats {
	return Stats{TxDropped: e.txDropped.Load(), TxRejected: e.txRejected.Load(), RxTapped: e.rxTapped.Load(),
		RxNoStack: e.rxNoStack.Load(), RxShort: e.rxShort.Load()}
}

// SetTap makes tap see every received frame first, during the NIC's
// Receive call (the frame is valid only then); a frame it returns true
// for goes no further. nil removes the tap.
func (e *Endpoint) SetTap(tap func(frame []byte) bool) {
	e.mu.Lock()
	e.tap = tap
	e.mu.Unlock()
}

// OnLinkChange calls f with every link change (nil: none).
func (e *Endpoint) OnLinkChange(f func(up bool)) { e.onLink.Store(&f) }

// Receive implements core.NICHandler.
func (e *Endpoint) Receive(frame []byte, _ bool) {
	if len(frame) < header.EthernetMinimumSize {
		e.rxShort.Add(1)
		return
	}
	e.mu.RLock()
	tap, d := e.tap, e.dispatcher
	e.mu.RUnlock()
	if tap != nil && tap(frame) {
		e.rxTapped.Add(1)
		return
	}
	if d == nil {
		e.rxNoStack.Add(1)
		return
	}
	pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(frame)})
	d.DeliverNetworkPacket(0, pkt) // link/ethernet reads the EtherType
	pkt.DecRef()
}

// LinkChanged implements core.NICHandler.
func (e *Endpoint) LinkChanged(up bool) {
	e.linkUp.Store(up)
	if f := e.onLink.Load(); f != nil && *f != nil {
		(*f)(up)
	}
}

// TransmitReady implements core.NICHandler.
func (e *Endpoint) TransmitReady() {
	select {
	case e.ready <- struct{}{}:
	default:
	}
}

// Send transmits frames (whole Ethernet frames), waiting for room as
// WritePackets does, and returns how many the NIC took.
func (e *Endpoint) Send(frames [][]byte) (int, error) {
	sent := 0
	deadline := time.Now().Add(TransmitWait)
	for sent < len(frames) {
		n, err := e.nic.Transmit(frames[sent:])
		sent += n
		if err == nil {
			continue
		}
		if !errors.Is(err, core.ErrTransmitFull) {
			// The frame at sent is refused (size, link, closed): skip it.
			e.txRejected.Add(1)
			if errors.Is(err, core.ErrFrameSize) {
				sent++
				continue
			}
			e.txRejected.Add(uint64(len(frames) - sent - 1))
			return sent, err
		}
		wait := time.Until(deadline)
		if wait <= 0 {
			e.txDropped.Add(uint64(len(frames) - sent))
			return sent, err
		}
		// TransmitReady wakes us; the short poll covers a sender on the
		// NIC's own receive goroutine (a TCP reply sent from Receive), where
		// TransmitReady cannot come until we return.
		select {
		case <-e.ready:
		case <-time.After(min(wait, time.Millisecond)):
		}
	}
	return sent, nil
}

// WritePackets implements stack.LinkWriter.
func (e *Endpoint) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	list := pkts.AsSlice()
	frames := make([][]byte, len(list))
	for i, pkt := range list {
		frames[i] = pkt.ToView().AsSlice()
	}
	n, err := e.Send(frames)
	switch {
	case err == nil:
		return n, nil
	case n > 0:
		return n, nil // the stack counts the rest as its own drops
	case errors.Is(err, core.ErrTransmitFull):
		return 0, &tcpip.ErrNoBufferSpace{}
	case errors.Is(err, core.ErrLinkDown):
		return 0, &tcpip.ErrNetworkUnreachable{}
	case errors.Is(err, core.ErrFrameSize):
		return 0, &tcpip.ErrMessageTooLong{}
	}
	return 0, &tcpip.ErrClosedForSend{}
}

func (e *Endpoint) MTU() uint32                      { return e.mtu }
func (e *Endpoint) SetMTU(uint32)                    {} // the NIC's MTU is fixed
func (e *Endpoint) MaxHeaderLength() uint16          { return 0 }
func (e *Endpoint) SetLinkAddress(tcpip.LinkAddress) {}
func (e *Endpoint) ARPHardwareType() header.ARPHardwareType {
	return header.ARPHardwareNone // link/ethernet says Ether
}
func (e *Endpoint) AddHeader(*stack.PacketBuffer)        {}
func (e *Endpoint) ParseHeader(*stack.PacketBuffer) bool { return true }

// LinkAddress is the NIC's MAC address.
func (e *Endpoint) LinkAddress() tcpip.LinkAddress {
	m := e.nic.MAC()
	return tcpip.LinkAddress(m[:])
}

func (e *Endpoint) Capabilities() stack.LinkEndpointCapabilities { return e.caps }

// Attach implements stack.NetworkLinkEndpoint.
func (e *Endpoint) Attach(d stack.NetworkDispatcher) {
	e.mu.Lock()
	e.dispatcher = d
	e.mu.Unlock()
}

func (e *Endpoint) IsAttached() bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.dispatcher != nil
}

// Wait implements stack.NetworkLinkEndpoint: Close already waited.
func (e *Endpoint) Wait() {}

// SetOnCloseAction implements stack.NetworkLinkEndpoint: f runs before
// Close closes the NIC.
func (e *Endpoint) SetOnCloseAction(f func()) {
	e.mu.Lock()
	e.onClose = f
	e.mu.Unlock()
}

// Close closes the NIC; it returns once the NIC's last handler call has.
func (e *Endpoint) Close() {
	e.mu.Lock()
	f := e.onClose
	e.mu.Unlock()
	if f != nil {
		f()
	}
	e.Attach(nil)
	e.nic.Close()
}

var (
	_ stack.LinkEndpoint = (*Endpoint)(nil)
	_ core.NICHandler    = (*Endpoint)(nil)
)
