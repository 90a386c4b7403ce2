// Package e1000 is a driver for the Intel 82540EM gigabit Ethernet
// controller (QEMU's -device e1000) behind core's NIC contract: memory-
// mapped registers (BAR 0), legacy receive and transmit descriptor rings
// in DMA memory, interrupts on the PCI INTx line, link state from the
// STATUS register. References are to Intel's "PCI/PCI-X Family of Gigabit
// Ethernet Controllers Software Developer's Manual" (8254x SDM, rev. 4.0).
//
// Registers go through hw.MMIO and memory through hw.DMAMemory, so the
// driver is tested on the host against a fake controller. On a booted
// kernel it registers as "e1000" and finds its devices on PCI.
package e1000

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/hw"
	"github.com/aerokernel/aero/net/nicbase"
)

// Registers (8254x SDM §13.4) and their bits.
const (
	regCTRL   = 0x0000
	regSTATUS = 0x0008
	regEERD   = 0x0014
	regICR    = 0x00c0
	regIMS    = 0x00d0
	regIMC    = 0x00d8
	regRCTL   = 0x0100
	regTCTL   = 0x0400
	regTIPG   = 0x0410
	regRDBAL  = 0x2800
	regRDBAH  = 0x2804
	regRDLEN  = 0x2808
	regRDH    = 0x2810
	regRDT    = 0x2818
	regTDBAL  = 0x3800
	regTDBAH  = 0x3804
	regTDLEN  = 0x3808
	regTDH    = 0x3810
	regTDT    = 0x3818
	regMTA    = 0x5200 // 128 entries
	regRAL0   = 0x5400
	regRAH0   = 0x5404

	ctrlSLU = 1 << 6  // set link up
	ctrlRST = 1 << 26 // device reset

	statusLU = 1 << 1 // link up

	eerdStart = 1 << 0 // §13.4.4: 82540EM layout
	eerdDone  = 1 << 4

	icrTXDW   = 1 << 0 // transmit descriptor written back
	icrLSC    = 1 << 2 // link status change
	icrRXDMT0 = 1 << 4 // receive descriptors below the threshold
	icrRXO    = 1 << 6 // receiver overrun
	icrRXT0   = 1 << 7 // receiver timer: frames arrived

	rctlEN    = 1 << 1
	rctlMPE   = 1 << 4  // accept all multicast: IPv6 neighbour discovery needs it (§13.4.22)
	rctlBAM   = 1 << 15 // accept broadcast
	rctlSECRC = 1 << 26 // strip the CRC
	// BSIZE 00 (bits 17:16) with BSEX 0: 2048-byte buffers.

	tctlEN    = 1 << 1
	tctlPSP   = 1 << 3             // pad short packets
	tctlCT    = 0x10 << 4          // collision threshold (§13.4.33: 10h)
	tctlCOLD  = 0x40 << 12         // collision distance, full duplex (40h)
	tipg82540 = 10 | 8<<10 | 6<<20 // IPGT, IPGR1, IPGR2 for copper (§13.4.34)

	rahAV = 1 << 31 // receive address valid

	// Descriptor fields (§3.2.3, §3.3.3).
	descSize = 16
	rxDD     = 1 << 0 // status: descriptor done
	rxEOP    = 1 << 1 // status: end of packet
	txEOP    = 1 << 0 // command: end of packet
	txIFCS   = 1 << 1 // command: insert the FCS
	txRS     = 1 << 3 // command: report status (write DD back)
	txDD     = 1 << 0 // status: descriptor done

	ringSize = 256 // descriptors per ring: RDLEN/TDLEN multiples of 128 bytes
	bufSize  = 2048
	mtu      = 1500
)

// PCI IDs of the 82540EM (8254x SDM §5.1).
const (
	PCIVendor = 0x8086
	PCIDevice = 0x100e
)

// NIC is one 82540EM, a core.NIC.
type NIC struct {
	*nicbase.Base
	r   hw.MMIO
	irq hw.IRQ
	mem hw.DMAMemory
	mac [6]byte

	rxRing, rxBufs hw.DMABuffer
	rxNext         int // the next descriptor the device fills

	// Under the Base's lock:
	txRing, txBufs hw.DMABuffer
	txTail         int // next descriptor to fill (TDT)
	txClean        int // oldest descriptor not yet reclaimed
	txBusy         int
	txLen          [ringSize]int

	icr      atomic.Uint32 // causes the interrupt handler read
	overruns atomic.Uint64
}

