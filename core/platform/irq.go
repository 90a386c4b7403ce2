//go:build tamago && amd64

package platform

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
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

// One goroutine, started by the first HandleInterrupt or ServeInterrupts,
// receives every device interrupt's signal and calls the handler of its
// vector: the one HandleInterrupt set, else ServeInterrupts' isr. Then it
// ends that interrupt (endOfInterrupt), handled or not, so a vector nobody
// serves does not stay in service and block the ones below it.
//
// The signal carries one vector (tamago records the last one taken), so at
// most one device interrupt may be in service at a time: a vector of a
// higher priority class would preempt one in service and its signal would
// be merged into the first. Device vectors therefore share one priority
// class, from FirstDeviceVector (Intel SDM Vol. 3A, 11.8.3: the class is the vector's
// high nibble; the local APIC holds a vector of the class in service
// pending until the EOI).
var dispatch struct {
	sync.Mutex
	started  bool
	handlers [256]func()
	fallback func(vector int)
}

// FirstDeviceVector starts the priority class device interrupts are
// routed to: vectors FirstDeviceVector to FirstDeviceVector+15.
const FirstDeviceVector = 0x40

// ErrVectorInUse is HandleInterrupt's error for a vector that has a
// handler already.
var ErrVectorInUse = errors.New("platform: interrupt vector already has a handler")

// HandleInterrupt makes isr the handler of vector, which must be one of
// the 16 device vectors from FirstDeviceVector. isr runs in the dispatch
// goroutine (a goroutine: it may allocate and lock, but every other device
// interrupt waits until it returns); interrupts on vector that arrive while
// it runs are coalesced into one call. Route the device's line to vector
// on BootCPU after this.
func HandleInterrupt(vector uint8, isr func()) error {
	if vector < FirstDeviceVector || vector >= FirstDeviceVector+16 {
		return fmt.Errorf("platform: interrupt vector %#x is outside the device vectors %#x-%#x", vector, FirstDeviceVector, FirstDeviceVector+15)
	}
	if isr == nil {
		return fmt.Errorf("platform: nil handler for interrupt vector %#x", vector)
	}
	dispatch.Lock()
	defer dispatch.Unlock()
	if dispatch.handlers[vector] != nil {
		return fmt.Errorf("%w: %#x", ErrVectorInUse, vector)
	}
	dispatch.handlers[vector] = isr
	startDispatch()
	return nil
}

// ServeInterrupts calls isr with the vector of every device interrupt that
// has no HandleInterrupt handler, until stop is closed, in the dispatch
// goroutine. Interrupts that arrive while isr runs are coalesced into one
// call (the signal is a bit, as a pending IRQ is). Run one server at a
// time.
func ServeInterrupts(stop <-chan struct{}, isr func(vector int)) {
	dispatch.Lock()
	dispatch.fallback = isr
	startDispatch()
	dispatch.Unlock()
	<-stop
	dispatch.Lock()
	dispatch.fallback = nil
	dispatch.Unlock()
}

// startDispatch starts the dispatch goroutine once; dispatch is locked.
func startDispatch() {
	if dispatch.started {
		return
	}
	dispatch.started = true
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTRAP)
	go func() {
		for range c {
			v := currentVectorNumber()
			dispatch.Lock()
			var h func()
			if v >= 0 && v < len(dispatch.handlers) {
				h = dispatch.handlers[v]
			}
			fb := dispatch.fallback
			dispatch.Unlock()
			switch {
			case h != nil:
				h()
			case fb != nil:
				fb(v)
			}
			// End this interrupt, and only this one: an EOI with none
			// in service could end another handler's early.
			go endOfInterrupt()
		}
	}()
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
