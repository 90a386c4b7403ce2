//go:build tamago && amd64

package netstack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"

	"github.com/aerokernel/aero/core"
)

// ErrOff is Start's error when the command line says net=off.
var ErrOff = errors.New("netstack: turned off (net=off)")

func init() { net.SetStack(kernelStack{}) }

var kernel struct {
	once sync.Once
	st   *Stack
	err  error
}

// Start brings the kernel's network stack up once, over every NIC Boot
// found (core.Running().NICs), configured from the command line, and
// prints one "aero: net" line per interface. Later calls return the same
// stack. Package net calls it on its first use.
func Start() (*Stack, error) {
	kernel.once.Do(func() { kernel.st, kernel.err = start() })
	return kernel.st, kernel.err
}

func start() (*Stack, error) {
	k := core.Running()
	if k == nil {
		return nil, errors.New("netstack: the kernel has not booted")
	}
	if k.Cmdline != nil && k.Cmdline.String("net", "") == "off" {
		return nil, ErrOff
	}
	cfg, err := ParseConfig(k.Cmdline)
	if err != nil {
		return nil, err
	}
	st, err := New(k.NICs)
	if err != nil {
		return nil, err
	}
	if len(st.Ifaces) == 0 {
		fmt.Println("aero: net: no NIC; loopback only")
	}
	if k.Scheduler != nil && k.Scheduler.Name() == core.DefaultName {
		fmt.Println("aero: warning:", defaultSchedulerWarning)
	}
	err = st.Configure(context.Background(), cfg)
	for _, l := range st.Summary() {
		fmt.Println("aero: net", l)
	}
	if err != nil {
		fmt.Println("aero: net:", err)
	}
	return st, nil
}

// defaultSchedulerWarning is printed when the stack starts under core's
// default scheduler (one M per CPU, no preemption while every CPU is
// busy): gVisor's TCP processor goroutines spin when an endpoint's lock is
// held by a goroutine that has no CPU (processor.start requeues the
// endpoint after a failed TryLock), so under load they can hold every CPU
// until the lock holder runs, and device interrupts wait with them
// (measured: 10,000 requests at concurrency 32 stalled within 1-4 batches
// on the default scheduler, none in 6 on sched/rr).
const defaultSchedulerWarning = "net: the default scheduler does not preempt a busy CPU; under load gVisor's TCP processors can hold every CPU and stall the stack: link a preemptive scheduler (sched/rr, as configs/defconfig does)"

// kernelStack is package net's Stack: the kernel's, started on first use.
type kernelStack struct{}

func (kernelStack) Dial(ctx context.Context, network string, laddr, raddr net.Addr) (net.Conn, error) {
	st, err := Start()
	if err != nil {
		return nil, err
	}
	return st.Dial(ctx, network, laddr, raddr)
}

func (kernelStack) Listen(ctx context.Context, network string, laddr net.Addr) (net.Listener, error) {
	st, err := Start()
	if err != nil {
		return nil, err
	}
	return st.Listen(ctx, network, laddr)
}

func (kernelStack) ListenPacket(ctx context.Context, network string, laddr net.Addr) (net.PacketConn, error) {
	st, err := Start()
	if err != nil {
		return nil, err
	}
	return st.ListenPacket(ctx, network, laddr)
}

// LookupHost implements net.StackResolver: Go's own DNS client, talking
// to the servers DHCP (or net.dns) gave.
func (kernelStack) LookupHost(ctx context.Context, host string) ([]string, error) {
	st, err := Start()
	if err != nil {
		return nil, err
	}
	return st.LookupHost(ctx, host)
}

// LookupHost resolves host with Go's DNS client over the stack, asking
// the configured DNS servers in turn.
func (st *Stack) LookupHost(ctx context.Context, host string) ([]string, error) {
	servers := st.DNS()
	if len(servers) == 0 {
		return nil, &net.DNSError{Err: "no DNS server configured (DHCP gave none, no net.dns)", Name: host}
	}
	var next atomic.Uint32
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		// The address is the resolver's guess (no /etc/resolv.conf):
		// dial the configured servers instead, one after the other.
		s := servers[int(next.Add(1)-1)%len(servers)]
		return st.Dial(ctx, network, nil, addrFor(network, s))
	}}
	return r.LookupHost(ctx, host)
}

// Interfaces implements net.StackInterfaces: loopback (index 1) and one
// per NIC, by gVisor NIC ID.
func (kernelStack) Interfaces() ([]net.Interface, error) {
	st, err := Start()
	if err != nil {
		return nil, err
	}
	out := []net.Interface{{Index: loopbackID, MTU: 65536, Name: "lo", Flags: net.FlagUp | net.FlagLoopback | net.FlagRunning}}
	for _, ifc := range st.Ifaces {
		m := ifc.NIC.MAC()
		flags := net.FlagUp | net.FlagBroadcast | net.FlagMulticast
		if ifc.NIC.LinkUp() {
			flags |= net.FlagRunning
		}
		out = append(out, net.Interface{Index: int(ifc.ID), MTU: ifc.NIC.Caps().MTU, Name: ifc.NIC.Name(), HardwareAddr: net.HardwareAddr(m[:]), Flags: flags})
	}
	return out, nil
}

// InterfaceAddrs implements net.StackInterfaces: the addresses gVisor has
// on interface index (0: all).
func (kernelStack) InterfaceAddrs(index int) ([]net.Addr, error) {
	st, err := Start()
	if err != nil {
		return nil, err
	}
	var out []net.Addr
	for id, info := range st.S.NICInfo() {
		if index != 0 && int(id) != index {
			continue
		}
		for _, a := range info.ProtocolAddresses {
			ip := net.IP(a.AddressWithPrefix.Address.AsSlice())
			bits := 8 * len(ip)
			out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(a.AddressWithPrefix.PrefixLen, bits)})
		}
	}
	return out, nil
}
