//go:build tamago && amd64

package platform

import (
	"fmt"
	"sync/atomic"
	"unsafe"
	_ "unsafe" // go:linkname

	"github.com/usbarmory/tamago/amd64"
)

// All kernel output — fmt and os.Stdout/Stderr (through package syscall),
// print and println, panics and their stack traces — reaches the machine
// one byte at a time through goos.Printk, which is printk below. printk
// hands each byte to the console installed with SetConsole, or to COM1:
//
//   - before SetConsole (early boot, the runtime's start, package init);
//   - for good, once the console's own output path re-enters printk on
//     the CPU running it: it faulted (the exception handler prints), it
//     panicked, or it printed. The byte that re-entered, and every byte
//     after it on every CPU, goes to COM1, after a note saying so.
//
// That latch is what "at a crash" means for the console: a console that
// keeps the contract (ConsoleSink) also prints a dying runtime's panic and
// stack trace, which fatalpanic prints on g0 with the runtime's print lock
// held; a console that breaks it loses the output to COM1 rather than
// losing it altogether or hanging the crash.

// ConsoleSink is the output side of a kernel console, as printk calls it.
//
// PutByte receives every byte of kernel output, unchanged (a line ends with
// '\n' alone). printk calls it with interrupts disabled on the calling CPU
// and from one CPU at a time (callers on other CPUs spin), from any
// context the runtime prints from: a goroutine, the system stack with
// runtime locks held, a dying runtime. So PutByte and everything it calls
// must be nosplit (//go:nosplit; the linker does not check calls through
// an interface), must not allocate, must not take locks that can block
// (sync.Mutex, channels) or wait for an interrupt or another goroutine, and
// must not print.
type ConsoleSink interface {
	PutByte(c byte)
}

// consoleHolder keeps the sink behind one pointer, so that installing it is
// one aligned store that printk on another CPU sees whole.
type consoleHolder struct{ sink ConsoleSink }

var (
	console *consoleHolder
	// consoleFailed latches once the console's path re-entered printk.
	consoleFailed atomic.Uint32
	// consoleBusy serialises PutByte across CPUs: 0 free, else APIC ID+1.
	consoleBusy atomic.Uint32
	// inConsole[apicID] is set while that CPU runs PutByte.
	inConsole [256]uint8
)

// SetConsole makes s the kernel console from the next byte on; nil goes
// back to COM1. Once a console's path has failed, output stays on COM1.
func SetConsole(s ConsoleSink) {
	if s == nil {
		console = nil
		return
	}
	console = &consoleHolder{sink: s}
}

// printk writes one byte of kernel output (see above). Before the runtime
// is up and inside print it must not grow the stack or allocate: nosplit.
//
//go:linkname printk runtime/goos.Printk
//go:nosplit
func printk(c byte) {
	h := console
	if h == nil || consoleFailed.Load() != 0 {
		COM1Write(c)
		return
	}
	flags := disableInterrupts()
	id := lapicID()
	if inConsole[id] != 0 {
		// The console's PutByte is running below us on this CPU and
		// printed (or faulted and the handler printed): never call it
		// again. Callers spinning on consoleBusy see the latch.
		consoleFailed.Store(1)
		restoreInterrupts(flags)
		com1String("\naero: the console's output path faulted or printed; output continues on COM1\n")
		COM1Write(c)
		return
	}
	for !consoleBusy.CompareAndSwap(0, id+1) {
		if consoleFailed.Load() != 0 {
			restoreInterrupts(flags)
			COM1Write(c)
			return
		}
	}
	inConsole[id] = 1
	h.sink.PutByte(c)
	inConsole[id] = 0
	consoleBusy.Store(0)
	restoreInterrupts(flags)
}

// lapicID reads this CPU's local APIC ID (Intel SDM Vol. 3A, 11.4.6: the
// ID register at offset 0x20, bits 31:24 in xAPIC mode).
//
//go:nosplit
func lapicID() uint32 {
	return *(*uint32)(unsafe.Pointer(uintptr(amd64.LAPIC_BASE + 0x20))) >> 24
}

