package qemu_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aerokernel/aero/qemu"
	"github.com/aerokernel/aero/qemu/qemutest"
)

// The machines and NICs the network boot tests run on: the (the
// server answers for virtio-net on q35 and microvm, e1000 on q35 and pc),
// the in-kernel tests on one of each kind of machine and transport.
var (
	httpdCases = []netCase{{qemu.MachineQ35, qemu.NetVirtio}, {qemu.MachineMicrovm, qemu.NetVirtio},
		{qemu.MachineQ35, qemu.NetE1000}, {qemu.MachinePC, qemu.NetE1000}}
	netCases = []netCase{{qemu.MachineQ35, qemu.NetVirtio}, {qemu.MachineMicrovm, qemu.NetVirtio}, {qemu.MachinePC, qemu.NetE1000}}
)

type netCase struct{ machine, nic string }

// TestNet boots configs/nettest with each NIC of netCases on QEMU user
// networking and runs its in-kernel tests: PCI enumeration, DHCP, ping to
// the gateway, UDP echo and a TCP client (the kernel dials echo servers
// this test runs on the host, reached through the gateway 10.0.2.2),
// net/http over loopback, IPv6 (SLAAC, ping6, net.Interfaces), and the
// shell's net command (its counters grow by a ping; it shows the NIC
// QEMU was given).
func TestNet(t *testing.T) {
	elf := qemutest.BuildConfig(t, "configs/nettest")
	for _, c := range netCases {
		t.Run(c.machine+"/"+c.nic, func(t *testing.T) {
			qemutest.NeedQEMU(t)
			udp, tcp := echoServers(t)
			vm := qemutest.Boot(t, qemu.Options{Machine: c.machine, CPUs: 2, Memory: "1G", Kernel: elf, Net: c.nic, DebugExit: true,
				Append: fmt.Sprintf("test=all nettest.udp=%d nettest.tcp=%d", udp, tcp)}).FailOnPanic()
			run := qemutest.RunKTests(t, vm, bootTimeout)
			ran := false
			for _, k := range run.Tests {
				// Each network test must have run, not skipped.
				if strings.HasPrefix(k.Name, "net/") && k.Verdict != "PASS" {
					t.Errorf("%s: %s, want PASS", k.Name, k.Verdict)
				}
				// The shell's net command (net/command logs its
				// output) shows the one NIC QEMU was given, with
				// QEMU's default MAC and user networking's lease.
				if k.Name == "net/command" {
					ran = true
					if !slices.ContainsFunc(k.Log, regexp.MustCompile(`^\s*`+c.nic+`_?0 mac=525400123456 ip=10\.0\.2\.15/24 via=dhcp gw=10\.0\.2\.2 `).MatchString) {
						t.Errorf("net/command's output shows no %s NIC with 10.0.2.15 by DHCP:\n%s", c.nic, strings.Join(k.Log, "\n"))
					}
				}
			}
			if !ran {
				t.Error("net/command did not run")
			}
		})
	}
}

// echoServers runs a UDP and a TCP echo server on the host's loopback for
// the test's life and returns their ports.
func echoServers(t *testing.T) (udpPort, tcpPort int) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close(); ln.Close() })
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(buf[:n], from)
		}
	}()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	return pc.LocalAddr().(*net.UDPAddr).Port, ln.Addr().(*net.TCPAddr).Port
}

// TestHTTPD boots configs/httpd (examples/httpd, a net/http server on
// port 80) with a host port forwarded to it and talks to it from the
// host: GET /, concurrent requests, and a download whose bytes go back up
// (the server's SHA-256 of the upload must be the host's of the download).
// The load is small by default; AERO_HTTPD_REQUESTS and
// AERO_HTTPD_CONCURRENCY (200 and 8) and AERO_HTTPD_MB (the transfer size
// in MiB, 4) make it the (10000, 32 and 100), AERO_HTTPD_ROUNDS
// (1) repeats the request batch, AERO_HTTPD_CPUS (2) sets -smp, and
// AERO_HTTPD_GDB=port opens QEMU's gdbstub on 127.0.0.1:port without
// stopping the guest and, when a batch fails, keeps the VM up 5 minutes
// for a debugger. The figures are logged (-v): requests/s per batch with the
// drivers' counters from /stats after it, MB/s each way.
func TestHTTPD(t *testing.T) {
	elf := qemutest.BuildConfig(t, "configs/httpd")
	for _, c := range httpdCases {
		t.Run(c.machine+"/"+c.nic, func(t *testing.T) {
			qemutest.NeedQEMU(t)
			port := freePort(t)
			o := qemu.Options{Machine: c.machine, CPUs: envInt(t, "AERO_HTTPD_CPUS", 2), Memory: "1G", Kernel: elf, Net: c.nic,
				HostForward: []string{fmt.Sprintf("tcp:127.0.0.1:%d-:80", port)}}
			if os.Getenv("AERO_HTTPD_GDB") != "" {
				o.Extra = []string{"-gdb", fmt.Sprintf("tcp:127.0.0.1:%d", envInt(t, "AERO_HTTPD_GDB", 0))}
			}
			vm := qemutest.Boot(t, o).FailOnPanic()
			vm.Expect(`^httpd: serving on `, bootTimeout)
			testHTTPD(t, fmt.Sprintf("http://127.0.0.1:%d", port))
		})
	}
}

// envInt reads a positive integer from the environment, def when unset.
func envInt(t testing.TB, key string, def int) int {
	s := os.Getenv(key)
	if s == "" {
		return def
	}
	v, err := strconv.Atoi(s)
	if err != nil || v <= 0 {
		t.Fatalf("%s=%q: want a positive integer", key, s)
	}
	return v
}

