// Package netstack is Aero's TCP/IP: gVisor's pkg/tcpip (ARP, IPv4, IPv6
// with SLAAC, ICMP, TCP, UDP) with one link endpoint (package link) per
// core.NIC, a loopback interface, addresses from DHCP (package dhcp) or
// from the kernel command line, and the methods package net's hook on
// GOOS=tamago calls (toolchain patch 0009: net.SetStack): Dial, Listen,
// ListenPacket and LookupHost. On a booted kernel, linking the package
// registers the stack with package net, so net.Listen, net.Dial, net/http
// and DNS lookups work unchanged; the stack comes up (interfaces
// configured) on first use, or when the HRT calls Start. It also adds the
// shell's net command (core.AddCommand): Stack.Report, each interface's
// addresses and counters.
//
// Kernel command line (the first NIC; others use DHCP):
//
//	net.ip=dhcp              DHCP (the default)
//	net.ip=10.0.2.15/24      a static address, with
//	net.gw=10.0.2.2          the default router and
//	net.dns=10.0.2.3         DNS servers (a comma list)
//	net=off                  no stack: package net keeps failing with ErrNoStack
package netstack

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/cmdline"
	"github.com/aerokernel/aero/net/dhcp"
	"github.com/aerokernel/aero/net/link"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/ethernet"
	"gvisor.dev/gvisor/pkg/tcpip/link/loopback"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
)

// Config is how the interfaces get their addresses.
type Config struct {
	// Static, when valid, is the first NIC's address (no DHCP there),
	// with Gateway and DNS.
	Static  netip.Prefix
	Gateway netip.Addr
	DNS     []netip.Addr
	// DHCPTimeout bounds the DHCP exchange of each NIC (0: 30 s).
	DHCPTimeout time.Duration
}

// ParseConfig reads the net.* options of the kernel command line.
func ParseConfig(c *cmdline.Cmdline) (Config, error) {
	var cfg Config
	if c == nil {
		return cfg, nil
	}
	if ip := c.String("net.ip", "dhcp"); ip != "dhcp" {
		p, err := netip.ParsePrefix(ip)
		if err != nil {
			return cfg, fmt.Errorf("netstack: net.ip=%s: want dhcp or an address with its prefix length (10.0.2.15/24): %v", ip, err)
		}
		cfg.Static = p
	}
	if gw := c.String("net.gw", ""); gw != "" {
		a, err := netip.ParseAddr(gw)
		if err != nil {
			return cfg, fmt.Errorf("netstack: net.gw=%s: %v", gw, err)
		}
		cfg.Gateway = a
	}
	for _, d := range c.List("net.dns") {
		a, err := netip.ParseAddr(d)
		if err != nil {
			return cfg, fmt.Errorf("netstack: net.dns=%s: %v", d, err)
		}
		cfg.DNS = append(cfg.DNS, a)
	}
	if (cfg.Gateway.IsValid() || len(cfg.DNS) > 0) && !cfg.Static.IsValid() {
		return cfg, errors.New("netstack: net.gw and net.dns need a static net.ip")
	}
	return cfg, nil
}

// Interface is one NIC in the stack.
type Interface struct {
	ID       tcpip.NICID
	NIC      core.NIC
	Endpoint *link.Endpoint
	// Addr, Gateway and Source ("dhcp" or "static") say how it was
	// configured; Lease is DHCP's answer.
	Addr    netip.Prefix
	Gateway netip.Addr
	Source  string
	Lease   dhcp.Lease
}

// Stack is the network stack.
type Stack struct {
	S      *stack.Stack
	Ifaces []*Interface

	mu  sync.RWMutex
	dns []netip.Addr
}

const loopbackID = 1

