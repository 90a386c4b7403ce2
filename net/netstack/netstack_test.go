package netstack

import (
	"context"
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/cmdline"
	"github.com/aerokernel/aero/core/devtest"
	"golang.org/x/time/rate"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

var (
	ourMAC  = [6]byte{0x52, 0x54, 0, 0x12, 0x34, 0x56}
	peerMAC = [6]byte{0x52, 0x55, 10, 0, 2, 2}
	ourIP   = [4]byte{10, 0, 2, 15}
	peerIP  = [4]byte{10, 0, 2, 2}
)

// wired returns a stack over one fake NIC, statically 10.0.2.15/24; the
// test is the wire.
func wired(t testing.TB) (*Stack, *devtest.NIC) {
	nic := devtest.NewNIC(devtest.NICConfig{Name: "n0", MAC: ourMAC, RxQueue: 64, TxQueue: 64})
	st, err := New([]core.NIC{nic})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Static: netip.MustParsePrefix("10.0.2.15/24"), Gateway: netip.MustParseAddr("10.0.2.2")}
	if err := st.Configure(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.S.Close() })
	return st, nic
}

func ethFrame(dst, src [6]byte, typ uint16, payload []byte) []byte {
	f := make([]byte, 14+len(payload))
	copy(f, dst[:])
	copy(f[6:], src[:])
	binary.BigEndian.PutUint16(f[12:], typ)
	copy(f[14:], payload)
	return f
}

