//go:build tamago && amd64

package platform

import _ "unsafe" // go:linkname

// COM1, a 16550 UART (PC16550D datasheet, section 8: register map).
const (
	com1    = 0x3f8
	com1THR = com1 + 0 // transmitter holding register
	com1LSR = com1 + 5 // line status register
	lsrTHRE = 1 << 5   // THR empty
)

// printk writes one byte to COM1 for the runtime's print and for early
// boot. It runs before the runtime is up and inside print, so it polls the
// UART with no stack growth or allocation. QEMU's UART transmits without
// set-up.
//
//go:linkname printk runtime/goos.Printk
//go:nosplit
func printk(c byte) {
	if c == '\n' {
		txByte('\r') // a terminal reading the console expects CR LF
	}
	txByte(c)
}

//go:nosplit
func txByte(c byte) {
	for inb(com1LSR)&lsrTHRE == 0 {
	}
	outb(com1THR, c)
}
