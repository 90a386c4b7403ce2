package virtio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/devtest"
	"github.com/aerokernel/aero/core/hw"
)

var testMAC = [6]byte{0x52, 0x54, 0, 0x12, 0x34, 0x56}

const allFeatures = FeatureVersion1 | NetFeatureCSum | NetFeatureMAC | NetFeatureMrgRxBuf | NetFeatureStatus | 1<<1 | 1<<21

func frame(n int, fill byte) []byte {
	f := bytes.Repeat([]byte{fill}, n)
	copy(f, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0, 0x12, 0x34, 0x56, 0x08, 0x06})
	return f
}

func attached(t *testing.T, offered uint64) (*fakeDevice, *Net, *devtest.Handler) {
	t.Helper()
	d := newFakeDevice(offered, testMAC)
	n, err := NewNet("virtio0", d, d.irq, d.ram)
	if err != nil {
		t.Fatal(err)
	}
	r := devtest.NewHandler(256)
	if err := n.Attach(r); err != nil {
		t.Fatal(err)
	}
	r.Expect(t, "link true")
	t.Cleanup(func() { n.Close() })
	return d, n, r
}

func TestNegotiation(t *testing.T) {
	d := newFakeDevice(allFeatures, testMAC)
	n, err := NewNet("virtio0", d, d.irq, d.ram)
	if err != nil {
		t.Fatal(err)
	}
	if d.accepted != wanted {
		t.Errorf("accepted %#x, want %#x (offered %#x)", d.accepted, wanted, uint64(allFeatures))
	}
	if d.status != StatusAcknowledge|StatusDriver|StatusFeaturesOK|StatusDriverOK {
		t.Errorf("status %#x", d.status)
	}
	if n.MAC() != testMAC {
		t.Errorf("MAC %x", n.MAC())
	}
	if c := n.Caps(); c.MTU != 1500 || !c.TxChecksum || c.RxChecksum || c.TxQueue != 16 {
		t.Errorf("caps %+v", c)
	}
	// Nothing is given to the receive queue before Attach.
	if d.notifies[rxQueue] != 0 || n.rx.Pending() != 0 {
		t.Errorf("receive buffers before Attach: %d notifies, %d pending", d.notifies[rxQueue], n.rx.Pending())
	}
	if _, err := n.Transmit([][]byte{frame(60, 1)}); !errors.Is(err, core.ErrNotAttached) {
		t.Errorf("Transmit before Attach: %v", err)
	}
	if err := n.Close(); err != nil {
		t.Error(err)
	}
	if d.ram.Outstanding() != 0 {
		t.Errorf("%d DMA buffers leaked", d.ram.Outstanding())
	}
	if _, err := n.Transmit(nil); !errors.Is(err, hw.ErrClosed) {
		t.Errorf("Transmit after Close: %v", err)
	}
	if err := n.Close(); !errors.Is(err, hw.ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
}

func TestNegotiationRefused(t *testing.T) {
	d := newFakeDevice(NetFeatureMAC, testMAC)
	if _, err := NewNet("virtio0", d, d.irq, d.ram); !errors.Is(err, ErrNoDevice) || d.status&StatusFailed == 0 {
		t.Errorf("legacy device: %v, status %#x", err, d.status)
	}
	d = newFakeDevice(allFeatures, testMAC)
	d.refuse = true
	if _, err := NewNet("virtio0", d, d.irq, d.ram); !errors.Is(err, ErrDevice) || d.status&StatusFailed == 0 {
		t.Errorf("FEATURES_OK refused: %v, status %#x", err, d.status)
	}
	if d.ram.Outstanding() != 0 {
		t.Errorf("%d DMA buffers leaked", d.ram.Outstanding())
	}
}

func TestReceive(t *testing.T) {
	d, n, r := attached(t, allFeatures)
	a, b := frame(60, 0xaa), frame(1514, 0xbb)
	if !d.injectFrame(a) || !d.injectFrame(b) {
		t.Fatal("no receive buffers")
	}
	r.Expect(t, devtest.RxEvent(a, false))
	r.Expect(t, devtest.RxEvent(b, false))
	// A frame over two buffers (MRG_RXBUF).
	c := frame(1000, 0xcc)
	d.inject(append(make([]byte, netHdrLen), c[:400]...), 2)
	d.inject(c[400:], 0)
	r.Expect(t, devtest.RxEvent(c, false))
	// Every buffer went back: 16 frames more fit.
	for i := 0; i < 16; i++ {
		if !d.injectFrame(frame(60, byte(i))) {
			t.Fatalf("buffer %d did not come back", i)
		}
		r.Expect(t, devtest.RxEvent(frame(60, byte(i)), false))
	}
	s := n.Stats()
	if s.RxFrames != 19 || s.RxBytes != 60+1514+1000+16*60 || s.RxDropped != 0 {
		t.Errorf("stats %+v", s)
	}
	if n.Interrupts() == 0 {
		t.Error("no interrupts counted")
	}
}

// A full receive ring: the device has no buffer for a frame (it drops it,
// as QEMU does) until the driver gives them back.
func TestReceiveRingFull(t *testing.T) {
	d, _, r := attached(t, allFeatures)
	d.mu.Lock()
	held := len(d.queues[rxQueue].held)
	d.mu.Unlock()
	if held != 16 {
		t.Fatalf("%d receive buffers given, want 16", held)
	}
	for i := 0; i < 16; i++ {
		d.injectFrame(frame(60, 1))
	}
	for i := 0; i < 16; i++ {
		r.Expect(t, devtest.RxEvent(frame(60, 1), false))
	}
	if !d.injectFrame(frame(60, 2)) {
		t.Error("receive buffers were not given back")
	}
	r.Expect(t, devtest.RxEvent(frame(60, 2), false))
}

func TestHostileReceive(t *testing.T) {
	d, n, r := attached(t, allFeatures)
	d.rawUsed(rxQueue, 99, 60) // no such descriptor
	d.mu.Lock()
	id := d.queues[rxQueue].held[0]
	d.mu.Unlock()
	d.rawUsed(rxQueue, uint32(id), slotSize+1)                       // longer than the buffer
	d.rawUsed(txQueue, 3, 0)                                         // a transmit slot never given
	d.inject(make([]byte, 5), 1)                                     // shorter than the header
	d.inject(append(make([]byte, netHdrLen), 1, 2, 3), 1)            // shorter than an Ethernet header
	d.inject(append(make([]byte, netHdrLen), frame(60, 3)...), 0)    // num_buffers 0
	d.inject(append(make([]byte, netHdrLen), frame(60, 3)...), 1000) // too many buffers
	// Too long once merged: dropped, and the next frame still arrives.
	d.inject(append(make([]byte, netHdrLen), frame(1500, 4)...), 2)
	d.inject(frame(100, 4), 0)
	ok := frame(60, 5)
	d.injectFrame(ok)
	r.Expect(t, devtest.RxEvent(ok, false))
	r.Quiet(t, 50*time.Millisecond)
	if got := n.DeviceErrors(); got != 5 {
		t.Errorf("%d device errors, want 5", got)
	}
	if s := n.Stats(); s.RxDropped != 6 || s.RxFrames != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestTransmit(t *testing.T) {
	d, n, r := attached(t, allFeatures)
	f := frame(100, 7)
	if k, err := n.Transmit([][]byte{f, frame(60, 8)}); k != 2 || err != nil {
		t.Fatalf("Transmit: %d, %v", k, err)
	}
	sent := d.sentFrames()
	if len(sent) != 2 || !bytes.Equal(sent[0], f) {
		t.Fatalf("sent %x", sent)
	}
	// Sizes.
	if k, err := n.Transmit([][]byte{frame(60, 1), frame(13, 1)}); k != 1 || !errors.Is(err, core.ErrFrameSize) {
		t.Errorf("short frame: %d, %v", k, err)
	}
	if k, err := n.Transmit([][]byte{frame(1515, 1)}); k != 0 || !errors.Is(err, core.ErrFrameSize) {
		t.Errorf("long frame: %d, %v", k, err)
	}
	// A full ring: the count so far, ErrTransmitFull, then TransmitReady.
	d.mu.Lock()
	d.holdTx = true
	d.mu.Unlock()
	many := make([][]byte, 20)
	for i := range many {
		many[i] = frame(60, byte(i))
	}
	k, err := n.Transmit(many)
	if k != 16 || !errors.Is(err, core.ErrTransmitFull) {
		t.Fatalf("full ring: %d, %v", k, err)
	}
	r.Quiet(t, 50*time.Millisecond)
	d.releaseTx()
	r.Expect(t, "ready")
	if k, err := n.Transmit(many[16:]); k != 4 || err != nil {
		t.Errorf("after TransmitReady: %d, %v", k, err)
	}
	s := waitStats(n, func(s core.NICStats) bool { return s.TxFrames == 23 })
	if s.TxFrames != 2+1+20 || s.TxBytes != 160+60+20*60 || s.TxErrors != 0 {
		t.Errorf("stats %+v", s)
	}
	// Close with frames in the ring counts them as errors.
	d.mu.Lock()
	d.holdTx = true
	d.mu.Unlock()
	n.Transmit(many[:3])
	n.Close()
	if s := n.Stats(); s.TxErrors != 3 {
		t.Errorf("after Close: %+v", s)
	}
	if d.ram.Outstanding() != 0 {
		t.Errorf("%d DMA buffers leaked", d.ram.Outstanding())
	}
}

func TestLink(t *testing.T) {
	d, n, r := attached(t, allFeatures)
	d.setLink(false)
	r.Expect(t, "link false")
	if n.LinkUp() {
		t.Error("LinkUp after the link went down")
	}
	if _, err := n.Transmit([][]byte{frame(60, 1)}); !errors.Is(err, core.ErrLinkDown) {
		t.Errorf("Transmit with the link down: %v", err)
	}
	d.setLink(true)
	r.Expect(t, "link true")
	// Without STATUS the link is always up.
	d2 := newFakeDevice(FeatureVersion1|NetFeatureMAC, testMAC)
	d2.config.Set(6, 2, 0)
	n2, err := NewNet("virtio1", d2, d2.irq, d2.ram)
	if err != nil || !n2.LinkUp() || n2.Caps().TxChecksum {
		t.Errorf("without STATUS and CSUM: %v, link %v, caps %+v", err, n2.LinkUp(), n2.Caps())
	}
}

// The checksum offload header for TCP over IPv4: NEEDS_CSUM, csum_start
// after the IP header, the pseudo-header sum in the checksum field.
func TestTransmitChecksumOffload(t *testing.T) {
	d, n, _ := attached(t, allFeatures)
	f := make([]byte, 14+20+20+5)
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	ip := f[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], 45)
	ip[9] = 6
	copy(ip[12:], []byte{10, 0, 2, 15, 10, 0, 2, 2})
	if _, err := n.Transmit([][]byte{f}); err != nil {
		t.Fatal(err)
	}
	h, sent := d.headers[0], d.sentFrames()[0]
	if h[0] != hdrNeedsCsum || binary.LittleEndian.Uint16(h[6:]) != 34 || binary.LittleEndian.Uint16(h[8:]) != 16 {
		t.Errorf("header %x", h)
	}
	// 0x0a00+0x020f+0x0a00+0x0202 + 6 + 25
	want := uint16(0x0a00 + 0x020f + 0x0a00 + 0x0202 + 6 + 25)
	if got := binary.BigEndian.Uint16(sent[34+16:]); got != want {
		t.Errorf("pseudo-header sum %#x, want %#x", got, want)
	}
	// ARP: no offload.
	n.Transmit([][]byte{frame(60, 0)})
	if h := d.headers[1]; !bytes.Equal(h, make([]byte, netHdrLen)) {
		t.Errorf("ARP header %x", h)
	}
}

func TestAttachTwice(t *testing.T) {
	_, n, r := attached(t, allFeatures)
	if err := n.Attach(r); !errors.Is(err, core.ErrAttached) {
		t.Errorf("second Attach: %v", err)
	}
}

// waitStats returns n's stats once done says they are complete (the
// receive goroutine counts completions), or after a second.
func waitStats(n *Net, done func(core.NICStats) bool) core.NICStats {
	deadline := time.Now().Add(time.Second)
	for {
		s := n.Stats()
		if done(s) || time.Now().After(deadline) {
			return s
		}
		time.Sleep(time.Millisecond)
	}
}
