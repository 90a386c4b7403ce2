package link

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/devtest"
	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// dispatcher records what the endpoint delivers.
type dispatcher struct{ got chan []byte }

func (d *dispatcher) DeliverNetworkPacket(_ tcpip.NetworkProtocolNumber, pkt *stack.PacketBuffer) {
	d.got <- pkt.ToView().AsSlice()
}
func (d *dispatcher) DeliverLinkPacket(tcpip.NetworkProtocolNumber, *stack.PacketBuffer) {}

func frame(n int, b byte) []byte { return bytes.Repeat([]byte{b}, n) }

func newEndpoint(t *testing.T, cfg devtest.NICConfig) (*devtest.NIC, *Endpoint) {
	t.Helper()
	nic := devtest.NewNIC(cfg)
	e, err := New(nic)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return nic, e
}

func TestReceive(t *testing.T) {
	nic, e := newEndpoint(t, devtest.NICConfig{Name: "n0", MAC: [6]byte{2, 0, 0, 0, 0, 1}})
	nic.Inject(frame(60, 1), false)
	nic.Sync()
	if s := e.Stats(); s.RxNoStack != 1 {
		t.Errorf("before the stack attached: %+v", s)
	}
	d := &dispatcher{got: make(chan []byte, 8)}
	e.Attach(d)
	nic.Inject(frame(60, 2), false)
	nic.Inject(frame(10, 3), false) // shorter than an Ethernet header
	e.SetTap(func(f []byte) bool { return f[0] == 4 })
	nic.Inject(frame(60, 4), false)
	nic.Inject(frame(60, 5), false)
	nic.Sync()
	for _, want := range []byte{2, 5} {
		select {
		case f := <-d.got:
			if !bytes.Equal(f, frame(60, want)) {
				t.Errorf("delivered %x, want frame %d", f, want)
			}
		default:
			t.Fatalf("frame %d not delivered", want)
		}
	}
	if s := e.Stats(); s.RxShort != 1 || s.RxTapped != 1 {
		t.Errorf("stats %+v", s)
	}
	if string(e.LinkAddress()) != "\x02\x00\x00\x00\x00\x01" || e.MTU() != 1514 {
		t.Errorf("link address %x, MTU %d", e.LinkAddress(), e.MTU())
	}
}

// A full ring: Send waits for room, then drops and counts.
func TestSendFull(t *testing.T) {
	nic, e := newEndpoint(t, devtest.NICConfig{Name: "n0", TxQueue: 2})
	frames := [][]byte{frame(60, 1), frame(60, 2), frame(60, 3)}
	start := time.Now()
	n, err := e.Send(frames)
	if n != 2 || !errors.Is(err, core.ErrTransmitFull) || time.Since(start) < TransmitWait {
		t.Errorf("Send with nobody draining: %d, %v after %v", n, err, time.Since(start))
	}
	if s := e.Stats(); s.TxDropped != 1 {
		t.Errorf("stats %+v", s)
	}
	// With the wire draining, everything goes.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for got := 0; got < 5; {
			got += len(nic.Wire(-1))
			time.Sleep(time.Millisecond)
		}
	}()
	if n, err := e.Send([][]byte{frame(60, 4), frame(60, 5), frame(60, 6)}); n != 3 || err != nil {
		t.Errorf("Send with the wire draining: %d, %v", n, err)
	}
	<-done
	// A bad frame is skipped and counted; the rest go.
	nic.Wire(-1)
	if n, err := e.Send([][]byte{frame(10, 1), frame(60, 7)}); n != 2 || err != nil {
		t.Errorf("Send with a short frame: %d, %v", n, err)
	}
	if s := e.Stats(); s.TxRejected != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestWritePackets(t *testing.T) {
	nic, e := newEndpoint(t, devtest.NICConfig{Name: "n0"})
	var pkts stack.PacketBufferList
	for i := byte(1); i <= 3; i++ {
		pkts.PushBack(stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(frame(60, i))}))
	}
	defer pkts.DecRef()
	if n, err := e.WritePackets(pkts); n != 3 || err != nil {
		t.Fatalf("WritePackets: %d, %v", n, err)
	}
	wire := nic.Wire(-1)
	if len(wire) != 3 || !bytes.Equal(wire[2], frame(60, 3)) {
		t.Errorf("wire %x", wire)
	}
	nic.SetLink(false)
	nic.Sync()
	if _, err := e.WritePackets(pkts); err == nil {
		t.Error("WritePackets with the link down succeeded")
	}
}
