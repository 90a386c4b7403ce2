//go:build tamago && amd64

package platform

import (
	"fmt"
	"unsafe"

	"github.com/aerokernel/aero/core/acpi"
)

// I/O APIC registers (Intel 82093AA datasheet, 3.0): an index register and
// a data window; the redirection table holds two 32-bit words per input.
const (
	ioregsel    = 0x00
	iowin       = 0x10
	ioapicVer   = 0x01
	ioredtbl    = 0x10
	redMasked   = 1 << 16
	redLevel    = 1 << 15
	redActiveLo = 1 << 13
)

// IOAPIC is one I/O APIC of the MADT.
type IOAPIC struct {
	ID      uint8
	Base    uintptr
	GSIBase uint32
	Inputs  int
}

func (io *IOAPIC) read(reg uint32) uint32 {
	*(*uint32)(unsafe.Pointer(io.Base + ioregsel)) = reg
	return *(*uint32)(unsafe.Pointer(io.Base + iowin))
}

func (io *IOAPIC) write(reg, v uint32) {
	*(*uint32)(unsafe.Pointer(io.Base + ioregsel)) = reg
	*(*uint32)(unsafe.Pointer(io.Base + iowin)) = v
}

var (
	ioapics   []*IOAPIC
	overrides []acpi.InterruptOverride
)

// IOAPICs returns the I/O APICs InitIOAPICs set up.
func IOAPICs() []*IOAPIC { return ioapics }

// InitIOAPICs finds the I/O APICs of the MADT and masks every input: no
// device interrupt arrives until a driver routes it (Route).
func InitIOAPICs(madt *acpi.MADT) error {
	ioapics, overrides = nil, madt.Overrides
	for _, m := range madt.IOAPICs {
		if m.Address < 3<<30 {
			// Only 3-4 GiB is mapped uncached, as MMIO must be.
			return fmt.Errorf("I/O APIC %d at %#x is outside the uncached MMIO window", m.ID, m.Address)
		}
		io := &IOAPIC{ID: m.ID, Base: uintptr(m.Address), GSIBase: m.GSIBase}
		io.Inputs = int(io.read(ioapicVer)>>16&0xff) + 1
		for i := 0; i < io.Inputs; i++ {
			io.write(ioredtbl+uint32(2*i), redMasked)
			io.write(ioredtbl+uint32(2*i)+1, 0)
		}
		ioapics = append(ioapics, io)
	}
	if len(ioapics) == 0 {
		return fmt.Errorf("the MADT lists no I/O APIC")
	}
	return nil
}

// ISAToGSI maps an ISA IRQ to its global system interrupt and polarity and
// trigger flags through the MADT's interrupt source overrides (identity,
// active high, edge, when there is none).
func ISAToGSI(irq uint8) (gsi uint32, activeLow, level bool) {
	for _, o := range overrides {
		if o.Source == irq {
			return o.GSI, o.Polarity() == acpi.PolarityActiveLow, o.Trigger() == acpi.TriggerLevel
		}
	}
	return uint32(irq), false, false
}

// Route delivers global system interrupt gsi as vector to the CPU with
// APIC ID dest (fixed delivery, physical destination), unmasked.
func Route(gsi uint32, vector uint8, dest uint32, activeLow, level bool) error {
	for _, io := range ioapics {
		if gsi < io.GSIBase || gsi >= io.GSIBase+uint32(io.Inputs) {
			continue
		}
		i := gsi - io.GSIBase
		lo := uint32(vector)
		if activeLow {
			lo |= redActiveLo
		}
		if level {
			lo |= redLevel
		}
		io.write(ioredtbl+2*i, redMasked)
		io.write(ioredtbl+2*i+1, dest<<24)
		io.write(ioredtbl+2*i, lo)
		return nil
	}
	return errNoIOAPIC(gsi)
}

func errNoIOAPIC(gsi uint32) error { return fmt.Errorf("no I/O APIC serves GSI %d", gsi) }

// ProcessorID returns the local APIC ID of the CPU the caller runs on.
func ProcessorID() uint64 { return CPU.ID() }
