//go:build tamago && amd64

package platform

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	_ "unsafe" // go:linkname

	"github.com/aerokernel/aero/core/hw"
	"github.com/usbarmory/tamago/amd64/lapic"
)

// Device interrupts reach Go through tamago's IDT stubs: every vector from
// 32 up (but 255, the wake-up IPI) runs tamago's handleInterrupt on the CPU
// the I/O APIC delivered it to, which records the vector and raises
// os/signal's SIGTRAP without an EOI; the interrupt stays in service until
// its handler is done. tamago ends it with an NMI to the boot CPU, whose
// NMI handler writes the EOI; Aero does the same, to the boot CPU's APIC ID
// (Route's dest must be the boot CPU for that).
//
// One goroutine, the dispatcher, waits for that signal: it calls the
// handler of the IRQ line (IRQLine) that owns the vector, or else the
// function a ServeInterrupts caller gave, then ends the interrupt. It
// starts with the first user and runs from then on: two signal loops would
// both see every interrupt and end it twice.

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

// Vectors IRQLine hands out: from the top down, away from the low vectors
// that ServeInterrupts users pick by hand.
const (
	lineVectorLow  = 0x30
	lineVectorHigh = 0xef
)

// lines is the dispatcher's state. The lock also serialises I/O APIC
// register accesses (index/data pairs) after boot.
var lines struct {
	sync.Mutex
	started  bool
	byVector [256]atomic.Pointer[irqLine]
	// lineVector marks the vectors ever handed to an IRQ line: an
	// interrupt taken on one just before its line was masked or closed
	// may be dispatched after, and is then stray, never another user's.
	lineVector [256]atomic.Bool
	byGSI      map[uint32]*irqLine
	fallback   atomic.Pointer[func(int)] // ServeInterrupts' isr
	stray      atomic.Uint64             // interrupts nobody took
}

func startDispatcher() {
	if lines.started {
		return
	}
	lines.started = true
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTRAP)
	go func() {
		for range c {
			dispatch(currentVectorNumber())
			// End this interrupt, and only this one: an EOI with none
			// in service could end another handler's early.
			go endOfInterrupt()
		}
	}()
}

func dispatch(vector int) {
	lineVector := false
	if vector >= 0 && vector < len(lines.byVector) {
		if l := lines.byVector[vector].Load(); l != nil {
			if h := l.handler.Load(); h != nil {
				(*h)()
				return
			}
		}
		lineVector = lines.lineVector[vector].Load()
	}
	if f := lines.fallback.Load(); f != nil && !lineVector {
		(*f)(vector)
		return
	}
	// A masked line's last interrupt, or one nobody routed: counted,
	// ended, not lost silently.
	lines.stray.Add(1)
}

// StrayInterrupts counts the device interrupts that arrived with no line
// handler and no ServeInterrupts to take them.
func StrayInterrupts() uint64 { return lines.stray.Load() }

// ServeInterrupts calls isr with the vector of every device interrupt that
// no IRQ line owns, until stop is closed (one arriving late on a vector an
// IRQ line had is stray, not isr's). Interrupts that arrive while isr
// runs are coalesced into one call (the signal is a bit, as a pending IRQ
// is). One ServeInterrupts runs at a time: a second one panics.
func ServeInterrupts(stop <-chan struct{}, isr func(vector int)) {
	lines.Lock()
	if !lines.fallback.CompareAndSwap(nil, &isr) {
		lines.Unlock()
		panic("platform: ServeInterrupts is already running")
	}
	startDispatcher()
	lines.Unlock()
	<-stop
	lines.fallback.Store(nil)
}

// endOfInterrupt has the boot CPU write its EOI, through an NMI (tamago's
// NMI handler writes it), once the signal loop waits again (so a following
// interrupt's signal is not merged into this one) and tamago's stub is done.
// Its waits yield: a call-free spin is never preempted (no async
// preemption), so a stop-the-world that began before the signal loop got
// back to waiting would wait for this goroutine's CPU forever while the
// loop it waits for is stopped (the shell's gc and meminfo hung so).
func endOfInterrupt() {
	for !signal.Waiting() {
		runtime.Gosched()
	}
	for irqHandling {
		runtime.Gosched()
	}
	sendIPI(bootAPIC.Load(), lapic.ICR_DLV_NMI)
}

// irqLine is a hw.IRQ: one GSI of an I/O APIC, with its own vector,
// delivered to the boot CPU.
type irqLine struct {
	gsi              uint32
	vector           uint8
	activeLow, level bool
	handler          atomic.Pointer[func()] // nil while masked
	closed           bool                   // under lines' lock
}

// IRQLine returns global system interrupt gsi as a hw.IRQ with the given
// polarity and trigger mode (from the MADT, or a device's _PRT entry), on
// a vector of its own. The line starts masked; a GSI is one line until it
// is closed.
func IRQLine(gsi uint32, activeLow, level bool) (hw.IRQ, error) {
	lines.Lock()
	defer lines.Unlock()
	if _, err := ioapicFor(gsi); err != nil {
		return nil, err
	}
	if lines.byGSI[gsi] != nil {
		return nil, fmt.Errorf("platform: GSI %d is already an open IRQ line", gsi)
	}
	v := lineVectorHigh
	for ; v >= lineVectorLow && lines.byVector[v].Load() != nil; v-- {
	}
	if v < lineVectorLow {
		return nil, fmt.Errorf("platform: no free interrupt vector for GSI %d", gsi)
	}
	l := &irqLine{gsi: gsi, vector: uint8(v), activeLow: activeLow, level: level}
	if err := mask(gsi); err != nil {
		return nil, err
	}
	if lines.byGSI == nil {
		lines.byGSI = map[uint32]*irqLine{}
	}
	lines.byGSI[gsi] = l
	lines.byVector[v].Store(l)
	lines.lineVector[v].Store(true)
	return l, nil
}

// ISAIRQ returns ISA IRQ irq as a hw.IRQ, wired as the MADT's interrupt
// source overrides say (ISAToGSI).
func ISAIRQ(irq uint8) (hw.IRQ, error) {
	gsi, activeLow, level := ISAToGSI(irq)
	return IRQLine(gsi, activeLow, level)
}

func (l *irqLine) Enable(handler func()) error {
	if handler == nil {
		return fmt.Errorf("platform: GSI %d: Enable with a nil handler", l.gsi)
	}
	lines.Lock()
	defer lines.Unlock()
	if l.closed {
		return fmt.Errorf("GSI %d: %w", l.gsi, hw.ErrClosed)
	}
	l.handler.Store(&handler)
	startDispatcher()
	return route(l.gsi, l.vector, BootCPU(), l.activeLow, l.level)
}

func (l *irqLine) Mask() error {
	lines.Lock()
	defer lines.Unlock()
	if l.closed {
		return fmt.Errorf("GSI %d: %w", l.gsi, hw.ErrClosed)
	}
	l.handler.Store(nil)
	return mask(l.gsi)
}

func (l *irqLine) Close() error {
	lines.Lock()
	defer lines.Unlock()
	if l.closed {
		return fmt.Errorf("GSI %d: %w", l.gsi, hw.ErrClosed)
	}
	l.handler.Store(nil)
	err := mask(l.gsi)
	l.closed = true
	lines.byVector[l.vector].Store(nil)
	delete(lines.byGSI, l.gsi)
	return err
}
