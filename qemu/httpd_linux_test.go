package qemu_test

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aerokernel/aero/qemu"
	"github.com/aerokernel/aero/qemu/linuxguest"
	"github.com/aerokernel/aero/qemu/qemutest"
)

// The Linux guest of BenchmarkHTTPDVsLinux: its /init serves
// examples/httpd's Handler, and the NIC drivers it loads (with what they
// depend on) for virtio-net on PCI and the e1000.
const (
	linuxHTTPDInit  = "github.com/aerokernel/aero/examples/httpd/linuxinit"
	linuxHTTPDReady = `^linuxhttpd: serving on ` // linuxinit.ReadyLine
)

var linuxNICModules = []string{"virtio_pci", "virtio_net", "e1000"}

// BenchmarkHTTPDVsLinux measures examples/httpd's net/http server under
// Aero (configs/httpd: skipped without AERO_GO) and the same Handler in a
// Linux guest (Debian's kernel, its virtio_net or e1000 module,
// examples/httpd/linuxinit as /init), for virtio-net and e1000 on q35, in
// one run: each guest on the same QEMU options (q35, TCG, -smp 2, -m 1G,
// the NIC on user networking, a host port forwarded to port 80), booted
// one at a time, with the same host load generator as TestHTTPD: a batch
// of GET / (requests/s), then a download sent back as an upload (MB/s
// each way, SHA-256 checked). It reports each figure and its Aero/Linux
// ratio (b.ReportMetric) and prints a table, with the time from QEMU's
// start to each guest's ready line beside them. AERO_HTTPD_RUNS=N has
// the two guests take turns N times: the table shows every run, the
// metrics are medians. Reported, not asserted.
//
//	cd qemu && AERO_GO=$(../toolchain/build.sh) go test -run '^$' -bench HTTPDVsLinux -benchtime 1x -timeout 30m .
//
// The load is 2,000 requests at concurrency 8 and 20 MiB each way:
// enough to take seconds under TCG on a loaded 2-core host (Aero serves a
// few hundred to a thousand requests/s there, a few MB/s), short enough
// that a run mostly ends before the stall Aero can hit under sustained
// load (README, Networking); a run that stalls fails the benchmark, and
// the table marks it. AERO_HTTPD_REQUESTS, AERO_HTTPD_CONCURRENCY,
// AERO_HTTPD_MB and AERO_HTTPD_CPUS change the load as for TestHTTPD.
func BenchmarkHTTPDVsLinux(b *testing.B) {
	elf := qemutest.BuildConfig(b, "configs/httpd")
	qemutest.NeedQEMU(b)
	kernel, mods, err := linuxguest.KernelWithModules(true, linuxNICModules, b.Logf)
	if err != nil {
		b.Fatal(err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		b.Fatal(err)
	}
	initrd, err := linuxguest.BuildInitramfs(goBin, linuxHTTPDInit, b.TempDir(), linuxguest.ModuleFiles(mods)...)
	if err != nil {
		b.Fatal(err)
	}
	load := httpdLoad{
		requests:    envInt(b, "AERO_HTTPD_REQUESTS", 2000),
		concurrency: envInt(b, "AERO_HTTPD_CONCURRENCY", 8),
		mb:          envInt(b, "AERO_HTTPD_MB", 20),
	}
	cpus := envInt(b, "AERO_HTTPD_CPUS", 2)
	loadBefore := loadAverage()
	// The runs are AERO_HTTPD_RUNS, not b.N: with -benchtime Nx the
	// testing package makes a first call with N=1 before the one with N.
	runs := envInt(b, "AERO_HTTPD_RUNS", 1)
	nics := []httpdNIC{{nic: qemu.NetVirtio}, {nic: qemu.NetE1000}}
	for i := range nics {
		nic := nics[i].nic
		b.Run(qemu.MachineQ35+"/"+nic, func(b *testing.B) {
			// Kept run by run, so that the table shows the runs before
			// one that failed; a later call starts afresh.
			n := &nics[i]
			*n = httpdNIC{nic: nic}
			defer func() { n.failed = b.Failed() }()
			for range b.N * runs {
				machine := qemu.Options{Machine: qemu.MachineQ35, CPUs: cpus, Memory: "1G", Net: nic}
				aero := machine
				aero.Kernel = elf
				a := load.measure(b, aero, `^httpd: serving on `, nic)
				l := load.measure(b, linuxguest.Options(machine, kernel, initrd, "quiet"), linuxHTTPDReady, nic)
				n.aero, n.linux = append(n.aero, a), append(n.linux, l)
			}
			b.ReportMetric(0, "ns/op")
			for _, m := range n.metrics() {
				b.ReportMetric(m.value, m.unit)
			}
		})
	}
	fmt.Printf("examples/httpd under Aero and under Linux: q35, TCG, -smp %d, -m 1G, user networking; host load %s before, %s after\n",
		cpus, loadBefore, loadAverage())
	fmt.Printf("GET / %d times at concurrency %d; %d MiB down, then up again (+64 KiB), SHA-256 checked\n",
		load.requests, load.concurrency, load.mb)
	fmt.Printf("%-7s %-6s %-11s %10s %12s %12s %10s\n", "nic", "run", "guest", "req/s", "down MB/s", "up MB/s", "ready s")
	row := func(nic, run, guest string, h httpdFigures) {
		fmt.Printf("%-7s %-6s %-11s %10.2f %12.2f %12.2f %10.2f\n", nic, run, guest, h.reqPerSec, h.downMBps, h.upMBps, h.readySec)
	}
	for _, n := range nics {
		for i := range n.aero {
			row(n.nic, fmt.Sprint(i+1), "aero", n.aero[i])
			row(n.nic, fmt.Sprint(i+1), "linux", n.linux[i])
		}
		if n.failed {
			fmt.Printf("%-7s %-6d FAILED: see the log above\n", n.nic, len(n.aero)+1)
		}
		if len(n.aero) == 0 {
			continue // not run (a -bench filter), or its first run failed
		}
		run := "1"
		if len(n.aero) > 1 {
			run = "median"
			row(n.nic, run, "aero", median(n.aero))
			row(n.nic, run, "linux", median(n.linux))
		}
		row(n.nic, run, "aero/linux", median(n.aero).over(median(n.linux)))
	}
	for _, n := range nics {
		for i := range n.aero {
			fmt.Printf("%s run %d /stats after: aero %s | linux %s\n", n.nic, i+1, n.aero[i].stats, n.linux[i].stats)
		}
	}
}

// httpdLoad is the load BenchmarkHTTPDVsLinux puts on each guest.
type httpdLoad struct{ requests, concurrency, mb int }

// httpdFigures is what one guest did under the load (or, from over, the
// ratios of two guests').
type httpdFigures struct {
	reqPerSec, downMBps, upMBps float64
	readySec                    float64 // QEMU start to the ready line
	stats                       string  // /stats afterwards, on one line
}

func (a httpdFigures) over(b httpdFigures) httpdFigures {
	return httpdFigures{reqPerSec: a.reqPerSec / b.reqPerSec, downMBps: a.downMBps / b.downMBps, upMBps: a.upMBps / b.upMBps,
		readySec: a.readySec / b.readySec}
}

// httpdNIC is one NIC's runs, a measure of each guest per run.
type httpdNIC struct {
	nic         string
	aero, linux []httpdFigures
	failed      bool // the run after the last in aero failed
}

// median is each figure's median over runs (the upper one of an even
// count).
func median(runs []httpdFigures) httpdFigures {
	m := func(f func(httpdFigures) float64) float64 {
		var v []float64
		for _, r := range runs {
			v = append(v, f(r))
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	return httpdFigures{
		reqPerSec: m(func(h httpdFigures) float64 { return h.reqPerSec }),
		downMBps:  m(func(h httpdFigures) float64 { return h.downMBps }),
		upMBps:    m(func(h httpdFigures) float64 { return h.upMBps }),
		readySec:  m(func(h httpdFigures) float64 { return h.readySec }),
	}
}

// metrics are the NIC's figures for b.ReportMetric: each guest's median
// and their ratio.
func (n httpdNIC) metrics() []struct {
	value float64
	unit  string
} {
	a, l := median(n.aero), median(n.linux)
	q := a.over(l)
	return []struct {
		value float64
		unit  string
	}{
		{a.reqPerSec, "aero-req/s"}, {l.reqPerSec, "linux-req/s"}, {q.reqPerSec, "req-aero/linux"},
		{a.downMBps, "aero-down-MB/s"}, {l.downMBps, "linux-down-MB/s"}, {q.downMBps, "down-aero/linux"},
		{a.upMBps, "aero-up-MB/s"}, {l.upMBps, "linux-up-MB/s"}, {q.upMBps, "up-aero/linux"},
	}
}

// measure boots opts with a host port forwarded to the guest's port 80,
// waits for the ready line, puts the load on the server with TestHTTPD's
// generator, and checks that /stats names the NIC (Aero's lines start
// with the driver's NIC name, virtio0 or e1000_0; Linux's say
// driver=virtio_net or driver=e1000). The guest is stopped before it
// returns: the guests take turns.
func (l httpdLoad) measure(b *testing.B, opts qemu.Options, ready, nic string) httpdFigures {
	b.Helper()
	port := freePort(b)
	opts.HostForward = []string{fmt.Sprintf("tcp:127.0.0.1:%d-:80", port)}
	vm := qemutest.Boot(b, opts).FailOnPanic()
	defer vm.Kill()
	line, _ := vm.Expect(ready, bootTimeout)
	booted := time.Since(vm.Start)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	defer func() {
		if b.Failed() { // before vm.Kill: deferred calls run last first
			b.Logf("%s: failed; /stats now: %s", line.Text, statsNow(base))
		}
	}()
	c := transferClient(l.mb)
	waitForHTTPD(b, c, base)
	took := requestBatch(b, requestClient(), base, l.requests, l.concurrency)
	if b.Failed() {
		b.FailNow()
	}
	tr := roundTrip(b, c, base, l.mb<<20)
	stats := oneLine(httpGet(b, c, base+"/stats"))
	if !strings.Contains(stats, nic) {
		b.Fatalf("%s: /stats names no %s NIC: %s", line.Text, nic, stats)
	}
	f := httpdFigures{reqPerSec: float64(l.requests) / took.Seconds(), downMBps: tr.downMBps(), upMBps: tr.upMBps(),
		readySec: booted.Seconds(), stats: stats}
	b.Logf("%s (ready %v after QEMU started): %.0f requests/s, down %.2f MB/s, up %.2f MB/s",
		line.Text, booted.Round(time.Millisecond), f.reqPerSec, f.downMBps, f.upMBps)
	return f
}

// loadAverage is the host's 1-, 5- and 15-minute load (/proc/loadavg),
// for the printed table: the figures mean little without it.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
