package netstack

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
)

// The methods of package net's Stack (GOOS=tamago): package net resolves
// names and hands over *net.TCPAddr for tcp networks and *net.UDPAddr
// for udp; gonet's connections and listeners are net.Conn, net.Listener
// and net.PacketConn with package net's error conventions.

// fullAddr converts ip and port to gVisor's address and the network
// protocol to use: IPv4 for an IPv4 (or v4-mapped) address or a "4"
// network, else IPv6 (which, for the unspecified address, serves IPv4
// too: gVisor endpoints are dual-stack unless V6Only).
func fullAddr(network string, ip net.IP, port int) (tcpip.FullAddress, tcpip.NetworkProtocolNumber, error) {
	fa := tcpip.FullAddress{Port: uint16(port)}
	v4 := strings.HasSuffix(network, "4")
	v6 := strings.HasSuffix(network, "6")
	if port < 0 || port > 65535 {
		return fa, 0, fmt.Errorf("netstack: port %d", port)
	}
	if len(ip) == 0 || ip.IsUnspecified() {
		if v4 {
			return fa, ipv4.ProtocolNumber, nil
		}
		return fa, ipv6.ProtocolNumber, nil
	}
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return fa, 0, fmt.Errorf("netstack: address %v", ip)
	}
	a = a.Unmap()
	switch {
	case a.Is4() && !v6:
		fa.Addr = tcpip.AddrFrom4(a.As4())
		return fa, ipv4.ProtocolNumber, nil
	case a.Is6() && !v4:
		fa.Addr = tcpip.AddrFrom16(a.As16())
		return fa, ipv6.ProtocolNumber, nil
	}
	return fa, 0, &net.AddrError{Err: "address family does not match the network", Addr: ip.String()}
}

// Dial implements net.Stack.
func (st *Stack) Dial(ctx context.Context, network string, laddr, raddr net.Addr) (net.Conn, error) {
	switch a := raddr.(type) {
	case *net.TCPAddr:
		ra, proto, err := fullAddr(network, a.IP, a.Port)
		if err != nil {
			return nil, err
		}
		if l, ok := laddr.(*net.TCPAddr); ok && l != nil {
			la, _, err := fullAddr(network, l.IP, l.Port)
			if err != nil {
				return nil, err
			}
			return gonet.DialTCPWithBind(ctx, st.S, la, ra, proto)
		}
		return gonet.DialContextTCP(ctx, st.S, ra, proto)
	case *net.UDPAddr:
		ra, proto, err := fullAddr(network, a.IP, a.Port)
		if err != nil {
			return nil, err
		}
		var la *tcpip.FullAddress
		if l, ok := laddr.(*net.UDPAddr); ok && l != nil {
			x, _, err := fullAddr(network, l.IP, l.Port)
			if err != nil {
				return nil, err
			}
			la = &x
		}
		return gonet.DialUDP(st.S, la, &ra, proto)
	}
	return nil, net.UnknownNetworkError(network)
}

// Listen implements net.Stack.
func (st *Stack) Listen(ctx context.Context, network string, laddr net.Addr) (net.Listener, error) {
	a, ok := laddr.(*net.TCPAddr)
	if !ok {
		return nil, net.UnknownNetworkError(network)
	}
	la, proto, err := fullAddr(network, a.IP, a.Port)
	if err != nil {
		return nil, err
	}
	return gonet.ListenTCP(st.S, la, proto)
}

// ListenPacket implements net.Stack.
func (st *Stack) ListenPacket(ctx context.Context, network string, laddr net.Addr) (net.PacketConn, error) {
	a, ok := laddr.(*net.UDPAddr)
	if !ok {
		return nil, net.UnknownNetworkError(network)
	}
	la, proto, err := fullAddr(network, a.IP, a.Port)
	if err != nil {
		return nil, err
	}
	return gonet.DialUDP(st.S, &la, nil, proto)
}