// New builds the stack over nics: gVisor's protocols, a loopback NIC
// (127.0.0.1/8, ::1) and one interface per NIC (attached; IPv6 link-local
// and SLAAC addresses come by themselves). Configure gives them IPv4
// addresses.
func New(nics []core.NIC) (*Stack, error) {
	ndp := ipv6.DefaultNDPConfigurations()
	ndp.HandleRAs = ipv6.HandlingRAsEnabledWhenForwardingDisabled
	ndp.DiscoverDefaultRouters, ndp.DiscoverOnLinkPrefixes, ndp.AutoGenGlobalAddresses = true, true, true
	routes6 := &ndpRoutes{}
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, ipv6.NewProtocolWithOptions(ipv6.Options{NDPConfigs: ndp, AutoGenLinkLocal: true, NDPDisp: routes6}), arp.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol, icmp.NewProtocol4, icmp.NewProtocol6},
		HandleLocal:        true,
	})
	// SACK and a larger buffer range for throughput (RFC 2018).
	sack := tcpip.TCPSACKEnabled(true)
	s.SetTransportProtocolOption(tcp.ProtocolNumber, &sack)
	st := &Stack{S: s}
	routes6.s.Store(s)
	if err := s.CreateNIC(loopbackID, loopback.New()); err != nil {
		return nil, fmt.Errorf("netstack: loopback: %s", err)
	}
	for _, a := range []tcpip.ProtocolAddress{
		{Protocol: ipv4.ProtocolNumber, AddressWithPrefix: tcpip.AddressWithPrefix{Address: tcpip.AddrFrom4([4]byte{127, 0, 0, 1}), PrefixLen: 8}},
		{Protocol: ipv6.ProtocolNumber, AddressWithPrefix: tcpip.AddressWithPrefix{Address: tcpip.AddrFrom16([16]byte{15: 1}), PrefixLen: 128}},
	} {
		if err := s.AddProtocolAddress(loopbackID, a, stack.AddressProperties{}); err != nil {
			return nil, fmt.Errorf("netstack: loopback address %v: %s", a.AddressWithPrefix, err)
		}
	}
	routes := []tcpip.Route{
		{Destination: mustSubnet(tcpip.AddrFrom4([4]byte{127}), 8), NIC: loopbackID},
		{Destination: mustSubnet(tcpip.AddrFrom16([16]byte{15: 1}), 128), NIC: loopbackID},
	}
	for i, nic := range nics {
		id := tcpip.NICID(loopbackID + 1 + i)
		ep, err := link.New(nic)
		if err != nil {
			return nil, fmt.Errorf("netstack: %s: %w", nic.Name(), err)
		}
		if err := s.CreateNICWithOptions(id, ethernet.New(ep), stack.NICOptions{Name: nic.Name()}); err != nil {
			return nil, fmt.Errorf("netstack: %s: %s", nic.Name(), err)
		}
		st.Ifaces = append(st.Ifaces, &Interface{ID: id, NIC: nic, Endpoint: ep})
		// IPv6: the on-link prefixes and default routers NDP finds are
		// routes of their own; link-local through this NIC.
		routes = append(routes, tcpip.Route{Destination: mustSubnet(tcpip.AddrFrom16([16]byte{0: 0xfe, 1: 0x80}), 64), NIC: id})
	}
	s.SetRouteTable(routes)
	return st, nil
}

func mustSubnet(a tcpip.Address, bits int) tcpip.Subnet {
	return tcpip.AddressWithPrefix{Address: a, PrefixLen: bits}.Subnet()
}

