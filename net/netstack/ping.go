package netstack

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// Ping sends one ICMP echo request (RFC 792; ICMPv6, RFC 4443 §4.1, for
// an IPv6 address) to addr through a gVisor ping endpoint and waits for
// the matching reply until ctx ends. It returns the round-trip time.
func (st *Stack) Ping(ctx context.Context, addr netip.Addr, seq uint16) (time.Duration, error) {
	var wq waiter.Queue
	proto, netProto, typ := icmp.ProtocolNumber4, ipv4.ProtocolNumber, byte(8)
	if addr.Is6() && !addr.Is4In6() {
		proto, netProto, typ = icmp.ProtocolNumber6, ipv6.ProtocolNumber, 128
	}
	ep, terr := st.S.NewEndpoint(proto, netProto, &wq)
	if terr != nil {
		return 0, fmt.Errorf("netstack: ping endpoint: %s", terr)
	}
	c := gonet.NewUDPConn(&wq, ep)
	defer c.Close()
	if d, ok := ctx.Deadline(); ok {
		c.SetDeadline(d)
	}
	payload := []byte("aero ping")
	req := make([]byte, 8+len(payload))
	req[0] = typ
	binary.BigEndian.PutUint16(req[6:], seq)
	copy(req[8:], payload)
	start := time.Now()
	to := net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr.Unmap(), 0))
	if _, err := c.WriteTo(req, to); err != nil {
		return 0, fmt.Errorf("netstack: ping %v: %w", addr, err)
	}
	buf := make([]byte, 1500)
	for {
		n, _, err := c.ReadFrom(buf)
		if err != nil {
			return 0, fmt.Errorf("netstack: ping %v: %w", addr, err)
		}
		// An echo reply (type 0, or 129 for ICMPv6) with our sequence
		// number and payload; the stack matched the identifier.
		if n >= 8 && (buf[0] == 0 || buf[0] == 129) && binary.BigEndian.Uint16(buf[6:]) == seq && bytes.Equal(buf[8:n], payload) {
			return time.Since(start), nil
		}
	}
}
