package qemu_test

import (
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aerokernel/aero/core/selftest"
	"github.com/aerokernel/aero/qemu"
	"github.com/aerokernel/aero/qemu/qemutest"
)

// Boot tests: the kernel of configs/ktest (core's defaults, the numa
// topology, and the in-kernel tests of both), built by qemutest.BuildConfig with the image tool and
// the GOOS=tamago go in AERO_GO (make test sets it), or the ELF in
// AERO_KTEST_ELF, booted under TCG on each machine shape the core issue
// names. Each checks the boot summary against what QEMU was given and turns
// every in-kernel test into a subtest, through the harness in qemutest.

// bootTimeout bounds one boot from QEMU start to its exit; generous because
// TCG on a loaded 2-core host is slow (a boot takes 1-5 s when idle).
const bootTimeout = 3 * time.Minute

// ktestKernel returns the configs/ktest kernel, ELF or ISO, built once per
// test binary by qemutest (with AERO_KTEST_ELF set, that ELF and no ISO).
func ktestKernel(t *testing.T, iso bool) string {
	t.Helper()
	qemutest.NeedQEMU(t)
	if elf := os.Getenv("AERO_KTEST_ELF"); elf != "" {
		if iso {
			t.Skip("AERO_KTEST_ELF is set: no ISO")
		}
		if _, err := os.Stat(elf); err != nil {
			t.Fatalf("AERO_KTEST_ELF: %v", err)
		}
		return elf
	}
	// One build serves both: with GRUB at hand the ISO build (whose ELF the
	// ELF tests boot), else the ELF alone.
	if _, err := exec.LookPath("grub-mkrescue"); err == nil {
		elf, img := qemutest.BuildConfigISO(t, "configs/ktest")
		if iso {
			return img
		}
		return elf
	}
	if iso {
		t.Skip("no grub-mkrescue")
	}
	return qemutest.BuildConfig(t, "configs/ktest")
}

// The machine shapes: the boot summary must match each exactly (memory
// within 1%), as qemu.CheckSummary derives it from the options.
var bootCases = []struct {
	name string
	opts qemu.Options
}{
	{"q35-smp1", qemu.Options{CPUs: 1, Memory: "1G"}},
	{"q35-smp2", qemu.Options{CPUs: 2, Memory: "1G"}},
	{"q35-smp4", qemu.Options{CPUs: 4, Memory: "1G"}},
	{"q35-smp8", qemu.Options{CPUs: 8, Memory: "1G"}},
	// Two sockets of 3 cores: APIC IDs 0-2 and 4-6, not contiguous; the
	// kernel's CPUs are 0-5 all the same.
	{"q35-smp6-2sockets", qemu.Options{CPUs: 6, Sockets: 2, Memory: "1G"}},
	{"pc-smp2", qemu.Options{Machine: qemu.MachinePC, CPUs: 2, Memory: "1G"}},
	{"microvm-smp2", qemu.Options{Machine: qemu.MachineMicrovm, CPUs: 2, Memory: "1G"}},
	// Small memory (see early_test.go): QEMU's defaults (pc, qemu64,
	// 128 MiB), and 256 MiB on q35, where the Go heap once began.
	{"pc-qemu64-128M", qemu.Options{Machine: qemu.MachinePC, CPU: "qemu64", Memory: "128M"}},
	{"q35-smp2-256M", qemu.Options{CPUs: 2, Memory: "256M"}},
	// A CPU without 1 GiB pages, RAM above 4 GiB: early maps it by 2 MiB.
	{"q35-smp2-6G-nopdpe1gb", qemu.Options{CPUs: 2, Memory: "6G", CPU: "max,pdpe1gb=off"}},
	{"q35-smp4-numa2", qemu.Options{CPUs: 4, Memory: "2G", Nodes: 2}},
	{"q35-smp6-numa3-uneven", qemu.Options{CPUs: 6,
		Numa:      []qemu.Node{{CPUs: "0-2", Mem: "2G"}, {CPUs: "3", Mem: "1G"}, {CPUs: "4-5", Mem: "1G"}},
		Distances: []qemu.Distance{{Src: 0, Dst: 1, Val: 20}, {Src: 0, Dst: 2, Val: 30}, {Src: 1, Dst: 2, Val: 25}}}},
	// Nautilus's README: nodes with CPUs and no memory, which QEMU 7.2
	// refuses; -m is split over them (qemu.SplitMemory).
	{"q35-smp4-numa2-split", qemu.Options{CPUs: 4, Memory: "2048",
		Numa: []qemu.Node{{CPUs: "0-1"}, {CPUs: "2-3"}}}},
	// A split that does not divide: 328M, 328M and the rest, 344M.
	{"q35-smp3-numa3-split-uneven", qemu.Options{CPUs: 3, Memory: "1000M",
		Numa: []qemu.Node{{CPUs: "0"}, {CPUs: "1"}, {CPUs: "2"}}}},
}