func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func testHTTPD(t *testing.T, base string) {
	mb := envInt(t, "AERO_HTTPD_MB", 4)
	c := transferClient(mb)
	waitForHTTPD(t, c, base)
	requests, concurrency := envInt(t, "AERO_HTTPD_REQUESTS", 200), envInt(t, "AERO_HTTPD_CONCURRENCY", 8)
	for r := range envInt(t, "AERO_HTTPD_ROUNDS", 1) {
		took := requestBatch(t, requestClient(), base, requests, concurrency)
		if t.Failed() {
			t.Logf("batch %d failed; /stats now: %s", r+1, statsNow(base))
			if gdb := os.Getenv("AERO_HTTPD_GDB"); gdb != "" {
				t.Logf("batch %d failed: the VM stays up 5 minutes for gdb on 127.0.0.1:%s", r+1, gdb)
				time.Sleep(5 * time.Minute)
			}
			t.FailNow()
		}
		t.Logf("batch %d: %d requests at concurrency %d in %v: %.0f requests/s; /stats: %s", r+1, requests, concurrency,
			took.Round(time.Millisecond), float64(requests)/took.Seconds(), oneLine(httpGet(t, c, base+"/stats")))
	}
	tr := roundTrip(t, c, base, mb<<20)
	t.Logf("%d MiB down in %v (%.2f MB/s), %d MiB up in %v (%.2f MB/s), SHA-256 equal", mb, tr.down.Round(time.Millisecond),
		tr.downMBps(), mb, tr.up.Round(time.Millisecond), tr.upMBps())
}

// The host's load generator for examples/httpd (TestHTTPD, and
// BenchmarkHTTPDVsLinux against Aero's and a Linux guest's server alike):
// waitForHTTPD, requestBatch and roundTrip.

// transferClient is the client for transfers of mb MiB. A transfer under
// TCG on a loaded host runs at 1-2 MB/s: 5 s per MiB of room, a minute
// at least.
func transferClient(mb int) *http.Client {
	return &http.Client{Timeout: time.Minute + time.Duration(mb)*5*time.Second}
}

// requestClient is requestBatch's client: a request taking 30 s means
// the server stopped answering.
func requestClient() *http.Client { return &http.Client{Timeout: 30 * time.Second} }

// httpGet returns the body of a GET of url, failing the test on an error
// or a status other than 200.
func httpGet(t testing.TB, c *http.Client, url string) []byte {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s, %v", url, resp.Status, err)
	}
	return b
}

// waitForHTTPD waits for the server at base to answer GET / with the
// greeting of examples/httpd's Handler, and returns it. The server is up
// once it says it is serving; the host forward may take a moment longer.
func waitForHTTPD(t testing.TB, c *http.Client, base string) string {
	t.Helper()
	for i := 0; ; i++ {
		resp, err := c.Get(base + "/")
		if err == nil {
			first, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !bytes.HasPrefix(first, []byte("Aero httpd: up ")) {
				t.Fatalf("GET /: %q, want examples/httpd's greeting", first)
			}
			return string(first)
		}
		if i == 20 {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// transfer is what roundTrip measured.
type transfer struct {
	down, up           time.Duration
	downBytes, upBytes int
}

func (tr transfer) downMBps() float64 { return float64(tr.downBytes) / tr.down.Seconds() / 1e6 }
func (tr transfer) upMBps() float64   { return float64(tr.upBytes) / tr.up.Seconds() / 1e6 }

// roundTrip downloads n bytes from base and uploads them back with 64 KiB
// of random bytes after them (so the upload is not only the server's
// pattern), failing the test unless the download has n bytes and the
// server's SHA-256 of the upload is the host's.
func roundTrip(t testing.TB, c *http.Client, base string, n int) transfer {
	t.Helper()
	start := time.Now()
	data := httpGet(t, c, fmt.Sprintf("%s/download?n=%d", base, n))
	tr := transfer{down: time.Since(start), downBytes: len(data)}
	if len(data) != n {
		t.Fatalf("download: %d bytes, want %d", len(data), n)
	}
	extra := make([]byte, 1<<16)
	rand.Read(extra)
	data = append(data, extra...)
	start = time.Now()
	resp, err := c.Post(base+"/upload", "application/octet-stream", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	reply, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	tr.up, tr.upBytes = time.Since(start), len(data)
	sum := sha256.Sum256(data)
	if want := fmt.Sprintf("%s %d\n", hex.EncodeToString(sum[:]), len(data)); err != nil || string(reply) != want {
		t.Fatalf("upload: %q, %v; want %q", reply, err, want)
	}
	return tr
}

// requestBatch sends requests GETs of / from concurrency clients at once,
// reports each client's first failure and returns how long they took.
func requestBatch(t testing.TB, c *http.Client, base string, requests, concurrency int) time.Duration {
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, requests)
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < requests; i += concurrency {
				resp, err := c.Get(base + "/")
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				if err != nil {
					// A client stops at its first failure, so a kernel that
					// stops answering ends the batch in one timeout.
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	return time.Since(start)
}

// statsNow is /stats on one line, or why it could not be had, for the
// log of a failed batch (a stalled kernel may not answer).
func statsNow(base string) string {
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(base + "/stats")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err.Error()
	}
	return oneLine(b)
}

// oneLine joins /stats's lines with "; ".
func oneLine(b []byte) string { return strings.ReplaceAll(strings.TrimSpace(string(b)), "\n", "; ") }
