package e1000

import (
	"bytes"
	"encoding/binary"
	"errors"
	"sync"
	"testing"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/devtest"
	"github.com/aerokernel/aero/core/hw"
	"github.com/aerokernel/aero/core/hw/hwtest"
)

// fake82540 plays the controller on a hwtest.Regs window and hwtest.RAM:
// reset clears itself, ICR is read-to-clear, IMS/IMC mask interrupts,
// TDT hands frames to the wire (unless holdTx), inject fills the next
// receive descriptor the driver gave.
type fake82540 struct {
	regs *hwtest.Regs
	ram  *hwtest.RAM
	irq  *hwtest.IRQ

	mu     sync.Mutex
	icr    uint32
	ims    uint32
	holdTx bool
	sent   [][]byte
}

func newFake() *fake82540 {
	f := &fake82540{regs: hwtest.NewRegs(0x20000), ram: hwtest.NewRAM(0x100000, 8<<20), irq: &hwtest.IRQ{}}
	r := f.regs
	r.Set(regSTATUS, 4, statusLU)
	r.Set(regRAL0, 4, 0x12005452) // 52:54:00:12:34:56, as QEMU's EEPROM loads it
	r.Set(regRAH0, 4, uint64(0x5634|uint32(rahAV)))
	r.OnWrite(regCTRL, func(v uint64) { r.Set(regCTRL, 4, v&^ctrlRST) })
	r.OnRead(regICR, func() uint64 {
		f.mu.Lock()
		defer f.mu.Unlock()
		v := f.icr
		f.icr = 0
		return uint64(v)
	})
	r.OnWrite(regIMS, func(v uint64) { f.mu.Lock(); f.ims |= uint32(v); f.mu.Unlock(); f.raise(0) })
	r.OnWrite(regIMC, func(v uint64) { f.mu.Lock(); f.ims &^= uint32(v); f.mu.Unlock() })
	r.OnWrite(regTDT, func(v uint64) {
		r.Set(regTDT, 4, v)
		f.mu.Lock()
		hold := f.holdTx
		f.mu.Unlock()
		if !hold {
			f.sendTx()
		}
	})
	return f
}

// raise sets causes in ICR and interrupts if any unmasked cause is set.
func (f *fake82540) raise(c uint32) {
	f.mu.Lock()
	f.icr |= c
	fire := f.icr&f.ims != 0
	f.mu.Unlock()
	if fire {
		f.irq.Fire()
	}
}

func (f *fake82540) desc(base uint64, i int) []byte {
	b := make([]byte, descSize)
	f.ram.ReadAt(b, base+uint64(i*descSize))
	return b
}

func (f *fake82540) sendTx() {
	r := f.regs
	base := r.Get(regTDBAL, 4) | r.Get(regTDBAH, 4)<<32
	n := int(r.Get(regTDLEN, 4) / descSize)
	head, tail := int(r.Get(regTDH, 4)), int(r.Get(regTDT, 4))
	for ; head != tail; head = (head + 1) % n {
		d := f.desc(base, head)
		buf := make([]byte, binary.LittleEndian.Uint16(d[8:]))
		f.ram.ReadAt(buf, binary.LittleEndian.Uint64(d))
		f.mu.Lock()
		f.sent = append(f.sent, buf)
		f.mu.Unlock()
		if d[11]&txRS != 0 {
			f.ram.WriteAt([]byte{txDD}, base+uint64(head*descSize)+12)
		}
	}
	r.Set(regTDH, 4, uint64(head))
	f.raise(icrTXDW)
}

// inject receives one frame: false when the driver left no descriptor
// (the controller would drop it and raise RXO).
func (f *fake82540) inject(frame []byte, status, errs byte) bool {
	r := f.regs
	base := r.Get(regRDBAL, 4) | r.Get(regRDBAH, 4)<<32
	n := int(r.Get(regRDLEN, 4) / descSize)
	head, tail := int(r.Get(regRDH, 4)), int(r.Get(regRDT, 4))
	if head == tail || r.Get(regRCTL, 4)&rctlEN == 0 {
		f.raise(icrRXO)
		return false
	}
	d := f.desc(base, head)
	f.ram.WriteAt(frame, binary.LittleEndian.Uint64(d))
	var w [4]byte
	binary.LittleEndian.PutUint16(w[:], uint16(len(frame)))
	f.ram.WriteAt(w[:2], base+uint64(head*descSize)+8)
	f.ram.WriteAt([]byte{status, errs}, base+uint64(head*descSize)+12)
	r.Set(regRDH, 4, uint64((head+1)%n))
	f.raise(icrRXT0)
	return true
}

func (f *fake82540) wire() [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.sent
	f.sent = nil
	return s
}