// Configure gives every interface its IPv4 address: the first the static
// one of cfg if it has one, the others (and the first without) by DHCP,
// all at once. It returns the errors of those that failed; the others are
// up.
func (st *Stack) Configure(ctx context.Context, cfg Config) error {
	var wg sync.WaitGroup
	errs := make([]error, len(st.Ifaces))
	for i, ifc := range st.Ifaces {
		if i == 0 && cfg.Static.IsValid() {
			errs[i] = st.setAddress(ifc, cfg.Static, cfg.Gateway, cfg.DNS, "static")
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = st.runDHCP(ctx, ifc, cfg.DHCPTimeout)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (st *Stack) runDHCP(ctx context.Context, ifc *Interface, timeout time.Duration) error {
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	replies := make(chan []byte, 16)
	ifc.Endpoint.SetTap(func(f []byte) bool {
		if !dhcp.IsReply(f) {
			return false
		}
		select {
		case replies <- append([]byte(nil), f...):
		default: // the client is behind: it retransmits
		}
		return true
	})
	defer ifc.Endpoint.SetTap(nil)
	var x [4]byte
	rand.Read(x[:])
	send := func(f []byte) error { _, err := ifc.Endpoint.Send([][]byte{f}); return err }
	l, err := dhcp.Acquire(ctx, ifc.NIC.MAC(), binary.BigEndian.Uint32(x[:]), send, replies, time.Second)
	if err != nil {
		return fmt.Errorf("netstack: %s: %w", ifc.NIC.Name(), err)
	}
	ifc.Lease = l
	return st.setAddress(ifc, l.Addr, l.Router, l.DNS, "dhcp")
}

func (st *Stack) setAddress(ifc *Interface, p netip.Prefix, gw netip.Addr, dns []netip.Addr, source string) error {
	if !p.Addr().Is4() {
		return fmt.Errorf("netstack: %s: %v is not an IPv4 address", ifc.NIC.Name(), p)
	}
	pa := tcpip.ProtocolAddress{Protocol: ipv4.ProtocolNumber,
		AddressWithPrefix: tcpip.AddressWithPrefix{Address: tcpip.AddrFrom4(p.Addr().As4()), PrefixLen: p.Bits()}}
	if err := st.S.AddProtocolAddress(ifc.ID, pa, stack.AddressProperties{}); err != nil {
		return fmt.Errorf("netstack: %s: address %v: %s", ifc.NIC.Name(), p, err)
	}
	st.S.AddRoute(tcpip.Route{Destination: pa.AddressWithPrefix.Subnet(), NIC: ifc.ID})
	if gw.IsValid() {
		st.S.AddRoute(tcpip.Route{Destination: header.IPv4EmptySubnet, Gateway: tcpip.AddrFrom4(gw.As4()), NIC: ifc.ID})
	}
	ifc.Addr, ifc.Gateway, ifc.Source = p, gw, source
	st.mu.Lock()
	st.dns = append(st.dns, dns...)
	st.mu.Unlock()
	return nil
}

// DNS returns the DNS servers the configuration gave.
func (st *Stack) DNS() []netip.Addr {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return append([]netip.Addr(nil), st.dns...)
}

// Summary is one line per interface: name, MAC, address, source, gateway.
func (st *Stack) Summary() []string {
	var out []string
	for _, ifc := range st.Ifaces {
		m := ifc.NIC.MAC()
		line := fmt.Sprintf("%s mac=%x ip=%v via=%s", ifc.NIC.Name(), m[:], ifc.Addr, ifc.Source)
		if ifc.Gateway.IsValid() {
			line += fmt.Sprintf(" gw=%v", ifc.Gateway)
		}
		if dns := st.DNS(); len(dns) > 0 {
			var ds []string
			for _, d := range dns {
				ds = append(ds, d.String())
			}
			line += " dns=" + strings.Join(ds, ",")
		}
		out = append(out, line)
	}
	return out
}

// Report is what the shell's net command prints: per interface its
// Summary line, then, indented, its StatsLines line and its IPv6
// addresses (link-local and SLAAC's, which Summary does not show).
func (st *Stack) Report(w io.Writer) {
	sum, stats := st.Summary(), st.StatsLines()
	for i, ifc := range st.Ifaces {
		fmt.Fprintln(w, sum[i])
		fmt.Fprintln(w, "  "+stats[i])
		var v6 []string
		for _, a := range st.S.NICInfo()[ifc.ID].ProtocolAddresses {
			if a.Protocol == ipv6.ProtocolNumber {
				v6 = append(v6, a.AddressWithPrefix.String())
			}
		}
		if len(v6) > 0 {
			fmt.Fprintln(w, "  ipv6 "+strings.Join(v6, " "))
		}
	}
	if len(st.Ifaces) == 0 {
		fmt.Fprintln(w, "no NIC; loopback only")
	}
}

// StatsLines is one line of counters per interface, for a shell's net
// command: the NIC's (core.NICStats) and its link endpoint's.
func (st *Stack) StatsLines() []string {
	var out []string
	for _, ifc := range st.Ifaces {
		s, e := ifc.NIC.Stats(), ifc.Endpoint.Stats()
		line := fmt.Sprintf("%s link=%v tx=%d/%dB txerr=%d txdrop=%d rx=%d/%dB rxdrop=%d rxshort=%d",
			ifc.NIC.Name(), ifc.NIC.LinkUp(), s.TxFrames, s.TxBytes, s.TxErrors, e.TxDropped+e.TxRejected,
			s.RxFrames, s.RxBytes, s.RxDropped, e.RxShort)
		if r, ok := ifc.NIC.(interface{ Rescues() uint64 }); ok {
			line += fmt.Sprintf(" rescues=%d", r.Rescues()) // nicbase: work found without an interrupt
		}
		out = append(out, line)
	}
	return out
}
