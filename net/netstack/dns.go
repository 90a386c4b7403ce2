package netstack

import (
	"net"
	"net/netip"
	"strings"
)

// addrFor is the DNS server s on port 53 as the address type network
// ("udp" or "tcp") wants.
func addrFor(network string, s netip.Addr) net.Addr {
	ap := netip.AddrPortFrom(s, 53)
	if strings.HasPrefix(network, "tcp") {
		return net.TCPAddrFromAddrPort(ap)
	}
	return net.UDPAddrFromAddrPort(ap)
}