func frame(n int, b byte) []byte {
	f := bytes.Repeat([]byte{b}, n)
	copy(f, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	return f
}

func attached(t *testing.T) (*fake82540, *NIC, *devtest.Handler) {
	t.Helper()
	f := newFake()
	n, err := New("e1000_0", f.regs, f.irq, f.ram)
	if err != nil {
		t.Fatal(err)
	}
	r := devtest.NewHandler(600)
	if err := n.Attach(r); err != nil {
		t.Fatal(err)
	}
	r.Expect(t, "link true")
	return f, n, r
}

func TestSetup(t *testing.T) {
	f, n, _ := attached(t)
	if n.MAC() != [6]byte{0x52, 0x54, 0, 0x12, 0x34, 0x56} {
		t.Errorf("MAC %x", n.MAC())
	}
	r := f.regs
	if r.Get(regCTRL, 4)&ctrlSLU == 0 || r.Get(regRCTL, 4)&rctlEN == 0 || r.Get(regTCTL, 4)&tctlEN == 0 {
		t.Errorf("CTRL %#x RCTL %#x TCTL %#x", r.Get(regCTRL, 4), r.Get(regRCTL, 4), r.Get(regTCTL, 4))
	}
	if r.Get(regRDLEN, 4) != ringSize*descSize || r.Get(regRDT, 4) != ringSize-1 {
		t.Errorf("RDLEN %d RDT %d", r.Get(regRDLEN, 4), r.Get(regRDT, 4))
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if f.ram.Outstanding() != 0 {
		t.Errorf("%d DMA buffers leaked", f.ram.Outstanding())
	}
	if _, err := n.Transmit([][]byte{frame(60, 1)}); !errors.Is(err, hw.ErrClosed) {
		t.Errorf("Transmit after Close: %v", err)
	}
}

func TestReceive(t *testing.T) {
	f, n, r := attached(t)
	defer n.Close()
	// More frames than the ring holds, in turns: descriptors come back.
	for i := 0; i < 2*ringSize; i++ {
		fr := frame(60+i%100, byte(i))
		if !f.inject(fr, rxDD|rxEOP, 0) {
			t.Fatalf("frame %d: no descriptor", i)
		}
		r.Expect(t, devtest.RxEvent(fr, false))
	}
	// Bad frames: an error bit, no EOP, too long: dropped and counted.
	f.inject(frame(60, 1), rxDD|rxEOP, 1)
	f.inject(frame(60, 2), rxDD, 0)
	f.inject(frame(1600, 3), rxDD|rxEOP, 0)
	ok := frame(64, 4)
	f.inject(ok, rxDD|rxEOP, 0)
	r.Expect(t, devtest.RxEvent(ok, false))
	s := n.Stats()
	if s.RxFrames != 2*ringSize+1 || s.RxDropped != 3 {
		t.Errorf("stats %+v", s)
	}
}

func TestTransmit(t *testing.T) {
	f, n, r := attached(t)
	defer n.Close()
	if k, err := n.Transmit([][]byte{frame(60, 1), frame(1514, 2)}); k != 2 || err != nil {
		t.Fatalf("Transmit: %d, %v", k, err)
	}
	if w := f.wire(); len(w) != 2 || !bytes.Equal(w[1], frame(1514, 2)) {
		t.Errorf("wire: %d frames", len(w))
	}
	if k, err := n.Transmit([][]byte{frame(1515, 1)}); k != 0 || !errors.Is(err, core.ErrFrameSize) {
		t.Errorf("long frame: %d, %v", k, err)
	}
	f.mu.Lock()
	f.holdTx = true
	f.mu.Unlock()
	many := make([][]byte, ringSize+10)
	for i := range many {
		many[i] = frame(60, byte(i))
	}
	k, err := n.Transmit(many)
	if k != ringSize-1 || !errors.Is(err, core.ErrTransmitFull) {
		t.Fatalf("full ring: %d, %v", k, err)
	}
	f.mu.Lock()
	f.holdTx = false
	f.mu.Unlock()
	f.sendTx()
	r.Expect(t, "ready")
	if k, err := n.Transmit(many[ringSize-1:]); k != 11 || err != nil {
		t.Errorf("after TransmitReady: %d, %v", k, err)
	}
	if w := f.wire(); len(w) != ringSize+10 {
		t.Errorf("%d frames on the wire, want %d", len(w), ringSize+10)
	}
}

func TestLinkChange(t *testing.T) {
	f, n, r := attached(t)
	defer n.Close()
	f.regs.Set(regSTATUS, 4, 0)
	f.raise(icrLSC)
	r.Expect(t, "link false")
	if _, err := n.Transmit([][]byte{frame(60, 1)}); !errors.Is(err, core.ErrLinkDown) {
		t.Errorf("Transmit with the link down: %v", err)
	}
	f.regs.Set(regSTATUS, 4, statusLU)
	f.raise(icrLSC)
	r.Expect(t, "link true")
}

// Without a valid receive address the MAC comes from the EEPROM.
func TestMACFromEEPROM(t *testing.T) {
	f := newFake()
	f.regs.Set(regRAH0, 4, 0)
	words := []uint16{0x5452, 0x1200, 0x5634}
	f.regs.OnWrite(regEERD, func(v uint64) {
		w := int(v>>8) & 0xff
		f.regs.Set(regEERD, 4, uint64(words[w])<<16|eerdDone)
	})
	n, err := New("e1000_0", f.regs, f.irq, f.ram)
	if err != nil {
		t.Fatal(err)
	}
	if n.MAC() != [6]byte{0x52, 0x54, 0, 0x12, 0x34, 0x56} || f.regs.Get(regRAH0, 4)&rahAV == 0 {
		t.Errorf("MAC %x, RAH %#x", n.MAC(), f.regs.Get(regRAH0, 4))
	}
}