func TestBoot(t *testing.T) {
	elf := ktestKernel(t, false)
	for _, c := range bootCases {
		t.Run(c.name, func(t *testing.T) {
			o := c.opts
			o.Kernel, o.Append = elf, "test=all"
			vm := qemutest.Boot(t, o).FailOnPanic()
			checkSummary(t, vm)
			qemutest.RunKTests(t, vm, bootTimeout)
		})
	}
}

// TestBootISO boots the GRUB ISO: multiboot2 instead of PVH, same kernel.
func TestBootISO(t *testing.T) {
	iso := ktestKernel(t, true)
	vm := qemutest.Boot(t, qemu.Options{CPUs: 2, Memory: "1G", ISO: iso}).FailOnPanic()
	if _, m := vm.Expect(`booted by (\S+) `, bootTimeout); m[1] != "multiboot2" {
		t.Errorf("booted by %s, want multiboot2", m[1])
	}
	checkSummary(t, vm)
	qemutest.RunKTests(t, vm, bootTimeout)
}

// checkSummary checks the boot summary against the options, that the
// TSC was calibrated, that the topology is configs/ktest's, numa, and
// that the Go heap is its default share, half of RAM (every shape here
// has a stretch of RAM that holds it).
func checkSummary(t *testing.T, vm *qemutest.VM) {
	t.Helper()
	s := vm.CheckSummary(bootTimeout, 1)
	if s.Boot.Clock != "tsc" || s.Boot.ClockMHz < 100 {
		t.Errorf("boot line: clock=%s, want a calibrated tsc", s.Boot.Fields["clock"])
	}
	if s.Boot.Topology != "numa" {
		t.Errorf("boot line: topology=%s, want numa", s.Boot.Topology)
	}
	if half := s.Boot.MemMiB / 2; s.Boot.HeapMiB < half-1 || s.Boot.HeapMiB > half+1 {
		t.Errorf("boot line: heap=%d with mem=%d, want the default half of RAM", s.Boot.HeapMiB, s.Boot.MemMiB)
	}
}

// TestBootSleep times the in-kernel time.Sleep(time.Second) by the host's
// clock, with the TSC calibrated against each reference timer QEMU offers:
// the serial lines around one of its windows at least must arrive 1 s ± 5%
// apart (qemutest.HostSleep).
func TestBootSleep(t *testing.T) {
	elf := ktestKernel(t, false)
	for _, c := range []struct {
		ref string
		o   qemu.Options
	}{
		{"hpet", qemu.Options{CPUs: 4}},
		{"pmtimer", qemu.Options{CPUs: 2, Extra: []string{"-machine", "hpet=off"}}},
		{"pit", qemu.Options{Machine: qemu.MachineMicrovm, CPUs: 2}},
	} {
		t.Run(c.ref, func(t *testing.T) {
			o := c.o
			o.Memory, o.Kernel, o.Append = "1G", elf, "test=time/sleep"
			vm := qemutest.Boot(t, o).FailOnPanic()
			if s := vm.ExpectSummary(bootTimeout); s.Boot.Fields["clockref"] != c.ref {
				t.Errorf("TSC calibrated against %q, want %s", s.Boot.Fields["clockref"], c.ref)
			}
			host, ends := vm.ExpectSleeps(`^aero-test: sleep-start w=%d$`, `^aero-test: sleep-end w=%d elapsed=(\d+)$`, selftest.SleepWindows, bootTimeout)
			for w, m := range ends {
				guest, _ := strconv.ParseInt(m[1], 10, 64)
				t.Logf("time.Sleep(1s), window %d: host saw %v, kernel measured %v", w, host[w], time.Duration(guest))
			}
			if err := qemutest.HostSleep(host, time.Second, 0.05); err != nil {
				t.Errorf("host clock: time.Sleep(1s): %v", err)
			}
			vm.Expect(`^PASS$`, bootTimeout)
			if code := vm.WaitExit(bootTimeout); code != 0 {
				t.Errorf("isa-debug-exit code %d, want 0", code)
			}
		})
	}
}

