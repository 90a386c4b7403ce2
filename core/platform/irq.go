//go:build tamago && amd64

package platform

import (
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	_ "unsafe" // go:linkname

	"github.com/usbarmory/tamago/amd64/lapic"
)

// Device interrupts reach Go through tamago's IDT stubs: every vector from
// 32 up (but 255, the wake-up IPI) runs tamago's handleInterrupt on the CPU
// the I/O APIC delivered it to, which records the vector and raises
// os/signal's SIGTRAP without an EOI; the interrupt stays in service until
// its handler is done. tamago ends it with an NMI to the boot CPU, whose
// NMI handler writes the EOI; Aero does the same, to the boot CPU's APIC ID
// (Route's dest must be the boot CPU for that).

// currentVectorNumber is the vector of the interrupt last taken.
//
//go:linkname currentVectorNumber github.com/usbarmory/tamago/amd64.currentVectorNumber
func currentVectorNumber() int

// irqHandling is set while tamago's interrupt stub runs.
//
//go:linkname irqHandling github.com/usbarmory/tamago/amd64.irqHandling
var irqHandling bool

// BootCPU returns the boot CPU's local APIC ID, where Route should send
// device interrupts that ServeInterrupts handles.
func BootCPU() uint32 { return bootAPIC.Load() }

var bootAPIC atomic.Uint32

// ServeInterrupts calls isr with the vector of every device interrupt until
// stop is closed. Interrupts that arrive while isr runs are coalesced into
// one call (the signal is a bit, as a pending IRQ is). Run one server at a
// time.
func ServeInterrupts(stop <-chan struct{}, isr func(vector int)) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTRAP)
	defer signal.Stop(c)
	for {
		select {
		case <-c:
			isr(currentVectorNumber())
			// End this interrupt, and only this one: an EOI with none
			// in service could end another handler's early.
			go endOfInterrupt()
		case <-stop:
			return
		}
	}
}

// endOfInterrupt has the boot CPU write its EOI, through an NMI (tamago's
// NMI handler writes it), once the signal loop waits again (so a following
// interrupt's signal is not merged into this one) and tamago's stub is done.
func endOfInterrupt() {
	for !signal.Waiting() {
	}
	for irqHandling {
	}
	CPU.LAPIC.IPI(int(bootAPIC.Load()), 0, lapic.ICR_DLV_NMI)
}

// Mask stops global system interrupt gsi from being delivered.
func Mask(gsi uint32) error {
	for _, io := range ioapics {
		if gsi >= io.GSIBase && gsi < io.GSIBase+uint32(io.Inputs) {
			io.write(ioredtbl+2*(gsi-io.GSIBase), redMasked)
			return nil
		}
	}
	return errNoIOAPIC(gsi)
}
