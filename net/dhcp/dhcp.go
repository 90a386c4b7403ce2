// Package dhcp is a DHCPv4 client (RFC 2131, options from RFC 2132) that
// works below the network stack, on whole Ethernet frames: it builds the
// broadcast DISCOVER and REQUEST frames an interface without an address
// sends, and parses the OFFER and ACK it gets back. Acquire runs the
// exchange over any frame transport (package netstack gives it a link
// endpoint's Send and tap). Pure Go, host-tested.
package dhcp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Message types (RFC 2132 §9.6).
const (
	Discover = 1
	Offer    = 2
	Request  = 3
	Decline  = 4
	Ack      = 5
	Nak      = 6
)

// Options used (RFC 2132).
const (
	optSubnetMask = 1
	optRouter     = 3
	optDNS        = 6
	optRequested  = 50
	optLease      = 51
	optType       = 53
	optServerID   = 54
	optParams     = 55
	optEnd        = 255
	optPad        = 0
)

const (
	ethLen    = 14
	ipLen     = 20
	udpLen    = 8
	bootpLen  = 236 // the fixed BOOTP part (RFC 2131 §2)
	cookie    = 0x63825363
	clientUDP = 68
	serverUDP = 67
)

// Lease is what a server gave: an address with its subnet, the default
// router, DNS servers, the server's identifier and the lease time.
type Lease struct {
	Addr     netip.Prefix
	Router   netip.Addr
	DNS      []netip.Addr
	Server   netip.Addr
	Duration time.Duration
}

// ErrNotForUs is Parse's error for a frame that is not a DHCP reply to
// this client (another protocol, port, transaction or hardware address).
var ErrNotForUs = errors.New("dhcp: not a reply to this client")

// ErrMalformed is Parse's error for a DHCP reply that breaks the format.
var ErrMalformed = errors.New("dhcp: malformed message")

// Frame builds a broadcast DHCP message of type typ (Discover or Request)
// from mac with transaction xid, as an Ethernet frame from 0.0.0.0:68 to
// 255.255.255.255:67. A Request names offer's address and server
// (the SELECTING state, RFC 2131 §4.3.2).
func Frame(typ byte, mac [6]byte, xid uint32, offer Lease) []byte {
	opts := []byte{optType, 1, typ}
	if typ == Request {
		a, s := offer.Addr.Addr().As4(), offer.Server.As4()
		opts = append(opts, optRequested, 4, a[0], a[1], a[2], a[3], optServerID, 4, s[0], s[1], s[2], s[3])
	}
	opts = append(opts, optParams, 4, optSubnetMask, optRouter, optDNS, optLease, optEnd)
	msg := make([]byte, bootpLen+4+len(opts))
	msg[0], msg[1], msg[2] = 1, 1, 6 // BOOTREQUEST, Ethernet, 6-byte address
	binary.BigEndian.PutUint32(msg[4:], xid)
	binary.BigEndian.PutUint16(msg[10:], 0x8000) // broadcast: we cannot take unicast yet
	copy(msg[28:], mac[:])
	binary.BigEndian.PutUint32(msg[bootpLen:], cookie)
	copy(msg[bootpLen+4:], opts)
	if len(msg) < 300 { // the BOOTP minimum some servers insist on (RFC 1542 §2.1)
		msg = append(msg, make([]byte, 300-len(msg))...)
	}

	f := make([]byte, ethLen+ipLen+udpLen+len(msg))
	copy(f, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(f[6:], mac[:])
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	ip := f[ethLen:]
	ip[0], ip[8], ip[9] = 0x45, 64, 17 // IPv4, TTL 64, UDP
	binary.BigEndian.PutUint16(ip[2:], uint16(ipLen+udpLen+len(msg)))
	copy(ip[16:], []byte{255, 255, 255, 255})
	binary.BigEndian.PutUint16(ip[10:], ^sum(ip[:ipLen]))
	udp := ip[ipLen:]
	binary.BigEndian.PutUint16(udp[0:], clientUDP)
	binary.BigEndian.PutUint16(udp[2:], serverUDP)
	binary.BigEndian.PutUint16(udp[4:], uint16(udpLen+len(msg))) // checksum 0: none (RFC 768)
	copy(udp[udpLen:], msg)
	return f
}

// sum is the Internet checksum's one's-complement sum (RFC 1071).
func sum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}

// IsReply reports whether frame is an IPv4 UDP datagram to the DHCP
// client port: what a tap hands to the client.
func IsReply(frame []byte) bool {
	if len(frame) < ethLen+ipLen+udpLen || binary.BigEndian.Uint16(frame[12:]) != 0x0800 {
		return false
	}
	ip := frame[ethLen:]
	ihl := int(ip[0]&0xf) * 4
	return ip[0]>>4 == 4 && ip[9] == 17 && ihl >= ipLen && len(ip) >= ihl+udpLen &&
		binary.BigEndian.Uint16(ip[ihl+2:]) == clientUDP
}

