package devtest

import (
	"errors"
	"fmt"
	"sync"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/hw"
)

// NICConfig describes a fake NIC. Zero fields take the defaults: MTU
// 1500, TxQueue and RxQueue 8.
type NICConfig struct {
	Name                   string
	MAC                    [6]byte
	MTU                    int
	TxQueue, RxQueue       int // ring sizes, in frames
	TxChecksum, RxChecksum bool
	LinkDown               bool // start with the link down
}

// ErrOverrun is Inject's error for a frame the receive ring had no room
// for: the NIC dropped it and counted it in RxDropped.
var ErrOverrun = errors.New("devtest: receive ring full: frame dropped")

// NIC is a fake core.NIC. The test is the wire: Inject puts a frame on
// the receive ring, Wire takes frames off the transmit ring as the device
// would send them, SetLink changes the link. The NIC's receive goroutine
// delivers to the handler as a driver's would; Sync waits for it.
type NIC struct {
	cfg NICConfig

	mu        sync.Mutex
	wake      *sync.Cond // the receive goroutine waits on it
	handler   core.NICHandler
	link      bool
	closed    bool
	tx        [][]byte // taken by Transmit, not yet on the wire
	owed      bool     // a Transmit came back short: TransmitReady owed
	events    []event  // for the receive goroutine, in order
	rxPending int      // frames among events
	stats     core.NICStats
	done      chan struct{}
}

type event struct {
	kind       int // rxFrame, linkChange, txReady, barrier
	frame      []byte
	checksumOK bool
	up         bool
	reached    chan struct{}
}

const (
	rxFrame = iota
	linkChange
	txReady
	barrier
)

// NewNIC returns a fake NIC, link up unless cfg.LinkDown.
func NewNIC(cfg NICConfig) *NIC {
	if cfg.MTU == 0 {
		cfg.MTU = 1500
	}
	if cfg.TxQueue == 0 {
		cfg.TxQueue = 8
	}
	if cfg.RxQueue == 0 {
		cfg.RxQueue = 8
	}
	n := &NIC{cfg: cfg, link: !cfg.LinkDown}
	n.wake = sync.NewCond(&n.mu)
	return n
}

func (n *NIC) Name() string { return n.cfg.Name }
func (n *NIC) MAC() [6]byte { return n.cfg.MAC }

func (n *NIC) Caps() core.NICCaps {
	return core.NICCaps{MTU: n.cfg.MTU, TxChecksum: n.cfg.TxChecksum, RxChecksum: n.cfg.RxChecksum, TxQueue: n.cfg.TxQueue}
}

func (n *NIC) LinkUp() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.link
}

func (n *NIC) Stats() core.NICStats {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.stats
}

func (n *NIC) errClosed() error { return fmt.Errorf("devtest: NIC %s: %w", n.cfg.Name, hw.ErrClosed) }

// Attach implements core.NIC.
func (n *NIC) Attach(h core.NICHandler) error {
	if h == nil {
		return fmt.Errorf("devtest: NIC %s: Attach(nil)", n.cfg.Name)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case n.closed:
		return n.errClosed()
	case n.handler != nil:
		return fmt.Errorf("devtest: NIC %s: %w", n.cfg.Name, core.ErrAttached)
	}
	n.handler = h
	n.events = append(n.events, event{kind: linkChange, up: n.link})
	n.done = make(chan struct{})
	go n.receive()
	return nil
}

// Transmit implements core.NIC.
func (n *NIC) Transmit(frames [][]byte) (int, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case n.closed:
		return 0, n.errClosed()
	case n.handler == nil:
		return 0, fmt.Errorf("devtest: NIC %s: %w", n.cfg.Name, core.ErrNotAttached)
	case !n.link:
		return 0, fmt.Errorf("devtest: NIC %s: %w", n.cfg.Name, core.ErrLinkDown)
	}
	for i, f := range frames {
		if len(f) < 14 || len(f) > 14+n.cfg.MTU {
			return i, fmt.Errorf("devtest: NIC %s: frame %d: %w: %d bytes (14 to %d)", n.cfg.Name, i, core.ErrFrameSize, len(f), 14+n.cfg.MTU)
		}
		if len(n.tx) == n.cfg.TxQueue {
			n.owed = true
			return i, fmt.Errorf("devtest: NIC %s: %w (%d frames)", n.cfg.Name, core.ErrTransmitFull, n.cfg.TxQueue)
		}
		n.tx = append(n.tx, append([]byte(nil), f...))
	}
	return len(frames), nil
}

