//go:build tamago && amd64

package virtio

import (
	"bytes"
	"encoding/binary"
	"time"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/ktest"
)

func init() { ktest.Register("virtio/arp", testARP) }

// arpWatcher is a NICHandler that waits for an ARP reply from one
// address.
type arpWatcher struct {
	from    [4]byte
	replied chan [6]byte
	frames  int
}

func (w *arpWatcher) Receive(f []byte, _ bool) {
	w.frames++
	// Ethernet type 0x0806, ARP (RFC 826) opcode 2 (reply), sender IP.
	if len(f) >= 42 && binary.BigEndian.Uint16(f[12:]) == 0x0806 && binary.BigEndian.Uint16(f[20:]) == 2 && bytes.Equal(f[28:32], w.from[:]) {
		var mac [6]byte
		copy(mac[:], f[22:28])
		select {
		case w.replied <- mac:
		default:
		}
	}
}
func (w *arpWatcher) LinkChanged(bool) {}
func (w *arpWatcher) TransmitReady()   {}

// testARP proves the driver on a booted kernel without a network stack:
// it asks QEMU's user-network gateway (10.0.2.2) for its MAC address and
// waits for the reply, which arrives by interrupt.
func testARP(t *ktest.T) {
	var n *Net
	for _, nic := range core.Running().NICs {
		if v, ok := nic.(*Net); ok && v.Attachable() {
			n = v
			break
		}
	}
	if n == nil {
		t.Skip("no unattached virtio NIC")
	}
	t.Logf("%s: MAC %x, features %#x, caps %+v", n.Name(), n.MAC(), n.Features(), n.Caps())
	w := &arpWatcher{from: [4]byte{10, 0, 2, 2}, replied: make(chan [6]byte, 1)}
	if err := n.Attach(w); err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	mac := n.MAC()
	req := make([]byte, 60)
	copy(req, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(req[6:], mac[:])
	copy(req[12:], []byte{0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1})
	copy(req[22:], mac[:])
	copy(req[28:], []byte{10, 0, 2, 15})
	copy(req[38:], []byte{10, 0, 2, 2})
	deadline := time.After(10 * time.Second)
	for tries := 0; ; tries++ {
		if _, err := n.Transmit([][]byte{req}); err != nil {
			t.Fatal(err)
		}
		select {
		case gw := <-w.replied:
			s := n.Stats()
			t.Logf("gateway 10.0.2.2 is at %x after %d request(s); %d interrupts; stats %+v", gw, tries+1, n.Interrupts(), s)
			if n.Interrupts() == 0 {
				t.Error("the reply came without an interrupt")
			}
			if s.TxFrames == 0 || s.RxFrames == 0 {
				t.Errorf("stats %+v count no traffic", s)
			}
			return
		case <-time.After(time.Second):
		case <-deadline:
			t.Fatalf("no ARP reply from 10.0.2.2 in 10s (%d frames received, %d interrupts, stats %+v)", w.frames, n.Interrupts(), n.Stats())
		}
	}
}
