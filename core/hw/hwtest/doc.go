// Package hwtest fakes the hardware interfaces of package hw for host
// tests of drivers: a register window that records every access and runs
// scripted device behaviour (Regs, for MMIO and I/O ports alike), an
// interrupt line the test fires (IRQ), and RAM that is both the physical
// memory a fake device reads and writes and the DMA allocator a driver
// takes (RAM).
//
// The fakes enforce the rules of the real implementations: Regs checks
// offsets and widths with hw.CheckAccess, RAM's DMA buffers are aligned
// page multiples and its Free refuses what it did not hand out, IRQ does
// not deliver while masked. They are deterministic: hooks and handlers
// run in the goroutine of the access or Fire that triggers them.
package hwtest