// New resets the controller behind registers r and sets it up (8254x SDM
// §14): MAC address, link up, both rings, interrupts masked until Attach.
func New(name string, r hw.MMIO, irq hw.IRQ, mem hw.DMAMemory) (*NIC, error) {
	n := &NIC{r: r, irq: irq, mem: mem}
	r.Write32(regIMC, 0xffffffff)
	r.Write32(regCTRL, r.Read32(regCTRL)|ctrlRST)
	deadline := time.Now().Add(100 * time.Millisecond)
	for r.Read32(regCTRL)&ctrlRST != 0 { // §14.2: the bit clears itself
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("e1000: %s: reset did not complete", name)
		}
	}
	r.Write32(regIMC, 0xffffffff)
	r.Read32(regICR)
	r.Write32(regCTRL, r.Read32(regCTRL)|ctrlSLU)
	n.Base = nicbase.New("e1000", name, func() bool { return r.Read32(regSTATUS)&statusLU != 0 })
	if err := n.readMAC(); err != nil {
		return nil, err
	}
	for i := 0; i < 128; i++ {
		r.Write32(regMTA+4*i, 0)
	}
	var err error
	alloc := func(size int) hw.DMABuffer {
		if err != nil {
			return hw.DMABuffer{}
		}
		var b hw.DMABuffer
		b, err = mem.AllocDMA(size, 0, -1)
		return b
	}
	n.rxRing, n.rxBufs = alloc(ringSize*descSize), alloc(ringSize*bufSize)
	n.txRing, n.txBufs = alloc(ringSize*descSize), alloc(ringSize*bufSize)
	if err != nil {
		n.free()
		return nil, fmt.Errorf("e1000: %s: rings: %w", name, err)
	}
	for i := 0; i < ringSize; i++ {
		binary.LittleEndian.PutUint64(n.rxRing.Bytes[i*descSize:], n.rxBufs.PhysAt(i*bufSize))
		binary.LittleEndian.PutUint64(n.txRing.Bytes[i*descSize:], n.txBufs.PhysAt(i*bufSize))
	}
	// Transmit (§14.5): ring, head = tail = 0, then enable.
	r.Write32(regTDBAL, uint32(n.txRing.Phys))
	r.Write32(regTDBAH, uint32(n.txRing.Phys>>32))
	r.Write32(regTDLEN, ringSize*descSize)
	r.Write32(regTDH, 0)
	r.Write32(regTDT, 0)
	r.Write32(regTIPG, tipg82540)
	r.Write32(regTCTL, tctlEN|tctlPSP|tctlCT|tctlCOLD)
	// Receive (§14.4): ring set up now, enabled (and buffers given) at
	// Attach.
	r.Write32(regRDBAL, uint32(n.rxRing.Phys))
	r.Write32(regRDBAH, uint32(n.rxRing.Phys>>32))
	r.Write32(regRDLEN, ringSize*descSize)
	r.Write32(regRDH, 0)
	r.Write32(regRDT, 0)
	return n, nil
}

// readMAC takes the address the EEPROM loaded into receive address 0, or
// reads the EEPROM's first three words (§5.6.1) and sets it there.
func (n *NIC) readMAC() error {
	lo, hi := n.r.Read32(regRAL0), n.r.Read32(regRAH0)
	if hi&rahAV == 0 {
		for w := 0; w < 3; w++ {
			n.r.Write32(regEERD, uint32(w)<<8|eerdStart)
			deadline := time.Now().Add(10 * time.Millisecond)
			var v uint32
			for v = n.r.Read32(regEERD); v&eerdDone == 0; v = n.r.Read32(regEERD) {
				if time.Now().After(deadline) {
					return fmt.Errorf("e1000: %s: EEPROM word %d: no answer", n.Name(), w)
				}
			}
			n.mac[2*w], n.mac[2*w+1] = byte(v>>16), byte(v>>24)
		}
		n.r.Write32(regRAL0, binary.LittleEndian.Uint32(n.mac[:4]))
		n.r.Write32(regRAH0, uint32(binary.LittleEndian.Uint16(n.mac[4:]))|rahAV)
		return nil
	}
	binary.LittleEndian.PutUint32(n.mac[:4], lo)
	binary.LittleEndian.PutUint16(n.mac[4:], uint16(hi))
	return nil
}

func (n *NIC) free() {
	for _, b := range []hw.DMABuffer{n.rxRing, n.rxBufs, n.txRing, n.txBufs} {
		if b.Bytes != nil {
			n.mem.Free(b.Bytes)
		}
	}
}

func (n *NIC) MAC() [6]byte { return n.mac }

// Caps implements core.NIC: no offloads (the legacy descriptors could
// insert a checksum, but the stack computes them).
func (n *NIC) Caps() core.NICCaps { return core.NICCaps{MTU: mtu, TxQueue: ringSize - 1} }

// Overruns counts the receiver overruns the controller reported (ICR.RXO:
// frames it dropped for want of descriptors).
func (n *NIC) Overruns() uint64 { return n.overruns.Load() }

// Attach implements core.NIC.
func (n *NIC) Attach(h core.NICHandler) error {
	return n.Base.Attach(h, func() error {
		if err := n.irq.Enable(n.interrupt); err != nil {
			return n.Errorf("interrupt: %w", err)
		}
		// Every descriptor but one is the device's: RDT one behind RDH
		// (§3.2.6).
		n.r.Write32(regRDT, ringSize-1)
		n.r.Write32(regRCTL, rctlEN|rctlMPE|rctlBAM|rctlSECRC)
		n.r.Write32(regIMS, icrRXT0|icrRXO|icrRXDMT0|icrLSC)
		return nil
	}, n.service)
}

