//go:build tamago && amd64

package pci

import (
	"errors"
	"fmt"
	"sync"

	"github.com/aerokernel/aero/core/acpi"
	"github.com/aerokernel/aero/core/hw"
	"github.com/aerokernel/aero/core/platform"
)

var system struct {
	once sync.Once
	bus  *Bus
	err  error
}

// Discover scans the machine's PCI functions once and returns the same
// Bus to every caller (drivers and the shell share one scan): through
// ECAM when the ACPI tables have a MCFG (its first region: segment 0) and
// platform.MMIO maps the region uncached, else through mechanism #1 at
// ports 0xCF8-0xCFF (segment 0, 256 bytes per function). QEMU's q35 puts
// ECAM at 0xb0000000, inside the identity map's cached first 3 GiB: there
// the scan uses the ports, and Bus.Errors says why. It returns an error
// when neither mechanism can be set up; a machine without PCI (microvm)
// scans to no functions.
func Discover(t *acpi.Tables) (*Bus, error) {
	system.once.Do(func() { system.bus, system.err = discover(t) })
	return system.bus, system.err
}

func discover(t *acpi.Tables) (*Bus, error) {
	var ecamErr error
	if t != nil && t.MCFG != nil && len(t.MCFG.Regions) > 0 {
		r := t.MCFG.Regions[0]
		w, err := platform.MMIO(r.Range())
		if err == nil {
			return Scan(&ECAM{Regs: w, Segment: r.Segment, StartBus: r.StartBus, EndBus: r.EndBus}, "ecam", r.Segment, r.StartBus, r.EndBus), nil
		}
		ecamErr = fmt.Errorf("pci: ECAM of segment %d, buses %d-%d not used: %w", r.Segment, r.StartBus, r.EndBus, err)
	}
	p, err := platform.Ports(0xcf8, 8)
	if err != nil {
		return nil, errors.Join(ecamErr, fmt.Errorf("pci: configuration ports: %w", err))
	}
	b := Scan(&Ports{Regs: p}, "ports", 0, 0, 255)
	if ecamErr != nil {
		b.Errors = append([]error{ecamErr}, b.Errors...)
	}
	return b, nil
}

// Map returns BAR b as a register window: a memory BAR through
// platform.MMIO (mapped uncached: a BAR the firmware placed in RAM's
// cached range is an error), an I/O BAR through platform.Ports. Memory
// decoding (or I/O decoding) must be enabled on the function
// (Function.Enable) for the window to reach the device.
func Map(b BAR) (hw.Registers, error) {
	if b.IO {
		if b.Base+b.Size > 1<<16 {
			return nil, fmt.Errorf("pci: %v is outside the I/O port space", b)
		}
		return platform.Ports(uint16(b.Base), int(b.Size))
	}
	return MapMemory(b)
}

// MapMemory is Map for a memory BAR, with the 64-bit accesses of hw.MMIO.
func MapMemory(b BAR) (hw.MMIO, error) {
	if b.IO {
		return nil, fmt.Errorf("pci: %v is an I/O BAR, not memory", b)
	}
	if b.Base == 0 {
		return nil, fmt.Errorf("pci: %v was not assigned an address by the firmware", b)
	}
	return platform.MMIO(hw.Range{Base: b.Base, Size: b.Size})
}

// INTx returns the function's legacy interrupt as an IRQ line: the
// I/O APIC input of the 8259 IRQ the firmware routed its pin to and
// wrote in the interrupt line register (SeaBIOS does, on pc and q35;
// QEMU raises that ISA input and, on q35, also GSI 16-23). PCI
// interrupts are level-triggered, and QEMU's ACPI tables declare its
// link devices active-high (their _PRS).
func (f *Function) INTx() (hw.IRQ, error) {
	if f.IntPin == 0 {
		return nil, fmt.Errorf("pci: %v uses no interrupt pin", f.Addr)
	}
	if f.IntLine == 0 || f.IntLine >= 16 {
		return nil, fmt.Errorf("pci: %v: interrupt line %d: the firmware routed no IRQ", f.Addr, f.IntLine)
	}
	gsi, _, _ := platform.ISAToGSI(f.IntLine)
	return platform.IRQLine(gsi, false, true)
}
