//go:build tamago && amd64

package netstack

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/ktest"
)

// The in-kernel tests of the stack, on QEMU user networking (10.0.2.0/24,
// gateway 10.0.2.2, DNS 10.0.2.3). net/udp and net/tcp talk to echo
// servers the host test runs, reached through the gateway at the ports
// the command line names (nettest.udp=PORT, nettest.tcp=PORT).
func init() {
	ktest.Register("net/dhcp", testDHCP)
	ktest.Register("net/ping", testPing)
	ktest.Register("net/udp", testUDP)
	ktest.Register("net/tcp", testTCP)
	ktest.Register("net/http", testHTTPLoopback)
	ktest.Register("net/ipv6", testIPv6)
	ktest.Register("net/command", testCommand)
}

// testCommand runs the shell's net command (as registered: core's
// command table), pings the gateway and runs it again: each NIC Boot
// found is listed with its MAC and address, and the first one's frame
// and byte counters grew by the echo and its reply at least.
func testCommand(t *ktest.T) {
	st := started(t)
	c, ok := core.LookupCommand("net")
	if !ok {
		t.Fatal("no net command registered")
	}
	run := func() string {
		var b bytes.Buffer
		if err := c.Run(nil, &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	counters := func(out string, name string) (tx, txB, rx, rxB uint64) {
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "  "+name+" link=") {
				var rest string
				if _, err := fmt.Sscanf(strings.TrimPrefix(l, "  "+name+" link="), "%s tx=%d/%dB", &rest, &tx, &txB); err != nil {
					t.Fatalf("%q: %v", l, err)
				}
				i := strings.Index(l, " rx=")
				if i < 0 {
					t.Fatalf("%q: no rx counters", l)
				}
				if _, err := fmt.Sscanf(l[i:], " rx=%d/%dB", &rx, &rxB); err != nil {
					t.Fatalf("%q: %v", l, err)
				}
				return
			}
		}
		t.Fatalf("no counters of %s in:\n%s", name, out)
		return
	}
	before := run()
	for _, n := range core.Running().NICs {
		m := n.MAC()
		if !strings.Contains(before, fmt.Sprintf("%s mac=%x ", n.Name(), m[:])) {
			t.Errorf("net does not list NIC %s (MAC %x):\n%s", n.Name(), m[:], before)
		}
	}
	ifc := st.Ifaces[0]
	if !strings.Contains(before, " ip="+ifc.Addr.String()+" ") {
		t.Errorf("net does not show %s's address %v:\n%s", ifc.NIC.Name(), ifc.Addr, before)
	}
	tx0, txB0, rx0, rxB0 := counters(before, ifc.NIC.Name())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := st.Ping(ctx, gateway, 100); err != nil {
		t.Fatal(err)
	}
	after := run()
	t.Log("net after a ping:\n" + strings.TrimSuffix(after, "\n"))
	tx1, txB1, rx1, rxB1 := counters(after, ifc.NIC.Name())
	// An echo of Ping's 9-byte payload: 14+20+8+9 bytes of frame.
	const frame = 51
	if tx1 < tx0+1 || rx1 < rx0+1 || txB1 < txB0+frame || rxB1 < rxB0+frame {
		t.Errorf("%s after an echo and its reply: tx %d/%dB -> %d/%dB, rx %d/%dB -> %d/%dB", ifc.NIC.Name(), tx0, txB0, tx1, txB1, rx0, rxB0, rx1, rxB1)
	}
}

// testIPv6 waits for the address SLAAC makes from QEMU's router
// advertisement (prefix fec0::/64) and pings the gateway fec0::2 over
// ICMPv6.
func testIPv6(t *ktest.T) {
	st := started(t)
	ifc := st.Ifaces[0]
	deadline := time.Now().Add(15 * time.Second)
	var addr netip.Addr
	for !addr.IsValid() && time.Now().Before(deadline) {
		for _, a := range st.S.NICInfo()[ifc.ID].ProtocolAddresses {
			if ip, ok := netip.AddrFromSlice(a.AddressWithPrefix.Address.AsSlice()); ok && ip.Is6() && !ip.IsLinkLocalUnicast() {
				addr = ip
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !addr.IsValid() {
		t.Fatalf("%s: no SLAAC address in 15s: %v", ifc.NIC.Name(), st.S.NICInfo()[ifc.ID].ProtocolAddresses)
	}
	gw := netip.MustParseAddr("fec0::2")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rtt, err := st.Ping(ctx, gw, 1)
	if err != nil {
		t.Fatalf("from %v: %v", addr, err)
	}
	t.Logf("%s: %v by SLAAC; echo reply from %v in %v", ifc.NIC.Name(), addr, gw, rtt)
	// package net sees the interface and both its addresses.
	nif, err := net.InterfaceByName(ifc.NIC.Name())
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := nif.Addrs()
	if err != nil {
		t.Fatal(err)
	}
	var has4, has6 bool
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			has4 = has4 || n.IP.Equal(net.IPv4(10, 0, 2, 15))
			has6 = has6 || n.IP.Equal(net.IP(addr.AsSlice()))
		}
	}
	if !has4 || !has6 {
		t.Errorf("net.Interfaces: %s has %v, want 10.0.2.15 and %v", nif.Name, addrs, addr)
	}
	t.Logf("net.InterfaceByName(%q): index %d, %v, %v", nif.Name, nif.Index, nif.HardwareAddr, addrs)
}

var gateway = netip.MustParseAddr("10.0.2.2")

func started(t *ktest.T) *Stack {
	t.Helper()
	st, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Ifaces) == 0 {
		t.Skip("no NIC")
	}
	return st
}