// interrupt runs on the platform's interrupt goroutine: reading ICR
// clears it and lowers the line (§13.4.17).
func (n *NIC) interrupt() {
	c := n.r.Read32(regICR)
	if c == 0 {
		return
	}
	n.icr.Or(c)
	if c&icrLSC != 0 {
		n.LinkEvent()
	}
	n.Wake()
}

// service runs on the receive goroutine after every interrupt.
func (n *NIC) service(h core.NICHandler) bool {
	if n.icr.Swap(0)&icrRXO != 0 {
		n.overruns.Add(1)
		n.Count(func(s *core.NICStats) { s.RxDropped++ })
	}
	ready := n.Reclaim(txRing{n})
	if ready {
		h.TransmitReady()
	}
	return n.drainRx(h) > 0 || ready
}

// drainRx delivers the frames of every descriptor the device is done
// with, gives the descriptors back and returns how many there were.
func (n *NIC) drainRx(h core.NICHandler) int {
	last, done := -1, 0
	for {
		d := n.rxRing.Bytes[n.rxNext*descSize : (n.rxNext+1)*descSize]
		status := atomicStatus(d, 12)
		if status&rxDD == 0 {
			break
		}
		l := int(binary.LittleEndian.Uint16(d[8:]))
		errs := d[13]
		switch {
		case status&rxEOP == 0 || errs != 0 || l < 14 || l > 14+mtu:
			// A frame over several buffers (longer than we accept), or
			// one the controller flagged bad: dropped, counted.
			n.Count(func(s *core.NICStats) { s.RxDropped++ })
		default:
			n.Count(func(s *core.NICStats) { s.RxFrames++; s.RxBytes += uint64(l) })
			h.Receive(n.rxBufs.Bytes[n.rxNext*bufSize:n.rxNext*bufSize+l], false)
		}
		d[12], d[13] = 0, 0
		done++
		last = n.rxNext
		n.rxNext = (n.rxNext + 1) % ringSize
	}
	if last >= 0 {
		n.r.Write32(regRDT, uint32(last))
	}
	return done
}

// txRing is the transmit ring as nicbase drives it (under the lock).
// One descriptor stays empty: TDT == TDH means an empty ring (§3.4).
type txRing struct{ n *NIC }

func (r txRing) Slots() int { return ringSize - 1 }
func (r txRing) Full() bool { return r.n.txBusy == ringSize-1 }

func (r txRing) Arm(on bool) {
	if on {
		r.n.r.Write32(regIMS, icrTXDW)
	} else {
		r.n.r.Write32(regIMC, icrTXDW)
	}
}

// Reclaim takes back the descriptors the controller wrote back (DD).
func (r txRing) Reclaim() {
	n := r.n
	for n.txBusy > 0 {
		d := n.txRing.Bytes[n.txClean*descSize : (n.txClean+1)*descSize]
		if atomicStatus(d, 12)&txDD == 0 {
			return
		}
		st := n.CountLocked()
		st.TxFrames++
		st.TxBytes += uint64(n.txLen[n.txClean])
		n.txClean = (n.txClean + 1) % ringSize
		n.txBusy--
	}
}

// Put copies f into the next descriptor's buffer (§3.3.3: legacy
// descriptor, end of packet, insert FCS, report status).
func (r txRing) Put(f []byte) {
	n := r.n
	t := n.txTail
	copy(n.txBufs.Bytes[t*bufSize:], f)
	d := n.txRing.Bytes[t*descSize : (t+1)*descSize]
	binary.LittleEndian.PutUint16(d[8:], uint16(len(f)))
	d[10], d[11], d[12], d[13] = 0, txEOP|txIFCS|txRS, 0, 0
	n.txLen[t] = len(f)
	n.txTail = (t + 1) % ringSize
	n.txBusy++
}

// Kick moves the tail past the filled descriptors.
func (r txRing) Kick() {
	publish()
	r.n.r.Write32(regTDT, uint32(r.n.txTail))
}

// Transmit implements core.NIC.
func (n *NIC) Transmit(frames [][]byte) (int, error) { return n.Base.Transmit(frames, mtu, txRing{n}) }

// Close implements core.NIC.
func (n *NIC) Close() error {
	if err := n.Base.Close(func() {
		n.r.Write32(regIMC, 0xffffffff)
		n.irq.Close()
	}); err != nil {
		return err
	}
	n.r.Write32(regRCTL, 0)
	n.r.Write32(regTCTL, 0)
	n.Lock()
	txRing{n}.Reclaim()
	n.CountLocked().TxErrors += uint64(n.txBusy)
	n.Unlock()
	n.r.Write32(regCTRL, ctrlRST)
	var errs []error
	for _, b := range []hw.DMABuffer{n.rxRing, n.rxBufs, n.txRing, n.txBufs} {
		errs = append(errs, n.mem.Free(b.Bytes))
	}
	return errors.Join(errs...)
}

var _ core.NIC = (*NIC)(nil)
