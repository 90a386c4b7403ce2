package dhcp

import (
	"context"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
	"time"
)

var mac = [6]byte{0x52, 0x54, 0, 0x12, 0x34, 0x56}

// reply builds a server's reply to a request frame as QEMU's slirp sends
// it: typ, yiaddr 10.0.2.15, mask /24, router and server 10.0.2.2, DNS
// 10.0.2.3, a day's lease.
func reply(req []byte, typ byte) []byte {
	msg := req[14+20+8:]
	xid := binary.BigEndian.Uint32(msg[4:])
	out := make([]byte, bootpLen+4)
	out[0], out[1], out[2] = 2, 1, 6
	binary.BigEndian.PutUint32(out[4:], xid)
	copy(out[16:], []byte{10, 0, 2, 15})
	copy(out[28:], msg[28:34])
	binary.BigEndian.PutUint32(out[bootpLen:], cookie)
	out = append(out, optType, 1, typ, optSubnetMask, 4, 255, 255, 255, 0, optRouter, 4, 10, 0, 2, 2,
		optDNS, 4, 10, 0, 2, 3, optLease, 4, 0, 1, 0x51, 0x80, optServerID, 4, 10, 0, 2, 2, optPad, optEnd)
	f := make([]byte, 14+20+8+len(out))
	copy(f, msg[28:34])
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	ip := f[14:]
	ip[0], ip[9] = 0x45, 17
	binary.BigEndian.PutUint16(ip[2:], uint16(20+8+len(out)))
	binary.BigEndian.PutUint16(ip[20:], serverUDP)
	binary.BigEndian.PutUint16(ip[22:], clientUDP)
	binary.BigEndian.PutUint16(ip[24:], uint16(8+len(out)))
	copy(ip[28:], out)
	return f
}

func TestFrame(t *testing.T) {
	f := Frame(Discover, mac, 0x01020304, Lease{})
	if len(f) < 14+20+8+300 {
		t.Errorf("DISCOVER of %d bytes, under the BOOTP minimum", len(f))
	}
	ip := f[14:]
	if sum(ip[:20]) != 0xffff {
		t.Errorf("IPv4 header checksum does not verify")
	}
	if string(ip[16:20]) != "\xff\xff\xff\xff" || binary.BigEndian.Uint16(ip[22:]) != serverUDP {
		t.Errorf("not to the broadcast server port")
	}
	if IsReply(f) {
		t.Error("a request passes IsReply")
	}
	req := Frame(Request, mac, 7, Lease{Addr: netip.MustParsePrefix("10.0.2.15/24"), Server: netip.MustParseAddr("10.0.2.2")})
	typ, _, err := Parse(reply(req, Ack), mac, 7)
	if err != nil || typ != Ack {
		t.Fatalf("ACK: %d, %v", typ, err)
	}
}

func TestParse(t *testing.T) {
	req := Frame(Discover, mac, 42, Lease{})
	typ, l, err := Parse(reply(req, Offer), mac, 42)
	if err != nil || typ != Offer {
		t.Fatalf("%d, %v", typ, err)
	}
	want := Lease{Addr: netip.MustParsePrefix("10.0.2.15/24"), Router: netip.MustParseAddr("10.0.2.2"),
		DNS: []netip.Addr{netip.MustParseAddr("10.0.2.3")}, Server: netip.MustParseAddr("10.0.2.2"), Duration: 86400 * time.Second}
	if l.Addr != want.Addr || l.Router != want.Router || len(l.DNS) != 1 || l.DNS[0] != want.DNS[0] || l.Server != want.Server || l.Duration != want.Duration {
		t.Errorf("lease %+v, want %+v", l, want)
	}
	if _, _, err := Parse(reply(req, Offer), mac, 43); !errors.Is(err, ErrNotForUs) {
		t.Errorf("other transaction: %v", err)
	}
	if _, _, err := Parse(reply(req, Offer), [6]byte{1}, 42); !errors.Is(err, ErrNotForUs) {
		t.Errorf("other client: %v", err)
	}
	for name, mangle := range map[string]func([]byte) []byte{
		"cut":         func(f []byte) []byte { return f[:14+20+8+100] },
		"no cookie":   func(f []byte) []byte { f[14+28+bootpLen] = 0; return f },
		"long option": func(f []byte) []byte { f[14+28+bootpLen+4+1] = 200; return f },
		"bad mask":    func(f []byte) []byte { f[14+28+bootpLen+4+3+3] = 0xf0; f[14+28+bootpLen+4+3+4] = 0xff; return f },
		"ip length":   func(f []byte) []byte { binary.BigEndian.PutUint16(f[16:], 9000); return f },
	} {
		if _, _, err := Parse(mangle(reply(req, Offer)), mac, 42); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
}

// fakeServer answers DISCOVER with OFFER and REQUEST with ACK (or, the
// first time, with NAK when nakOnce is set); drop makes it ignore the
// first frames, as a lossy link would.
func fakeServer(t *testing.T, drop int, nakOnce bool) (func([]byte) error, chan []byte, *int) {
	replies := make(chan []byte, 8)
	sent := 0
	return func(f []byte) error {
		sent++
		if sent <= drop {
			return nil
		}
		msg := f[14+28:]
		var typ byte
		for o := msg[bootpLen+4:]; len(o) > 2 && o[0] != optEnd; o = o[2+int(o[1]):] {
			if o[0] == optType {
				typ = o[2]
			}
		}
		switch typ {
		case Discover:
			replies <- reply(f, Offer)
		case Request:
			if nakOnce {
				nakOnce = false
				replies <- reply(f, Nak)
			} else {
				replies <- reply(f, Ack)
			}
		default:
			t.Errorf("message type %d", typ)
		}
		return nil
	}, replies, &sent
}

func TestAcquire(t *testing.T) {
	for _, c := range []struct {
		name  string
		drop  int
		nak   bool
		sends int
	}{{"clean", 0, false, 2}, {"lossy", 2, false, 4}, {"nak", 0, true, 4}} {
		t.Run(c.name, func(t *testing.T) {
			send, replies, sent := fakeServer(t, c.drop, c.nak)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			l, err := Acquire(ctx, mac, 99, send, replies, 10*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			if l.Addr != netip.MustParsePrefix("10.0.2.15/24") || *sent != c.sends {
				t.Errorf("lease %+v after %d frames, want %d", l, *sent, c.sends)
			}
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := Acquire(ctx, mac, 1, func([]byte) error { return nil }, make(chan []byte), 10*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("no server: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(reply(Frame(Discover, mac, 5, Lease{}), Offer))
	f.Add(reply(Frame(Discover, mac, 5, Lease{}), Ack)[:60])
	f.Fuzz(func(t *testing.T, b []byte) {
		typ, l, err := Parse(b, mac, 5)
		if err == nil && (typ == Offer || typ == Ack) && !l.Addr.IsValid() {
			t.Errorf("offer without an address: %+v", l)
		}
	})
}