// Close implements core.NIC.
func (n *NIC) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return n.errClosed()
	}
	n.closed = true
	n.stats.TxErrors += uint64(len(n.tx))
	n.stats.RxDropped += uint64(n.rxPending)
	n.tx, n.rxPending = nil, 0
	for _, e := range n.events {
		if e.kind == barrier {
			close(e.reached)
		}
	}
	n.events = nil
	done := n.done
	n.wake.Broadcast()
	n.mu.Unlock()
	if done != nil {
		<-done
	}
	return nil
}

// receive is the NIC's receive goroutine: it delivers events in order, one
// handler call at a time, without the lock held (a handler may Transmit).
func (n *NIC) receive() {
	defer close(n.done)
	n.mu.Lock()
	defer n.mu.Unlock()
	for {
		for len(n.events) == 0 && !n.closed {
			n.wake.Wait()
		}
		if n.closed {
			return
		}
		e := n.events[0]
		n.events = n.events[1:]
		if e.kind == rxFrame {
			n.rxPending--
			n.stats.RxFrames++
			n.stats.RxBytes += uint64(len(e.frame))
		}
		h := n.handler
		n.mu.Unlock()
		switch e.kind {
		case rxFrame:
			h.Receive(e.frame, e.checksumOK)
		case linkChange:
			h.LinkChanged(e.up)
		case txReady:
			h.TransmitReady()
		case barrier:
			close(e.reached)
		}
		n.mu.Lock()
	}
}

// Inject puts a received frame (copied) on the receive ring, as the
// device would; checksumOK is what the device's checksum check says (it
// reaches the handler only with RxChecksum). With the ring full the frame
// is dropped, counted in RxDropped, and Inject returns ErrOverrun; before
// Attach (the device's receiver is off) or after Close it returns an error.
func (n *NIC) Inject(frame []byte, checksumOK bool) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case n.closed:
		return n.errClosed()
	case n.handler == nil:
		return fmt.Errorf("devtest: NIC %s: Inject: %w (the receiver is off)", n.cfg.Name, core.ErrNotAttached)
	case n.rxPending == n.cfg.RxQueue:
		n.stats.RxDropped++
		return ErrOverrun
	}
	n.rxPending++
	n.events = append(n.events, event{kind: rxFrame, frame: append([]byte(nil), frame...), checksumOK: checksumOK && n.cfg.RxChecksum})
	n.wake.Signal()
	return nil
}

// Wire sends up to max frames from the transmit ring (all, for max < 0)
// and returns them, oldest first: what went out on the wire. If a
// Transmit came back short and there is room now, the handler gets its
// TransmitReady.
func (n *NIC) Wire(max int) [][]byte {
	n.mu.Lock()
	defer n.mu.Unlock()
	if max < 0 || max > len(n.tx) {
		max = len(n.tx)
	}
	out := n.tx[:max:max]
	n.tx = append([][]byte(nil), n.tx[max:]...)
	for _, f := range out {
		n.stats.TxFrames++
		n.stats.TxBytes += uint64(len(f))
	}
	if n.owed && len(n.tx) < n.cfg.TxQueue && !n.closed {
		n.owed = false
		n.events = append(n.events, event{kind: txReady})
		n.wake.Signal()
	}
	return out
}

// FailTransmit makes the device fail the oldest k frames of the transmit
// ring (fewer if the ring holds fewer): they leave the ring, counted in
// TxErrors, as a device's transmit error would.
func (n *NIC) FailTransmit(k int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	k = min(k, len(n.tx))
	n.tx = append([][]byte(nil), n.tx[k:]...)
	n.stats.TxErrors += uint64(k)
}

// SetLink changes the link state; the handler hears of it (LinkChanged)
// in order with received frames. Setting the state it has is no change
// and no event.
func (n *NIC) SetLink(up bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.link == up {
		return
	}
	n.link = up
	if n.handler != nil && !n.closed {
		n.events = append(n.events, event{kind: linkChange, up: up})
		n.wake.Signal()
	}
}

// Sync returns once the receive goroutine has delivered every event
// queued before the call (at once before Attach and after Close).
func (n *NIC) Sync() {
	n.mu.Lock()
	if n.handler == nil || n.closed {
		n.mu.Unlock()
		return
	}
	reached := make(chan struct{})
	n.events = append(n.events, event{kind: barrier, reached: reached})
	n.wake.Signal()
	n.mu.Unlock()
	<-reached
}

var _ core.NIC = (*NIC)(nil)
