// Package nicbase is what every driver's core.NIC shares, so each driver
// is only its device: the contract's state (handler, link, closed,
// counters) and its errors, the checks Transmit makes before it touches a
// ring, and the one receive goroutine every handler call comes from,
// woken by the driver's interrupt handler.
//
// A driver embeds *Base (which gives it Name, LinkUp and Stats), calls
// Attach with the function that enables its device and the service
// function the receive goroutine runs after every wake-up, calls Wake
// (and LinkEvent) from its interrupt handler, and gives Transmit and
// Reclaim its transmit ring (TxRing).
package nicbase

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/hw"
)

// Base is a NIC's contract state. Its lock also guards the driver's
// transmit state.
type Base struct {
	driver, name string
	readLink     func() bool

	mu      sync.Mutex
	handler core.NICHandler
	link    bool
	closed  bool
	owed    bool
	stats   core.NICStats

	wake       chan struct{}
	rescues    atomic.Uint64
	linkEvent  atomic.Bool
	stop, done chan struct{}
}

// New returns the state of NIC name of driver; readLink reads the
// device's link state (at New and after each LinkEvent).
func New(driver, name string, readLink func() bool) *Base {
	return &Base{driver: driver, name: name, readLink: readLink, link: readLink(), wake: make(chan struct{}, 1)}
}

func (b *Base) Name() string { return b.name }

// LinkUp implements core.NIC.
func (b *Base) LinkUp() bool { b.mu.Lock(); defer b.mu.Unlock(); return b.link }

// Stats implements core.NIC.
func (b *Base) Stats() core.NICStats { b.mu.Lock(); defer b.mu.Unlock(); return b.stats }

// Errorf returns an error naming the driver and the NIC.
func (b *Base) Errorf(format string, args ...any) error {
	return fmt.Errorf(b.driver+": "+b.name+": "+format, args...)
}

// Count changes the counters under the lock.
func (b *Base) Count(f func(*core.NICStats)) { b.mu.Lock(); f(&b.stats); b.mu.Unlock() }

// Lock and Unlock guard the contract state and the driver's transmit
// state (which Transmit and Reclaim hold them for); CountLocked needs it
// held.
func (b *Base) Lock()   { b.mu.Lock() }
func (b *Base) Unlock() { b.mu.Unlock() }

// CountLocked is Count with the lock held.
func (b *Base) CountLocked() *core.NICStats { return &b.stats }

// checkTransmit is what Transmit checks before it takes a frame: closed,
// not attached, link down.
func (b *Base) checkTransmit() error {
	switch {
	case b.closed:
		return b.Errorf("%w", hw.ErrClosed)
	case b.handler == nil:
		return b.Errorf("%w", core.ErrNotAttached)
	case !b.link:
		return b.Errorf("%w", core.ErrLinkDown)
	}
	return nil
}

// frameSize checks frame i of Transmit against the MTU.
func (b *Base) frameSize(i int, f []byte, mtu int) error {
	if len(f) < 14 || len(f) > 14+mtu {
		return b.Errorf("frame %d: %w: %d bytes (14 to %d)", i, core.ErrFrameSize, len(f), 14+mtu)
	}
	return nil
}

// owe records that Transmit came back short (a TransmitReady is owed)
// and returns its error.
func (b *Base) owe(slots int) error {
	b.owed = true
	return b.Errorf("%w (%d frames)", core.ErrTransmitFull, slots)
}

// Attach implements core.NIC's: start enables the device's receiver
// and interrupt (with the lock held), then the receive goroutine runs
// service after every Wake. service reports whether it found work that
// an interrupt announces (a frame received, or a TransmitReady that was
// owed; transmit slots that come back while none is owed raise no
// interrupt, so they are not such work).
func (b *Base) Attach(h core.NICHandler, start func() error, service func(core.NICHandler) bool) error {
	if h == nil {
		return b.Errorf("Attach(nil)")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.closed:
		return b.Errorf("%w", hw.ErrClosed)
	case b.handler != nil:
		return b.Errorf("%w", core.ErrAttached)
	}
	if err := start(); err != nil {
		return err
	}
	b.handler = h
	b.stop, b.done = make(chan struct{}), make(chan struct{})
	go b.receive(h, b.link, service)
	return nil
}