func testDHCP(t *ktest.T) {
	st := started(t)
	ifc := st.Ifaces[0]
	t.Logf("%s: %v from %s, gateway %v, DNS %v, lease %v", ifc.NIC.Name(), ifc.Addr, ifc.Source, ifc.Gateway, st.DNS(), ifc.Lease.Duration)
	if ifc.Source != "dhcp" {
		t.Skipf("%s is configured %s", ifc.NIC.Name(), ifc.Source)
	}
	want := netip.MustParsePrefix("10.0.2.15/24")
	if ifc.Addr != want || ifc.Gateway != gateway || ifc.Lease.Server != gateway {
		t.Errorf("lease %+v, want %v via %v", ifc.Lease, want, gateway)
	}
	if dns := st.DNS(); len(dns) == 0 || dns[0] != netip.MustParseAddr("10.0.2.3") {
		t.Errorf("DNS %v, want 10.0.2.3", dns)
	}
}

func testPing(t *ktest.T) {
	st := started(t)
	for seq := uint16(1); seq <= 3; seq++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		rtt, err := st.Ping(ctx, gateway, seq)
		cancel()
		if err != nil {
			t.Fatalf("echo %d: %v", seq, err)
		}
		t.Logf("echo reply from %v: seq %d, %v", gateway, seq, rtt)
	}
	s := st.Ifaces[0].NIC.Stats()
	t.Logf("%s: %+v", st.Ifaces[0].NIC.Name(), s)
}

func port(t *ktest.T, key string) int {
	p, err := core.Running().Cmdline.Int(key, 0)
	if err != nil || p == 0 {
		t.Skipf("no %s=PORT on the command line (%v)", key, err)
	}
	return p
}

// testUDP sends datagrams to the host's UDP echo server with net.Dial
// and checks each comes back.
func testUDP(t *ktest.T) {
	started(t)
	addr := fmt.Sprintf("%v:%d", gateway, port(t, "nettest.udp"))
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 2048)
	for i := 0; i < 5; i++ {
		msg := fmt.Appendf(nil, "aero udp %d", i)
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("datagram %d: %v", i, err)
		}
		if !bytes.Equal(buf[:n], msg) {
			t.Fatalf("datagram %d came back as %q", i, buf[:n])
		}
	}
	t.Logf("5 datagrams echoed by %s (local %v)", addr, c.LocalAddr())
}

// testTCP dials the host's TCP echo server, sends 1 MiB and reads it
// back: the kernel as a TCP client.
func testTCP(t *ktest.T) {
	started(t)
	addr := fmt.Sprintf("%v:%d", gateway, port(t, "nettest.tcp"))
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	data := make([]byte, 1<<20)
	rand.Read(data)
	start := time.Now()
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(data)
		if err == nil {
			err = c.(*net.TCPConn).CloseWrite()
		}
		errc <- err
	}()
	h := sha256.New()
	n, err := io.Copy(h, c)
	if err != nil {
		t.Fatalf("after %d bytes: %v", n, err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if n != int64(len(data)) || !bytes.Equal(h.Sum(nil), sha256Sum(data)) {
		t.Fatalf("%d bytes came back, want %d with the same SHA-256", n, len(data))
	}
	t.Logf("1 MiB echoed by %s in %v (%.2f MB/s each way)", addr, took.Round(time.Millisecond), float64(len(data))/took.Seconds()/1e6)
}

func sha256Sum(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

// testHTTPLoopback serves net/http on 127.0.0.1 and fetches from it with
// net/http's client: package net and net/http over the stack's loopback.
func testHTTPLoopback(t *ktest.T) {
	if _, err := Start(); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", r.URL.Path)
	})}
	go srv.Serve(ln)
	defer srv.Close()
	url := fmt.Sprintf("http://%v/aero", ln.Addr())
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(body) != "hello /aero" {
		t.Fatalf("GET %s: %q, %v", url, body, err)
	}
	t.Logf("GET %s: %s %q", url, resp.Status, body)
}