// COM1, a 16550 UART (PC16550D datasheet, section 8: register map).
const (
	com1    = 0x3f8
	com1THR = com1 + 0 // transmitter holding register (write)
	com1RBR = com1 + 0 // receiver buffer register (read)
	com1IER = com1 + 1 // interrupt enable register
	com1FCR = com1 + 2 // FIFO control register (write)
	com1MCR = com1 + 4 // modem control register
	com1LSR = com1 + 5 // line status register
	lsrDR   = 1 << 0   // data ready
	lsrTHRE = 1 << 5   // THR empty
)

// COM1Write writes one byte to COM1, polled, with a CR before each LF (a
// terminal reading the console expects CR LF). It keeps the ConsoleSink
// rules, so consoles may call it. QEMU's UART transmits without set-up.
//
//go:nosplit
func COM1Write(c byte) {
	if c == '\n' {
		txByte('\r')
	}
	txByte(c)
}

//go:nosplit
func com1String(s string) {
	for i := 0; i < len(s); i++ {
		COM1Write(s[i])
	}
}

//go:nosplit
func txByte(c byte) {
	for inb(com1LSR)&lsrTHRE == 0 {
	}
	outb(com1THR, c)
}

// defined in console_amd64.s
func disableInterrupts() uint64
func restoreInterrupts(flags uint64)

// COM1's receive side: ISA IRQ 4 (the PC's wiring of COM1), routed to
// com1Vector on the boot CPU.
const (
	com1IRQ    = 4
	com1Vector = FirstDeviceVector + com1IRQ
	ierRDA     = 1 << 0 // IER: received data available interrupt
	mcrDTR     = 1 << 0
	mcrRTS     = 1 << 1
	mcrOUT2    = 1 << 3 // gates the UART's interrupt onto the ISA line on PCs
	fcrEnable  = 1 << 0 // FIFO on, trigger level 1 byte (bits 7:6 = 0)
	// com1ReadMax bounds one interrupt's read: the FIFO holds 16 bytes,
	// more may arrive while it is drained.
	com1ReadMax = 256
)

// ReceiveCOM1 starts interrupt-driven receive on COM1: every byte the UART
// receives is passed to deliver, in order, from the interrupt dispatch
// goroutine (see HandleInterrupt), a batch per interrupt; p is only valid
// during the call and deliver must not block. Bytes received before the
// call are discarded. It fails without an I/O APIC
// (InitIOAPICs) or when COM1's vector is taken; call it once.
func ReceiveCOM1(deliver func(p []byte)) error {
	if deliver == nil {
		return fmt.Errorf("platform: ReceiveCOM1 without a deliver function")
	}
	if len(ioapics) == 0 {
		return fmt.Errorf("platform: no I/O APIC to route COM1's IRQ %d through", com1IRQ)
	}
	buf := make([]byte, com1ReadMax)
	isr := func() {
		for {
			n := 0
			for n < len(buf) && inb(com1LSR)&lsrDR != 0 {
				buf[n] = inb(com1RBR)
				n++
			}
			if n == 0 {
				return
			}
			deliver(buf[:n])
		}
	}
	if err := HandleInterrupt(com1Vector, isr); err != nil {
		return err
	}
	gsi, activeLow, level := ISAToGSI(com1IRQ)
	if err := Route(gsi, com1Vector, BootCPU(), activeLow, level); err != nil {
		return err
	}
	// PC16550D section 8.6 (FCR), 8.5 (IER), 8.8 (MCR). Turning the
	// FIFO on clears it: bytes that came before now are dropped, as no
	// one was reading. Enabling the interrupt last: a byte already
	// waiting raises it at once.
	outb(com1FCR, fcrEnable)
	outb(com1MCR, mcrDTR|mcrRTS|mcrOUT2)
	outb(com1IER, ierRDA)
	return nil
}