// Wake makes the receive goroutine run service (from the interrupt
// handler; never blocks).
func (b *Base) Wake() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// LinkEvent says the device reported a link change: the receive
// goroutine reads the link and tells the handler if it changed.
func (b *Base) LinkEvent() { b.linkEvent.Store(true); b.Wake() }

// RescuePeriod is how long the receive goroutine waits for an interrupt
// before it looks at the device anyway. Receive is interrupt-driven; the
// look is a safety net for an interrupt that never came (or came late),
// and every look that finds work an interrupt announces is counted
// (Rescues).
const RescuePeriod = 100 * time.Millisecond

// Rescues counts the looks after RescuePeriod without an interrupt that
// found work waiting.
func (b *Base) Rescues() uint64 { return b.rescues.Load() }

func (b *Base) receive(h core.NICHandler, link bool, service func(core.NICHandler) bool) {
	defer close(b.done)
	h.LinkChanged(link)
	timer := time.NewTimer(RescuePeriod)
	defer timer.Stop()
	for {
		woken := true
		select {
		case <-b.stop:
			return
		case <-b.wake:
		case <-timer.C:
			woken = false
		}
		if b.linkEvent.Swap(false) {
			up := b.readLink()
			b.mu.Lock()
			changed := up != b.link
			b.link = up
			b.mu.Unlock()
			if changed {
				h.LinkChanged(up)
			}
		}
		if service(h) && !woken {
			b.rescues.Add(1)
		}
		if woken && !timer.Stop() {
			<-timer.C
		}
		timer.Reset(RescuePeriod)
	}
}

// Close is core.NIC's: it marks the NIC closed, runs quiesce (mask the
// interrupt), stops the receive goroutine and waits for its last handler
// call. It returns ErrClosed the second time; the driver then stops the
// device, counts what the rings held and frees them.
func (b *Base) Close(quiesce func()) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return b.Errorf("%w", hw.ErrClosed)
	}
	b.closed = true
	attached := b.handler != nil
	b.mu.Unlock()
	quiesce()
	if attached {
		close(b.stop)
		<-b.done
	}
	return nil
}

// TxRing is a driver's transmit ring as Transmit and Reclaim drive it;
// every method is called with the lock held.
type TxRing interface {
	// Reclaim takes back (and counts, CountLocked) the slots the device
	// has finished with.
	Reclaim()
	// Full reports whether no slot is free; Slots is how many there are.
	Full() bool
	Slots() int
	// Arm asks the device for an interrupt when it finishes a slot (on)
	// or stops asking (off): wanted only while a TransmitReady is owed.
	Arm(on bool)
	// Put copies f into the next free slot; Kick hands the slots Put
	// filled to the device.
	Put(f []byte)
	Kick()
}

// Transmit is core.NIC's Transmit over r: the contract's checks, frame
// sizes, a full ring reported (ErrTransmitFull, TransmitReady owed) after
// arming the interrupt and looking once more (a slot finished before the
// device saw the request raises none), one Kick for the frames taken.
func (b *Base) Transmit(frames [][]byte, mtu int, r TxRing) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.checkTransmit(); err != nil {
		return 0, err
	}
	r.Reclaim()
	taken := 0
	var err error
	for i, f := range frames {
		if err = b.frameSize(i, f, mtu); err != nil {
			break
		}
		if r.Full() {
			r.Arm(true)
			r.Reclaim()
			if r.Full() {
				err = b.owe(r.Slots())
				break
			}
			r.Arm(false)
		}
		r.Put(f)
		taken++
	}
	if taken > 0 {
		r.Kick()
	}
	return taken, err
}

// Reclaim takes back r's finished slots (from the receive goroutine's
// service) and reports whether the handler's TransmitReady is due.
func (b *Base) Reclaim(r TxRing) (ready bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r.Reclaim()
	if b.owed && !r.Full() && !b.closed {
		b.owed = false
		r.Arm(false)
		return true
	}
	return false
}
