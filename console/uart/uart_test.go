package uart

import (
	"bytes"
	"testing"

	"github.com/aerokernel/aero/core/hw/hwtest"
)

// fake16550 plays a UART's receiver: bytes queued in rx come out of RBR
// while LSR says data ready; lsrErr is reported once, then cleared.
type fake16550 struct {
	regs   *hwtest.Regs
	rx     []byte
	lsrErr uint8
}

func newFake() *fake16550 {
	f := &fake16550{regs: hwtest.NewRegs(Size)}
	f.regs.OnRead(LSR, func() uint64 {
		v := f.lsrErr
		f.lsrErr = 0
		if len(f.rx) > 0 {
			v |= LSRDataReady
		}
		return uint64(v)
	})
	f.regs.OnRead(RBR, func() uint64 {
		if len(f.rx) == 0 {
			return 0
		}
		c := f.rx[0]
		f.rx = f.rx[1:]
		return uint64(c)
	})
	return f
}

func TestReceive(t *testing.T) {
	f := newFake()
	irq := &hwtest.IRQ{}
	u, err := New(f.regs, irq)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := u.StartReceive(func(p []byte) { got.Write(p) }); err != nil {
		t.Fatal(err)
	}
	if ier := f.regs.Get(IER, 1); ier != IERReceive|IERLine {
		t.Errorf("IER = %#x", ier)
	}
	if mcr := f.regs.Get(MCR, 1); mcr&MCROUT2 == 0 {
		t.Errorf("MCR = %#x: OUT2 (the ISA interrupt gate) off", mcr)
	}
	// More than one delivery's worth in one interrupt: all of it comes, in order.
	want := bytes.Repeat([]byte("0123456789"), 60)
	f.rx = append(f.rx, want...)
	f.lsrErr = LSROverrun | LSRFraming
	if !irq.Fire() {
		t.Fatal("the line was not enabled")
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("received %d bytes, want %d in order", got.Len(), len(want))
	}
	s := u.Stats()
	if s.Bytes != uint64(len(want)) || s.Overruns != 1 || s.Framing != 1 || s.Parity != 0 || s.Interrupt != 1 {
		t.Errorf("stats %+v", s)
	}
	if err := u.StartReceive(func([]byte) {}); err == nil {
		t.Error("a second StartReceive did not fail")
	}
}

func TestNewRefuses(t *testing.T) {
	if _, err := New(hwtest.NewRegs(4), &hwtest.IRQ{}); err == nil {
		t.Error("a 4-byte window was taken for a 16550")
	}
	if _, err := New(nil, nil); err == nil {
		t.Error("nil registers were taken")
	}
	u, _ := New(hwtest.NewRegs(Size), &hwtest.IRQ{})
	if err := u.StartReceive(nil); err == nil {
		t.Error("StartReceive(nil) did not fail")
	}
}
