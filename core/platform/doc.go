// Package platform is Aero's machine layer for QEMU's q35, pc and microvm
// (and PC-compatible hardware) on tamago's amd64 package: the CPU entry
// (cpuinit), boot information from PVH or multiboot2, the Go heap sized from
// the memory map, the console UART, a calibrated TSC clock, interrupt
// controllers and SMP.
//
// It only builds for GOOS=tamago with the build tag linkcpuinit (the image
// tool sets it), which replaces tamago's own cpuinit with Aero's.
package platform
