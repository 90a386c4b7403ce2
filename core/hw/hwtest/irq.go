package hwtest

import (
	"errors"
	"sync"

	"github.com/aerokernel/aero/core/hw"
)

// IRQ is a fake interrupt line (a hw.IRQ): the test plays the device and
// calls Fire. Like the platform's line it starts masked, delivers only
// while enabled and runs one handler call at a time; unlike it, the
// handler runs in Fire's goroutine.
type IRQ struct {
	mu      sync.Mutex
	handler func()
	closed  bool
	calls   sync.Mutex // one handler call at a time, as on the platform
	missed  int
	handled int
}

// Enable implements hw.IRQ.
func (q *IRQ) Enable(handler func()) error {
	if handler == nil {
		return errors.New("hwtest: Enable with a nil handler")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return hw.ErrClosed
	}
	q.handler = handler
	return nil
}

// Mask implements hw.IRQ.
func (q *IRQ) Mask() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return hw.ErrClosed
	}
	q.handler = nil
	return nil
}

// Close implements hw.IRQ.
func (q *IRQ) Close() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return hw.ErrClosed
	}
	q.handler, q.closed = nil, true
	return nil
}

// Fire raises the interrupt: the handler runs (in this goroutine, after
// any call in progress) if the line is enabled. It reports whether the
// handler ran; an interrupt raised while masked is counted in Missed, as
// an edge-triggered I/O APIC input drops it.
func (q *IRQ) Fire() bool {
	q.calls.Lock()
	defer q.calls.Unlock()
	q.mu.Lock()
	h := q.handler
	if h == nil {
		q.missed++
	} else {
		q.handled++
	}
	q.mu.Unlock()
	if h == nil {
		return false
	}
	h()
	return true
}

// Enabled reports whether the line would deliver an interrupt now.
func (q *IRQ) Enabled() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.handler != nil
}

// Handled and Missed count Fire calls that ran the handler and that found
// the line masked or closed.
func (q *IRQ) Handled() int { q.mu.Lock(); defer q.mu.Unlock(); return q.handled }
func (q *IRQ) Missed() int  { q.mu.Lock(); defer q.mu.Unlock(); return q.missed }

var _ hw.IRQ = (*IRQ)(nil)
