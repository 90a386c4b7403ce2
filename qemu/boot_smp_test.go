package qemu_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aerokernel/aero/qemu"
	"github.com/aerokernel/aero/qemu/qemutest"
)

// TestBootManyCPUs boots past 16 CPUs, where a 4-bit APIC ID (tamago's
// LAPIC.ID) wraps, on q35 with 2 NUMA nodes. The summary's node lines
// must be QEMU's (CPUs 0-15 and 16-31 at -smp 32); the in-kernel tests
// check, from code running on each CPU at once, that every CPU reports a
// distinct full APIC ID equal to the MADT's and its own index and node
// (cpus/identity), that node being the SRAT's for its APIC ID (numa/cpus:
// configs/ktest links numa), and that work started on every CPU at once
// runs on every one (cpus/parallel).
//
// Measured under TCG on the 2-core build machine with other boots running
// (load average 10-15, 9 boots each): -smp 32 reached its summary in
// 1.0-3.5 s and finished in 1.4-4.2 s, -smp 64 in 2.2-4.4 s and 3.2-7.7 s. The APs start one after the other
// (INIT, 10 ms, SIPI), so the boot grows with the CPU count; bootTimeout
// leaves ample room for a busier host.
func TestBootManyCPUs(t *testing.T) {
	elf := ktestKernel(t, false)
	// What the runtime reaches through goos.ProcID, goos.Wake and
	// goos.Printk runs in interrupt context or without a g: the CPU's
	// identity, its index and the IPI on those paths must not check the
	// stack. (SleepM and WakeM, which use them too, are checked through a
	// scheduler that links them: TestSchedSeam.)
	t.Run("nosplit", func(t *testing.T) {
		qemutest.CheckNosplit(t, elf,
			"github.com/aerokernel/aero/core/platform.ProcessorID",
			"github.com/aerokernel/aero/core/platform.wakeCPU",
			"runtime/goos.Printk",
		)
	})
	for _, cpus := range []int{32, 64} {
		t.Run(fmt.Sprintf("q35-smp%d-numa2", cpus), func(t *testing.T) {
			start := time.Now()
			vm := qemutest.Boot(t, qemu.Options{
				CPUs: cpus, Nodes: 2, Memory: "2G", Kernel: elf,
				Append: "test=cpus/parallel,cpus/identity,topology/consistent,numa/cpus",
			}).FailOnPanic()
			vm.CheckSummary(bootTimeout, 1)
			booted := time.Since(start)
			qemutest.RunKTests(t, vm, bootTimeout)
			t.Logf("-smp %d: summary after %v, tests done after %v", cpus, booted.Round(100*time.Millisecond), time.Since(start).Round(100*time.Millisecond))
		})
	}
}
