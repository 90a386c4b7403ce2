//go:build tamago && amd64

package platform

import (
	"runtime/debug"
	"runtime/goos"
	"time"
	_ "unsafe" // go:linkname

	"github.com/usbarmory/tamago/amd64"

	"github.com/aerokernel/aero/core/report"
)

// CPU is the bootstrap processor, as tamago's amd64 package drives it.
var CPU = &amd64.CPU{}

// hwinit1 runs once the runtime's world has started, before package inits:
// the CPU, the BSP's local APIC and the clock.
//
//go:linkname hwinit1 runtime/goos.Hwinit1
func hwinit1() {
	CPU.Init()
	// Software-enable the BSP's local APIC (disabled after a PVH boot):
	// the runtime halts idle CPUs and wakes them by IPI (goos.Wake).
	CPU.LAPIC.Enable()
	calibrateClock()
	goos.Exit = exit
}

func init() {
	// tamago's IDT: its interrupt and wake-up vectors, and its exception
	// handlers, which Aero's then replace (exception.go): every CPU
	// exception from here on is a Go panic on the faulting goroutine.
	CPU.EnableExceptions()
	installExceptions()
	installSpuriousGate()
	// Go's default stack limit (1 GB) can be more than the heap: a
	// runaway recursion would end in "out of memory" before "stack
	// overflow".
	debug.SetMaxStack(int(min(Heap().Size/4, 1<<30)))
}

// debugExitPort is QEMU's isa-debug-exit (see package report): writing v
// ends QEMU with status (v<<1)|1.
const debugExitPort = report.DebugExitPort

// exit ends the machine: through isa-debug-exit when present, else by a
// triple fault, which ends QEMU under -no-reboot (and resets real hardware).
//
//go:nosplit
func exit(code int32) {
	if code == panicExitCode && panicDelay > 0 {
		// Leave the panic on the screen for a while (panic=N).
		for end := nanotime() + panicDelay; nanotime() < end; {
		}
	}
	outl(debugExitPort, uint32(code))
	amd64.Fault()
	haltForever()
}

// Exit ends the machine with code (0: success).
func Exit(code int) { exit(int32(code)) }

// panicExitCode is the status the Go runtime exits with after a fatal panic.
const panicExitCode = 2

// panicDelay is how long exit waits after a panic, in nanoseconds.
var panicDelay int64

// SetPanicDelay makes the machine wait d after a kernel panic before it
// exits (the panic=N command line option).
func SetPanicDelay(d time.Duration) { panicDelay = int64(d) }
