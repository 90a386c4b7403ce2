package qemu_test

import (
	"testing"
	"time"

	"github.com/aerokernel/aero/qemu"
	"github.com/aerokernel/aero/qemu/qemutest"
)

// TestBootException: every CPU exception after the runtime is up is a Go
// panic naming it, with the faulting goroutine's stack trace, and a
// failing exit (issue 8). One kernel, one short boot per kind of
// crash= (core/cmdline); crash=panic is TestBootPanic's.
func TestBootException(t *testing.T) {
	elf := ktestKernel(t, false)
	// The report of an exception that cannot be a panic (an abort, or no
	// goroutine to panic on) runs with no stack to grow.
	qemutest.CheckNosplit(t, elf, "github.com/aerokernel/aero/core/platform.faultFatal")
	for _, c := range []struct {
		kind string
		// panicLine is the first line of the report; frame, a function
		// the goroutine's stack trace must show below it.
		panicLine, frame string
	}{
		{"nil", `^panic: runtime error: invalid memory address or nil pointer dereference: CPU exception #PF \(page fault\) at rip 0x[0-9a-f]+, address 0x0, error code 0x[0-9a-f]+$`, `core\.crash\(`},
		{"pf", `^panic: runtime error: invalid memory address: CPU exception #PF \(page fault\) at rip 0x[0-9a-f]+, address 0x10000000000, error code 0x[0-9a-f]+$`, `platform\.Raise\(`},
		{"gp", `^panic: runtime error: CPU exception #GP \(general protection\) at rip 0x[0-9a-f]+, error code 0x0$`, `platform\.raiseGeneralProtection\(`},
		{"div", `^panic: runtime error: integer divide error: CPU exception #DE \(divide error\) at rip 0x[0-9a-f]+$`, `platform\.raiseDivide\(`},
		{"ud", `^panic: runtime error: CPU exception #UD \(invalid opcode\) at rip 0x[0-9a-f]+$`, `platform\.raiseInvalidOpcode\(`},
		// Not a CPU exception: Go's own check in the function prologue,
		// with the limit platform sets from the heap's size.
		{"stack", `^fatal error: stack overflow$`, `core\.overflow\(`},
	} {
		t.Run(c.kind, func(t *testing.T) {
			vm := qemutest.Boot(t, qemu.Options{CPUs: 2, Memory: "1G", Kernel: elf, Append: "crash=" + c.kind})
			vm.ExpectSummary(bootTimeout)
			vm.Expect(c.panicLine, bootTimeout)
			// (a fatal error names the goroutine's g and m as well)
			vm.Expect(`^goroutine \d+ (gp=.*)?\[running\]:$`, 30*time.Second)
			vm.Expect(c.frame, 30*time.Second)
			vm.Expect(`core\.Boot\(`, 30*time.Second)
			if code := vm.WaitExit(bootTimeout); code == 0 {
				t.Errorf("isa-debug-exit code 0 after crash=%s, want a failing one", c.kind)
			}
		})
	}
	// A fault with no goroutine to panic on (a CPU before its M runs):
	// one report line on COM1, then exit status 3.
	t.Run("nog", func(t *testing.T) {
		vm := qemutest.Boot(t, qemu.Options{CPUs: 2, Memory: "1G", Kernel: elf, Append: "crash=nog"})
		vm.ExpectSummary(bootTimeout)
		vm.Expect(`^aero: fatal CPU exception #UD \(invalid opcode\): vector 0x6 rip 0x[0-9a-f]+ error code 0x0 cr2 0x[0-9a-f]+ apic 0x[0-9a-f]+$`, bootTimeout)
		if code := vm.WaitExit(bootTimeout); code != 3 {
			t.Errorf("isa-debug-exit code %d after a fault with no goroutine, want 3", code)
		}
	})
}
