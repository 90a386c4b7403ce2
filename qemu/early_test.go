package qemu_test

import (
	"debug/elf"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aerokernel/aero/qemu"
	"github.com/aerokernel/aero/qemu/qemutest"
)

// Early boot (core/platform: cpuinit, early): the memory check and faults
// before the Go runtime is up. The kernel is configs/ktest as the boot
// tests build it (qemutest.BuildConfig, shared with them). Small memory
// that boots is in boot_test.go's bootCases: pc-qemu64-128M (QEMU's default
// machine, CPU and memory) and q35-smp2-256M; the kernel is linked at 1 MiB and
// early places the Go heap from the memory map, so both reach the summary
// and pass the in-kernel tests.
//

// TestBootTooLittleMemory: with less RAM than the kernel needs, early says
// how much it needs on COM1 and exits failing, instead of hanging.
func TestBootTooLittleMemory(t *testing.T) {
	elf := ktestKernel(t, false)
	vm := qemutest.Boot(t, qemu.Options{Memory: "48M", Kernel: elf})
	_, m := vm.Expect(`^aero: boot failed: not enough memory: the Go heap needs (\d+) MiB .* largest stretch there is (\d+) MiB: this kernel needs at least (\d+) MiB of RAM$`, bootTimeout)
	heap, have, need := atoi(t, m[1]), atoi(t, m[2]), atoi(t, m[3])
	if have >= heap || need <= 48 || need < heap {
		t.Errorf("with 48 MiB: the heap needs %d MiB, has %d, the kernel %d MiB: not a shortage", heap, have, need)
	}
	if code := vm.WaitExit(bootTimeout); code != 1 {
		t.Errorf("isa-debug-exit code %d, want 1 (failure)", code)
	}
}

// TestBootEarlyFault: crash=early makes early fault on purpose (a read of
// address 8, in the unmapped page 0) on the boot CPU before the Go runtime
// is up, crash=ap every AP as it starts, before it runs Go; the early IDT's
// handler prints the one line of a fault with no goroutine (vector, RIP,
// error code, CR2, APIC ID), and the machine exits failing instead of
// triple-faulting.
func TestBootEarlyFault(t *testing.T) {
	path := ktestKernel(t, false)
	crash := symbolRange(t, path, "github.com/aerokernel/aero/core/platform.earlyCrash.abi0")
	for _, c := range []struct {
		crash string
		apic  string // the CPU that reports
	}{
		{"early", "0"},
		{"ap", "1"}, // APs start before the banner and summary print
	} {
		t.Run(c.crash, func(t *testing.T) {
			vm := qemutest.Boot(t, qemu.Options{CPUs: 2, Memory: "256M", Kernel: path, Append: "loglevel=info crash=" + c.crash})
			_, m := vm.Expect(regexp.MustCompile(`^aero: fatal CPU exception (#\S+) \([a-z ]+\): vector 0x([0-9a-f]+) rip 0x([0-9a-f]+) error code 0x([0-9a-f]+) cr2 0x([0-9a-f]+) apic 0x([0-9a-f]+)$`), bootTimeout)
			if m[1] != "#PF" || m[2] != "e" {
				t.Errorf("%s, vector 0x%s; want #PF, vector 0xe", m[1], m[2])
			}
			if rip, _ := strconv.ParseUint(m[3], 16, 64); rip < crash[0] || rip >= crash[1] {
				t.Errorf("rip %#x, want inside earlyCrash [%#x, %#x)", rip, crash[0], crash[1])
			}
			// A supervisor read of a not-present page: error code 0 (SDM
			// Vol. 3A, 4.7); CR2 the address read.
			if m[4] != "0" || m[5] != "8" || m[6] != c.apic {
				t.Errorf("error code 0x%s cr2 0x%s apic 0x%s, want 0x0, 0x8, 0x%s", m[4], m[5], m[6], c.apic)
			}
			// faultFatal's exit value (core/platform, faultExitCode).
			if code := vm.WaitExit(bootTimeout); code != 3 {
				t.Errorf("isa-debug-exit code %d, want 3 (a fatal CPU exception)", code)
			}
			for _, l := range vm.Lines() {
				if strings.HasPrefix(l.Text, "aero: boot ") || strings.HasPrefix(l.Text, "aero: Aero ") {
					t.Errorf("the kernel booted past the fault: %q", l.Text)
				}
			}
		})
	}
}

// symbolRange returns [start, end) of the named function in the ELF.
func symbolRange(t *testing.T, path, name string) [2]uint64 {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range syms {
		if s.Name == name && s.Size > 0 {
			return [2]uint64{s.Value, s.Value + s.Size}
		}
	}
	t.Fatalf("%s: no symbol %s", path, name)
	return [2]uint64{}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBootMissingCPUFeature: on a CPU without a feature Aero needs, cpuinit
// names it on COM1 before it enters long mode and exits failing. Each QEMU
// -cpu max with one feature taken away.
func TestBootMissingCPUFeature(t *testing.T) {
	elf := ktestKernel(t, false)
	for _, c := range []struct{ cpu, name string }{
		{"max,lm=off", "long mode (LM)"},
		{"max,sse2=off", "SSE2"},
	} {
		t.Run(c.cpu, func(t *testing.T) {
			vm := qemutest.Boot(t, qemu.Options{Memory: "256M", Kernel: elf, CPU: c.cpu})
			vm.Expect(`^aero: boot failed: the CPU lacks `+regexp.QuoteMeta(c.name)+`, which Aero needs$`, bootTimeout)
			if code := vm.WaitExit(bootTimeout); code != 1 {
				t.Errorf("isa-debug-exit code %d, want 1 (failure)", code)
			}
		})
	}
}

// TestBootModuleOffHeap: a boot module (an initrd, which QEMU's PVH loader
// puts at the top of RAM below 4 GiB) stays out of the Go heap's region:
// with 8 MiB of it in 128 MiB and heap=max, the heap (the heap= field)
// runs from the image's end to below the module, less the boot stack.
func TestBootModuleOffHeap(t *testing.T) {
	elf := ktestKernel(t, false)
	initrd := filepath.Join(t.TempDir(), "initrd")
	if err := os.WriteFile(initrd, make([]byte, 8<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	vm := qemutest.Boot(t, qemu.Options{Memory: "128M", Kernel: elf, Initrd: initrd, Append: "heap=max"}).FailOnPanic()
	s := vm.ExpectSummary(bootTimeout)
	// RAM runs to 128 MiB less the firmware's; the boot stack takes a
	// little over 1 MiB.
	image := imageEndMiB(t, elf)
	if max := 128 - 8 - image - 1; s.Boot.HeapMiB > max {
		t.Errorf("heap=%d MiB with an 8 MiB module at the top of 128 MiB, the image ending at %d MiB: want at most %d", s.Boot.HeapMiB, image, max)
	}
	if min := 128 - 8 - image - 3; s.Boot.HeapMiB < min {
		t.Errorf("heap=%d MiB: the heap left far more room than the module takes (want at least %d)", s.Boot.HeapMiB, min)
	}
}
