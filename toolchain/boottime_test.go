package toolchain_test

import (
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aerokernel/aero/qemu"
	qlinux "github.com/aerokernel/aero/qemu/linuxguest"
	"github.com/aerokernel/aero/qemu/qemutest"
	"github.com/aerokernel/aero/toolchain/linuxguest"
)

// BenchmarkBootTime boots Aero's default kernel (configs/defconfig, built
// by qemutest.BuildConfig: skipped without AERO_GO) and the Linux baseline
// guest five times each on q35, -smp 4, 2 GiB, TCG, alternating, and
// reports the medians: QEMU start to
// Aero's boot summary line and to its HRT entry, QEMU start to the Linux
// guest's /init printing its first line. Reported, not asserted.
//
//	go test -run '^$' -bench BootTime -benchtime 1x -timeout 30m
func BenchmarkBootTime(b *testing.B) {
	requireQEMU(b)
	aeroELF, kernel, initrd := defconfigAndLinux(b)

	const runs = 5
	var toSummary, toEntry, toInit []time.Duration
	for range b.N {
		for range runs {
			s, e := bootAeroTimes(b, aeroELF)
			toSummary, toEntry = append(toSummary, s), append(toEntry, e)
			toInit = append(toInit, bootLinuxTime(b, kernel, initrd))
		}
	}
	med := func(ds []time.Duration) time.Duration {
		ds = slices.Clone(ds)
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(ms(med(toSummary)), "aero-summary-ms")
	b.ReportMetric(ms(med(toEntry)), "aero-entry-ms")
	b.ReportMetric(ms(med(toInit)), "linux-init-ms")
	b.ReportMetric(ms(med(toEntry))/ms(med(toInit)), "entry/init")
	b.Logf("QEMU start to: aero summary %v, aero HRT entry %v, linux /init %v (medians of %d; all %v | %v | %v)",
		med(toSummary), med(toEntry), med(toInit), len(toInit), toSummary, toEntry, toInit)
}

var (
	aeroSummary = regexp.MustCompile(`^aero: boot cpus=4 `)
	aeroEntry   = regexp.MustCompile(`^aero: hrt entry`)
)

func bootAeroTimes(b *testing.B, elf string) (summary, entry time.Duration) {
	vm := qemutest.Boot(b, qemu.Options{Machine: qemu.MachineQ35, CPUs: 4, Memory: "2G", Kernel: elf})
	defer vm.Kill() // now, not when the benchmark ends: the boots take turns
	s, _ := vm.Expect(aeroSummary, bootTimeout)
	e, _ := vm.Expect(aeroEntry, bootTimeout)
	return s.Time.Sub(vm.Start), e.Time.Sub(vm.Start)
}

func bootLinuxTime(b *testing.B, kernel, initrd string) time.Duration {
	vm := qemutest.Boot(b, linuxguest.Options(kernel, initrd, 4))
	defer vm.Kill()
	l, _ := vm.Expect(`^linuxguest: up `, bootTimeout)
	if !strings.HasPrefix(l.Text, "linuxguest: up numcpu=4") {
		b.Fatalf("linux guest has the wrong CPU count: %s", l.Text)
	}
	return l.Time.Sub(vm.Start)
}

// defconfigAndLinux builds what the Aero-beside-Linux benchmarks boot:
// Aero's default kernel (configs/defconfig, by qemutest.BuildConfig:
// skipped without AERO_GO), and the Linux baseline's kernel (fetched if
// need be) and initramfs.
func defconfigAndLinux(b *testing.B) (aeroELF, kernel, initrd string) {
	b.Helper()
	aeroELF = qemutest.BuildConfig(b, "configs/defconfig")
	kernel, err := qlinux.Kernel(true, b.Logf)
	if err != nil {
		b.Fatal(err)
	}
	hostGo, err := exec.LookPath("go")
	if err != nil {
		b.Fatal(err)
	}
	initrd, err = linuxguest.BuildInitramfs(hostGo, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	return aeroELF, kernel, initrd
}
