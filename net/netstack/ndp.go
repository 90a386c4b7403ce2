package netstack

import (
	"sync/atomic"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// ndpRoutes turns what NDP learns from router advertisements (RFC 4861
// §6.3.4: default routers, on-link prefixes) into routes: gVisor reports
// them to an NDPDispatcher and leaves the route table to its user.
type ndpRoutes struct{ s atomic.Pointer[stack.Stack] }

func (d *ndpRoutes) add(r tcpip.Route) {
	if s := d.s.Load(); s != nil {
		s.AddRoute(r)
	}
}

func (d *ndpRoutes) remove(nic tcpip.NICID, subnet tcpip.Subnet, gw tcpip.Address) {
	if s := d.s.Load(); s != nil {
		s.RemoveRoutes(func(r tcpip.Route) bool { return r.NIC == nic && r.Destination == subnet && r.Gateway == gw })
	}
}

func (d *ndpRoutes) OnOffLinkRouteUpdated(nic tcpip.NICID, subnet tcpip.Subnet, router tcpip.Address, _ header.NDPRoutePreference) {
	d.remove(nic, subnet, router)
	d.add(tcpip.Route{Destination: subnet, Gateway: router, NIC: nic})
}

func (d *ndpRoutes) OnOffLinkRouteInvalidated(nic tcpip.NICID, subnet tcpip.Subnet, router tcpip.Address) {
	d.remove(nic, subnet, router)
}

func (d *ndpRoutes) OnOnLinkPrefixDiscovered(nic tcpip.NICID, subnet tcpip.Subnet) {
	d.remove(nic, subnet, tcpip.Address{})
	d.add(tcpip.Route{Destination: subnet, NIC: nic})
}

func (d *ndpRoutes) OnOnLinkPrefixInvalidated(nic tcpip.NICID, subnet tcpip.Subnet) {
	d.remove(nic, subnet, tcpip.Address{})
}

// The rest is not routing: addresses are SLAAC's (gVisor adds them
// itself), DNS comes from DHCP or the command line.
func (*ndpRoutes) OnDuplicateAddressDetectionResult(tcpip.NICID, tcpip.Address, stack.DADResult) {}
func (*ndpRoutes) OnAutoGenAddress(tcpip.NICID, tcpip.AddressWithPrefix) stack.AddressDispatcher {
	return nil
}
func (*ndpRoutes) OnAutoGenAddressDeprecated(tcpip.NICID, tcpip.AddressWithPrefix)        {}
func (*ndpRoutes) OnAutoGenAddressInvalidated(tcpip.NICID, tcpip.AddressWithPrefix)       {}
func (*ndpRoutes) OnRecursiveDNSServerOption(tcpip.NICID, []tcpip.Address, time.Duration) {}
func (*ndpRoutes) OnDNSSearchListOption(tcpip.NICID, []string, time.Duration)             {}
func (*ndpRoutes) OnDHCPv6Configuration(tcpip.NICID, ipv6.DHCPv6ConfigurationFromNDPRA)   {}

var _ ipv6.NDPDispatcher = (*ndpRoutes)(nil)
