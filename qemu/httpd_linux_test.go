package qemu_test

import (
	"fmt"
	"os"
	"os/exec"
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
// start to each guest's ready line beside them. Reported, not asserted.
//
//	cd qemu && AERO_GO=$(../toolchain/build.sh) go test -run '^$' -bench HTTPDVsLinux -benchtime 1x -timeout 30m .
//
// The load is 2,000 requests at concurrency 8 and 20 MiB each way:
// enough to take seconds under TCG on a loaded 2-core host (Aero serves a
// few hundred to a thousand requests/s there, a few MB/s), small enough
// to stay clear of the stall Aero can hit in longer batches (README,
// Networking). AERO_HTTPD_REQUESTS, AERO_HTTPD_CONCURRENCY, AERO_HTTPD_MB
// and AERO_HTTPD_CPUS change it as for TestHTTPD.
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
	var rows []httpdVs
	for _, nic := range []string{qemu.NetVirtio, qemu.NetE1000} {
		b.Run(qemu.MachineQ35+"/"+nic, func(b *testing.B) {
			for range b.N {
				machine := qemu.Options{Machine: qemu.MachineQ35, CPUs: cpus, Memory: "1G", Net: nic}
				aero := machine
				aero.Kernel = elf
				r := httpdVs{nic: nic,
					aero:  load.measure(b, aero, `^httpd: serving on `, nic),
					linux: load.measure(b, linuxguest.Options(machine, kernel, initrd, "quiet"), linuxHTTPDReady, nic),
				}
				rows = append(rows, r)
				b.ReportMetric(0, "ns/op")
				for _, m := range r.metrics() {
					b.ReportMetric(m.value, m.unit)
				}
			}
		})
	}
	fmt.Printf("examples/httpd under Aero and under Linux: q35, TCG, -smp %d, -m 1G, user networking; host load %s before, %s after\n",
		cpus, loadBefore, loadAverage())
	fmt.Printf("GET / %d times at concurrency %d; %d MiB down, then up again (+64 KiB), SHA-256 checked\n",
		load.requests, load.concurrency, load.mb)
	fmt.Printf("%-7s %-11s %10s %12s %12s %10s\n", "nic", "guest", "req/s", "down MB/s", "up MB/s", "ready s")
	for _, r := range rows {
		for _, g := range []struct {
			name string
			h    httpdFigures
		}{{"aero", r.aero}, {"linux", r.linux}, {"aero/linux", r.aero.over(r.linux)}} {
			fmt.Printf("%-7s %-11s %10.2f %12.2f %12.2f %10.2f\n", r.nic, g.name, g.h.reqPerSec, g.h.downMBps, g.h.upMBps, g.h.readySec)
		}
	}
	for _, r := range rows {
		fmt.Printf("%s /stats after: aero %s | linux %s\n", r.nic, r.aero.stats, r.linux.stats)
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

// httpdVs is one NIC's row pair.
type httpdVs struct {
	nic         string
	aero, linux httpdFigures
}

func (r httpdVs) metrics() []struct {
	value float64
	unit  string
} {
	q := r.aero.over(r.linux)
	return []struct {
		value float64
		unit  string
	}{
		{r.aero.reqPerSec, "aero-req/s"}, {r.linux.reqPerSec, "linux-req/s"}, {q.reqPerSec, "req-aero/linux"},
		{r.aero.downMBps, "aero-down-MB/s"}, {r.linux.downMBps, "linux-down-MB/s"}, {q.downMBps, "down-aero/linux"},
		{r.aero.upMBps, "aero-up-MB/s"}, {r.linux.upMBps, "linux-up-MB/s"}, {q.upMBps, "up-aero/linux"},
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
	c := transferClient(l.mb)
	waitForHTTPD(b, c, base)
	took := requestBatch(b, requestClient(), base, l.requests, l.concurrency)
	if b.Failed() {
		b.Fatalf("%s: the batch failed; /stats now: %s", line.Text, statsNow(base))
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
