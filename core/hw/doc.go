// Package hw is how Aero's code touches hardware: small interfaces that the
// platform implements over the real machine and that host tests fake
// (package hw/hwtest). Drivers take them as parameters and never reach for
// unsafe pointers or port instructions themselves, so a driver's logic is
// tested on the host against a scripted device.
//
//   - Range: a range of physical addresses, the one type every package uses
//     for memory map entries, NUMA memory ranges and register windows.
//   - PhysMemory: reads physical memory (ACPI tables, boot structures);
//     Pieces is one made of copies (the early boot snapshot, fixtures).
//   - Registers and MMIO: a device's register window, through memory-mapped
//     I/O or I/O ports, by offset from the window's start.
//   - IRQ: one device interrupt line: enable with a handler, mask, close.
//   - DMABuffer and DMAMemory: memory a device can reach, with its physical
//     address and alignment.
//
// The package is pure Go without unsafe: it builds and is tested on the
// host. On a booted kernel, core/platform gives the real implementations
// (platform.PhysMemory, MMIO, Ports, IRQLine) and core's Memory kind is a
// DMAMemory.
package hw
