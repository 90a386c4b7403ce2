//go:build tamago

// Package board is the smoke kernel's minimal board support for QEMU
// (microvm, also q35/pc) under TCG or KVM: the runtime/goos hooks tamago's
// amd64 package leaves to a board (Hwinit1, Printk, Nanotime, RamSize), a
// TSC clock calibrated against the PIT, exit through isa-debug-exit, and
// SMP bring-up. Importing it is enough.
//
// tamago's amd64 package already provides Hwinit0, InitRNG and
// GetRandomData (RDRAND), RamStart (0x10000000) and RamStackOffset.
package board

import (
	"runtime"
	"runtime/goos"
	_ "unsafe"

	"github.com/usbarmory/tamago/amd64"
)

// RAMSize is the Go heap's share of guest memory, from amd64's RamStart
// (0x10000000): 768 MiB, so the guest needs -m 1G or more.
const RAMSize = 0x30000000

//go:linkname ramSize runtime/goos.RamSize
var ramSize uint64 = RAMSize

// CPU is the bootstrap processor.
var CPU = &amd64.CPU{}

// Legacy 8259 PIC data ports (Intel 8259A datasheet, OCW1): writing 0xff
// masks every line.
const (
	pic1Data = 0x21
	pic2Data = 0xa1
)

// hwinit1 runs once the runtime's world has started, before package inits.
//
//go:linkname hwinit1 runtime/goos.Hwinit1
func hwinit1() {
	// Firmware may leave the PIC delivering the PIT's IRQ0 at a vector
	// that is a CPU exception; nothing here uses the PIC.
	outb(pic1Data, 0xff)
	outb(pic2Data, 0xff)

	CPU.Init()
	// Accept interrupts on the boot CPU's local APIC (software-disabled
	// at reset when no firmware ran, as with PVH boot): the runtime halts
	// idle CPUs and wakes them with an IPI (goos.Wake).
	CPU.LAPIC.Enable()
	calibrateClock()
	goos.Exit = exit
}

func init() {
	// Panic with a vector number rather than triple-fault on a CPU exception.
	CPU.EnableExceptions()
	// Start every application processor; GOMAXPROCS follows, and
	// runtime.NumCPU reports what came up.
	CPU.InitSMP(-1)
	runtime.SetNumCPU(runtime.GOMAXPROCS(0))
}

// ProcessorID returns the local APIC ID of the processor the caller runs on.
func ProcessorID() uint64 {
	return CPU.ID()
}

// DebugExitPort is where QEMU's isa-debug-exit device listens (the harness
// adds -device isa-debug-exit,iobase=0xf4,iosize=0x04).
const DebugExitPort = 0xf4

// exit ends the machine: through isa-debug-exit, which makes QEMU exit with
// status (code<<1)|1, or, without that device, by a triple fault, which ends
// QEMU under -no-reboot.
//
//go:nosplit
func exit(code int32) {
	outl(DebugExitPort, uint32(code))
	amd64.Fault()
	haltForever()
}

// defined in cpu_amd64.s
func inb(port uint16) uint8
func outb(port uint16, v uint8)
func outl(port uint16, v uint32)
func rdtsc() uint64
func haltForever()
