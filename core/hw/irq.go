package hw

import "errors"

// IRQ is one device interrupt line (on the PC, a global system interrupt
// of an I/O APIC, platform.IRQLine). A new line is masked.
//
// Handlers run in a goroutine, never in interrupt context: they may
// allocate, lock and block — briefly, because on the platform the
// handlers of all lines run one at a time on one goroutine. Interrupts
// that arrive while a handler runs are coalesced: one call may stand for
// several interrupts, so a handler must do all the work the device has
// pending (read its status until it is idle), and for a level-triggered
// line it must quiet the device before it returns (the line is
// acknowledged when the handler returns).
type IRQ interface {
	// Enable installs handler (not nil) and unmasks the line; a handler
	// installed earlier is replaced.
	Enable(handler func()) error
	// Mask masks the line and drops its handler. A call the dispatcher
	// had already begun when Mask ran may still run to its end; no other
	// call starts until Enable unmasks the line again.
	Mask() error
	// Close masks the line and releases it (its vector); every later
	// call returns ErrClosed.
	Close() error
}

// ErrClosed is the error of an operation on something closed.
var ErrClosed = errors.New("hw: closed")
