package toolchain_test

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	qlinux "github.com/aerokernel/aero/qemu/linuxguest"
	"github.com/aerokernel/aero/qemu/qemutest"
	"github.com/aerokernel/aero/toolchain/linuxguest"
	"github.com/aerokernel/aero/toolchain/smoke/workload"
)

// BenchmarkSmokeVsLinux boots the smoke kernel (microvm) and the Linux
// baseline guest (q35, Debian kernel, the same workload as /init) on the
// same QEMU in one run and reports both figures and their ratio. Speed is
// reported, never asserted: the machines are shared and noisy, and only
// ratios from one run compare.
//
//	go test -run '^$' -bench SmokeVsLinux -benchtime 1x -timeout 30m
func BenchmarkSmokeVsLinux(b *testing.B) {
	requireQEMU(b)
	k := buildKernels(b)
	kernel, err := qlinux.Kernel(true, b.Logf)
	if err != nil {
		b.Fatal(err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		b.Fatal(err)
	}
	initrd, err := linuxguest.BuildInitramfs(goBin, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	for _, cpus := range []int{1, 4} {
		b.Run(fmt.Sprintf("smp%d", cpus), func(b *testing.B) {
			var aero, linux workload.Result
			for range b.N {
				aero = benchAero(b, k.smoke, cpus)
				linux = benchLinux(b, kernel, initrd, cpus)
			}
			ns := func(d time.Duration) float64 { return float64(d.Nanoseconds()) }
			b.ReportMetric(0, "ns/op") // a boot is not the operation measured
			b.ReportMetric(ns(aero.SpawnJoin), "aero-spawn-join-ns")
			b.ReportMetric(ns(linux.SpawnJoin), "linux-spawn-join-ns")
			b.ReportMetric(ns(aero.ChanRTT), "aero-chan-rtt-ns")
			b.ReportMetric(ns(linux.ChanRTT), "linux-chan-rtt-ns")
			b.ReportMetric(ns(aero.SpawnJoin)/ns(linux.SpawnJoin), "spawn-join-aero/linux")
			b.ReportMetric(ns(aero.ChanRTT)/ns(linux.ChanRTT), "chan-rtt-aero/linux")
			b.Logf("-smp %d: aero %s | linux %s", cpus, aero.Line("aero"), linux.Line("linux"))
		})
	}
}

func benchAero(b *testing.B, kernel string, cpus int) workload.Result {
	r := bootSmoke(b, kernel, cpus)
	if r.err != nil {
		b.Fatal(r.err)
	}
	l, ok := r.find(regexp.MustCompile(`^smoke: bench `))
	if !ok {
		b.Fatalf("smoke kernel printed no bench line\n%s", r.tail())
	}
	res, err := workload.ParseLine(l.Text)
	if err != nil {
		b.Fatal(err)
	}
	return res
}

func benchLinux(b *testing.B, kernel, initrd string, cpus int) workload.Result {
	vm := qemutest.Boot(b, linuxguest.Options(kernel, initrd, cpus))
	defer vm.Kill()
	l, _ := vm.Expect(`^linuxguest: bench `, bootTimeout)
	if _, err := vm.Wait(time.Minute); err != nil {
		b.Fatal(err)
	}
	res, err := workload.ParseLine(l.Text)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("linux -smp %d: boot to power-off %v (%s)", cpus, time.Since(vm.Start).Round(time.Millisecond), filepath.Base(kernel))
	return res
}