// TestBootPanic: a kernel panic prints the panic and a Go stack trace on
// the console and ends QEMU with a failing isa-debug-exit code. (How a boot
// test reports it is qemutest's business: its tests replay this output.)
func TestBootPanic(t *testing.T) {
	elf := ktestKernel(t, false)
	vm := qemutest.Boot(t, qemu.Options{CPUs: 2, Memory: "1G", Kernel: elf, Append: "crash=panic test=all"})
	vm.ExpectSummary(bootTimeout)
	vm.Expect(`^panic: aero: crash=panic on the command line$`, bootTimeout)
	vm.Expect(`^goroutine \d+ \[running\]:$`, 30*time.Second)
	vm.Expect(`core\.Boot\(`, 30*time.Second)
	if code := vm.WaitExit(bootTimeout); code == 0 {
		t.Errorf("isa-debug-exit code 0 after a panic, want a failing one")
	}
}

// TestBootHRTEntry builds configs/hello, whose config names an HRT entry
// point in another module (examples/hello.Main), and boots it: the entry
// runs after the summary, uses every CPU at once, and its return ends QEMU
// with success. configs/hello links core's default topology, so the
// machine's two NUMA nodes are one node to it: every CPU and all memory on
// node 0, whatever the SRAT says.
func TestBootHRTEntry(t *testing.T) {
	qemutest.NeedQEMU(t)
	elf := qemutest.BuildConfig(t, "configs/hello")
	vm := qemutest.Boot(t, qemu.Options{CPUs: 4, Memory: "2G", Nodes: 2, Kernel: elf}).FailOnPanic()
	s := vm.ExpectSummary(bootTimeout)
	for _, err := range qemu.CheckSummary(qemu.Options{CPUs: 4, Memory: "2G"}, s, 1) {
		t.Errorf("core's default topology on 2 NUMA nodes: %v (want one node)", err)
	}
	if s.Boot.Topology != "default" {
		t.Errorf("boot line: topology=%s, want default", s.Boot.Topology)
	}
	vm.Expect(`^aero: hrt entry$`, bootTimeout)
	_, m := vm.Expect(`^hello: 4 CPUs summed 1\.\.\d+ = (\d+) \(want (\d+)\) on APIC IDs \[(.*)\], nodes \[(.*)\]$`, bootTimeout)
	if m[1] != m[2] {
		t.Errorf("the HRT summed %s, want %s", m[1], m[2])
	}
	ids := strings.Fields(m[3])
	slices.Sort(ids)
	if got := strings.Join(ids, " "); got != "0 1 2 3" {
		t.Errorf("the HRT's goroutines ran on APIC IDs [%s], want one on each of 0 1 2 3", m[3])
	}
	// Kernel.CPUs by index: all on node 0 (core's default topology).
	if m[4] != "0 0 0 0" {
		t.Errorf("the HRT sees CPU nodes [%s], want [0 0 0 0]", m[4])
	}
	vm.Expect(`^aero: hrt returned; exiting$`, bootTimeout)
	if code := vm.WaitExit(bootTimeout); code != 0 {
		t.Errorf("isa-debug-exit code %d after the HRT returned, want 0", code)
	}
}