func arpRequest() []byte {
	a := header.ARP(make([]byte, header.ARPSize))
	a.SetIPv4OverEthernet()
	a.SetOp(header.ARPRequest)
	copy(a.HardwareAddressSender(), peerMAC[:])
	copy(a.ProtocolAddressSender(), peerIP[:])
	copy(a.ProtocolAddressTarget(), ourIP[:])
	return ethFrame([6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, peerMAC, 0x0806, a)
}

func echoRequest(seq uint16) []byte {
	icmp := header.ICMPv4(make([]byte, header.ICMPv4MinimumSize+4))
	icmp.SetType(header.ICMPv4Echo)
	icmp.SetIdent(7)
	icmp.SetSequence(seq)
	copy(icmp.Payload(), "aero")
	icmp.SetChecksum(^checksum.Checksum(icmp, 0))
	ip := header.IPv4(make([]byte, header.IPv4MinimumSize+len(icmp)))
	ip.Encode(&header.IPv4Fields{TotalLength: uint16(len(ip)), TTL: 64, Protocol: uint8(header.ICMPv4ProtocolNumber),
		SrcAddr: tcpip.AddrFrom4(peerIP), DstAddr: tcpip.AddrFrom4(ourIP)})
	ip.SetChecksum(^ip.CalculateChecksum())
	copy(ip[header.IPv4MinimumSize:], icmp)
	return ethFrame(ourMAC, peerMAC, 0x0800, ip)
}

// await returns the first frame on the wire that match accepts.
func await(t testing.TB, nic *devtest.NIC, what string, match func([]byte) bool) []byte {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, f := range nic.Wire(-1) {
			if match(f) {
				return f
			}
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("no %s on the wire", what)
	return nil
}

func isARPReply(f []byte) bool {
	if len(f) < 14+header.ARPSize || binary.BigEndian.Uint16(f[12:]) != 0x0806 {
		return false
	}
	a := header.ARP(f[14:])
	return a.Op() == header.ARPReply && string(a.ProtocolAddressSender()) == string(ourIP[:]) && string(a.HardwareAddressSender()) == string(ourMAC[:])
}

func isEchoReply(seq uint16) func([]byte) bool {
	return func(f []byte) bool {
		if len(f) < 14+28 || binary.BigEndian.Uint16(f[12:]) != 0x0800 {
			return false
		}
		ip := header.IPv4(f[14:])
		if ip.Protocol() != uint8(header.ICMPv4ProtocolNumber) || !ip.IsValid(len(f)-14) {
			return false
		}
		icmp := header.ICMPv4(ip.Payload())
		return icmp.Type() == header.ICMPv4EchoReply && icmp.Sequence() == seq && checksum.Checksum(icmp, 0) == 0xffff
	}
}

func TestARPAndEcho(t *testing.T) {
	st, nic := wired(t)
	nic.Inject(arpRequest(), false)
	await(t, nic, "ARP reply", isARPReply)
	nic.Inject(echoRequest(1), false)
	await(t, nic, "echo reply", isEchoReply(1))
	if s := st.Summary(); len(s) != 1 || s[0] != "n0 mac=525400123456 ip=10.0.2.15/24 via=static gw=10.0.2.2" {
		t.Errorf("summary %q", s)
	}
	// What was received is exact; the stack may also have sent IPv6
	// neighbour discovery of its own.
	if s := st.StatsLines(); len(s) != 1 || !strings.HasPrefix(s[0], "n0 link=true tx=") || !strings.HasSuffix(s[0], " rx=2/88B rxdrop=0 rxshort=0") {
		t.Errorf("stats %q", s)
	}
	// The net command's text: the summary, the counters (what was sent
	// may still grow: NDP), the IPv6
	// link-local address (from the MAC: fe80::5054:ff:fe12:3456).
	var b strings.Builder
	st.Report(&b)
	r := strings.Split(b.String(), "\n")
	if len(r) != 4 || r[0] != st.Summary()[0] || !strings.HasPrefix(r[1], "  n0 link=true tx=") || !strings.HasSuffix(r[1], " rx=2/88B rxdrop=0 rxshort=0") || !strings.HasPrefix(r[2], "  ipv6 ") || !strings.Contains(r[2], "fe80::5054:ff:fe12:3456/64") || r[3] != "" {
		t.Errorf("report %q", r)
	}
}

func TestParseConfig(t *testing.T) {
	for _, c := range []struct {
		line string
		ok   bool
		want string
	}{
		{"", true, "invalid Prefix"},
		{"net.ip=dhcp", true, "invalid Prefix"},
		{"net.ip=10.0.2.15/24 net.gw=10.0.2.2 net.dns=10.0.2.3,1.1.1.1", true, "10.0.2.15/24"},
		{"net.ip=10.0.2.15", false, ""},
		{"net.gw=10.0.2.2", false, ""},
		{"net.ip=10.0.2.15/24 net.dns=x", false, ""},
	} {
		cl, err := cmdline.ParseString(c.line)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := ParseConfig(cl)
		if (err == nil) != c.ok {
			t.Errorf("%q: %v", c.line, err)
			continue
		}
		if c.ok && cfg.Static.String() != c.want {
			t.Errorf("%q: static %v", c.line, cfg.Static)
		}
		if c.ok && c.want == "10.0.2.15/24" && (len(cfg.DNS) != 2 || cfg.Gateway != netip.MustParseAddr("10.0.2.2")) {
			t.Errorf("%q: %+v", c.line, cfg)
		}
	}
}

// FuzzReceive feeds arbitrary frames addressed to the NIC through the link
// endpoint into gVisor: nothing may crash, and the stack still answers
// ARP and ping afterwards.
func FuzzReceive(f *testing.F) {
	f.Add(echoRequest(3)[14:], uint16(0x0800))
	f.Add(arpRequest()[14:], uint16(0x0806))
	f.Add([]byte{0x60, 0, 0, 0, 0, 8, 58, 255}, uint16(0x86dd))
	st, nic := wired(f)
	// Each iteration pings: lift the stack's ICMP rate limit (1000/s,
	// which the fuzzer's pace would reach).
	st.S.SetICMPLimit(rate.Inf)
	// The stack learns the peer's MAC from its ARP request, so replies
	// need no resolution of their own.
	nic.Inject(arpRequest(), false)
	await(f, nic, "ARP reply", isARPReply)
	seq := uint16(100)
	f.Fuzz(func(t *testing.T, payload []byte, typ uint16) {
		if len(payload) > 1500 {
			payload = payload[:1500]
		}
		nic.Inject(ethFrame(ourMAC, peerMAC, typ, payload), false)
		nic.Sync()
		nic.Wire(-1)
		seq++
		nic.Inject(echoRequest(seq), false)
		await(t, nic, "echo reply after a fuzzed frame", isEchoReply(seq))
	})
}