// Parse decodes a DHCP reply frame for the client mac with transaction
// xid and returns its message type and what it offers.
func Parse(frame []byte, mac [6]byte, xid uint32) (byte, Lease, error) {
	if !IsReply(frame) {
		return 0, Lease{}, ErrNotForUs
	}
	ip := frame[ethLen:]
	ihl := int(ip[0]&0xf) * 4
	total := int(binary.BigEndian.Uint16(ip[2:]))
	if total < ihl+udpLen || total > len(ip) {
		return 0, Lease{}, fmt.Errorf("%w: IPv4 total length %d in a %d-byte packet", ErrMalformed, total, len(ip))
	}
	udp := ip[ihl:total]
	ulen := int(binary.BigEndian.Uint16(udp[4:]))
	if ulen < udpLen || ulen > len(udp) {
		return 0, Lease{}, fmt.Errorf("%w: UDP length %d", ErrMalformed, ulen)
	}
	msg := udp[udpLen:ulen]
	if len(msg) < bootpLen+4 {
		return 0, Lease{}, fmt.Errorf("%w: %d bytes, under BOOTP's %d", ErrMalformed, len(msg), bootpLen+4)
	}
	if msg[0] != 2 || binary.BigEndian.Uint32(msg[4:]) != xid || string(msg[28:34]) != string(mac[:]) {
		return 0, Lease{}, ErrNotForUs
	}
	if binary.BigEndian.Uint32(msg[bootpLen:]) != cookie {
		return 0, Lease{}, fmt.Errorf("%w: no magic cookie", ErrMalformed)
	}
	var l Lease
	var typ byte
	yiaddr := netip.AddrFrom4([4]byte(msg[16:20]))
	bits := -1
	for o := msg[bootpLen+4:]; len(o) > 0; {
		code := o[0]
		if code == optPad {
			o = o[1:]
			continue
		}
		if code == optEnd {
			break
		}
		if len(o) < 2 || len(o) < 2+int(o[1]) {
			return 0, Lease{}, fmt.Errorf("%w: option %d runs past the message", ErrMalformed, code)
		}
		v := o[2 : 2+int(o[1])]
		o = o[2+len(v):]
		switch code {
		case optType:
			if len(v) != 1 {
				return 0, Lease{}, fmt.Errorf("%w: message type of %d bytes", ErrMalformed, len(v))
			}
			typ = v[0]
		case optSubnetMask:
			if len(v) != 4 {
				return 0, Lease{}, fmt.Errorf("%w: subnet mask of %d bytes", ErrMalformed, len(v))
			}
			m := binary.BigEndian.Uint32(v)
			ones := 0
			for ; ones < 32 && m&(1<<(31-ones)) != 0; ones++ {
			}
			if m<<ones != 0 {
				return 0, Lease{}, fmt.Errorf("%w: subnet mask %x is not contiguous", ErrMalformed, m)
			}
			bits = ones
		case optRouter:
			if len(v) >= 4 {
				l.Router = netip.AddrFrom4([4]byte(v[:4]))
			}
		case optDNS:
			for ; len(v) >= 4; v = v[4:] {
				l.DNS = append(l.DNS, netip.AddrFrom4([4]byte(v[:4])))
			}
		case optLease:
			if len(v) == 4 {
				l.Duration = time.Duration(binary.BigEndian.Uint32(v)) * time.Second
			}
		case optServerID:
			if len(v) == 4 {
				l.Server = netip.AddrFrom4([4]byte(v))
			}
		}
	}
	if typ == 0 {
		return 0, Lease{}, fmt.Errorf("%w: no message type", ErrMalformed)
	}
	if typ == Offer || typ == Ack {
		if bits < 0 {
			bits = 24 // no mask: RFC 2131 leaves it to the client; QEMU always sends one
		}
		if !yiaddr.IsGlobalUnicast() && !yiaddr.IsPrivate() {
			return 0, Lease{}, fmt.Errorf("%w: offered address %v", ErrMalformed, yiaddr)
		}
		l.Addr = netip.PrefixFrom(yiaddr, bits)
	}
	return typ, l, nil
}

// Acquire runs DISCOVER, OFFER, REQUEST, ACK (RFC 2131 §3.1): send
// transmits a frame, replies delivers the frames IsReply accepts. It
// retransmits every retry (doubling, as §4.1 says, up to 8 s), starts over
// on a NAK, and gives up when ctx ends.
func Acquire(ctx context.Context, mac [6]byte, xid uint32, send func([]byte) error, replies <-chan []byte, retry time.Duration) (Lease, error) {
	state, offer := byte(Discover), Lease{}
	wait := retry
	for {
		if err := send(Frame(state, mac, xid, offer)); err != nil {
			return Lease{}, fmt.Errorf("dhcp: send: %w", err)
		}
		timer := time.NewTimer(wait)
	read:
		for {
			select {
			case <-ctx.Done():
				timer.Stop()
				return Lease{}, fmt.Errorf("dhcp: no lease: %w", ctx.Err())
			case <-timer.C:
				wait = min(2*wait, 8*time.Second)
				break read
			case f := <-replies:
				typ, l, err := Parse(f, mac, xid)
				if err != nil {
					continue
				}
				switch {
				case state == Discover && typ == Offer:
					timer.Stop()
					state, offer, wait = Request, l, retry
					break read
				case state == Request && typ == Ack:
					timer.Stop()
					if !l.Server.IsValid() {
						l.Server = offer.Server
					}
					return l, nil
				case state == Request && typ == Nak:
					timer.Stop()
					state, offer, wait = Discover, Lease{}, retry
					xid++
					break read
				}
			}
		}
	}
}
