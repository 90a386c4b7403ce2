// Package uart drives the receive side of a 16550 UART (National
// Semiconductor PC16550D, the PC's serial port) by interrupt: the driver
// sets the line up, and on each interrupt drains the receive FIFO and hands
// the bytes on, counting the line errors the UART reports. It touches the
// device only through core/hw (a register window and an IRQ line), so it
// runs against the fakes of core/hw/hwtest on a host.
//
// Transmit is not here: a kernel console transmits from the console's byte
// path (nosplit, interrupts off), which the platform's polled COM1Write
// serves (core/platform).
package uart

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/aerokernel/aero/core/hw"
)

// Registers, by offset from the UART's base (PC16550D, section 8.1, table
// II), with DLAB (LCR bit 7) clear.
const (
	RBR = 0 // receiver buffer (read)
	IER = 1 // interrupt enable
	IIR = 2 // interrupt identification (read)
	FCR = 2 // FIFO control (write)
	LCR = 3 // line control
	MCR = 4 // modem control
	LSR = 5 // line status
	// Size is the register window: 8 ports.
	Size = 8
)

// Bits (PC16550D sections 8.4 LSR, 8.5 IER, 8.6 FCR, 8.8 MCR).
const (
	LSRDataReady = 1 << 0
	LSROverrun   = 1 << 1
	LSRParity    = 1 << 2
	LSRFraming   = 1 << 3
	LSRBreak     = 1 << 4

	IERReceive = 1 << 0 // received data available (and, with the FIFO, timeout)
	IERLine    = 1 << 2 // receiver line status: errors and break

	FCREnable  = 1 << 0
	FCRClearRx = 1 << 1
	FCRTrigger = 0x80 // bits 7:6 = 10: interrupt at 8 bytes (or after a 4-character timeout)

	MCRDTR  = 1 << 0
	MCRRTS  = 1 << 1
	MCROUT2 = 1 << 3 // gates the UART's interrupt onto the ISA line on PCs
)

// readMax bounds one delivery: more bytes may come while the FIFO (16
// bytes) is drained.
const readMax = 256

// Stats counts what the receiver saw.
type Stats struct {
	Bytes     uint64 // received and delivered
	Overruns  uint64 // LSR: a byte was lost because the FIFO was full
	Parity    uint64 // LSR: bytes with a parity error
	Framing   uint64 // LSR: bytes without a valid stop bit
	Breaks    uint64 // LSR: break conditions
	Interrupt uint64 // handler calls (each may stand for several interrupts)
}

// UART is one 16550's receiver.
type UART struct {
	regs    hw.Registers
	irq     hw.IRQ
	started atomic.Bool
	buf     [readMax]byte
	stats   struct{ bytes, overruns, parity, framing, breaks, irqs atomic.Uint64 }
}

// New returns the driver for the UART at regs (Size registers) raising irq.
func New(regs hw.Registers, irq hw.IRQ) (*UART, error) {
	if regs == nil || irq == nil {
		return nil, errors.New("uart: New needs a register window and an IRQ line")
	}
	if regs.Size() < Size {
		return nil, fmt.Errorf("uart: register window of %d bytes, a 16550 has %d", regs.Size(), Size)
	}
	return &UART{regs: regs, irq: irq}, nil
}

// StartReceive turns on the FIFO and the receive interrupts and enables the
// IRQ line with a handler that passes every received byte to deliver, in
// order, from the line's handler goroutine (p is valid only during the
// call; deliver must not block). Bytes waiting in the FIFO before the call
// are dropped (the FIFO is cleared). It may be called once.
func (u *UART) StartReceive(deliver func(p []byte)) error {
	if deliver == nil {
		return errors.New("uart: StartReceive without a deliver function")
	}
	if !u.started.CompareAndSwap(false, true) {
		return errors.New("uart: receive already started")
	}
	if err := u.irq.Enable(func() { u.drain(deliver) }); err != nil {
		return fmt.Errorf("uart: %w", err)
	}
	// Enable the interrupt last: a byte already waiting raises it at once.
	u.regs.Write8(FCR, FCREnable|FCRClearRx|FCRTrigger)
	u.regs.Write8(MCR, MCRDTR|MCRRTS|MCROUT2)
	u.regs.Write8(IER, IERReceive|IERLine)
	return nil
}

// drain reads the receiver until it is empty: interrupts are coalesced, so
// one call does all the work pending. Reading LSR clears its error bits
// (PC16550D 8.4), which quiets a line status interrupt.
func (u *UART) drain(deliver func(p []byte)) {
	u.stats.irqs.Add(1)
	for {
		n := 0
		for n < len(u.buf) {
			lsr := u.regs.Read8(LSR)
			u.count(lsr)
			if lsr&LSRDataReady == 0 {
				break
			}
			u.buf[n] = u.regs.Read8(RBR)
			n++
		}
		if n == 0 {
			return
		}
		u.stats.bytes.Add(uint64(n))
		deliver(u.buf[:n])
	}
}

func (u *UART) count(lsr uint8) {
	if lsr&LSROverrun != 0 {
		u.stats.overruns.Add(1)
	}
	if lsr&LSRParity != 0 {
		u.stats.parity.Add(1)
	}
	if lsr&LSRFraming != 0 {
		u.stats.framing.Add(1)
	}
	if lsr&LSRBreak != 0 {
		u.stats.breaks.Add(1)
	}
}

// Stats returns the receiver's counts so far.
func (u *UART) Stats() Stats {
	return Stats{
		Bytes: u.stats.bytes.Load(), Overruns: u.stats.overruns.Load(), Parity: u.stats.parity.Load(),
		Framing: u.stats.framing.Load(), Breaks: u.stats.breaks.Load(), Interrupt: u.stats.irqs.Load(),
	}
}
