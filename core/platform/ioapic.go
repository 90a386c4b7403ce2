//go:build tamago && amd64

package platform

import (
	"fmt"

	"github.com/aerokernel/aero/core/acpi"
	"github.com/aerokernel/aero/core/hw"
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

// ioapic is one I/O APIC of the MADT.
type ioapic struct {
	id      uint8
	regs    hw.MMIO
	gsiBase uint32
	inputs  int
}

// read and write go through the index register, so they must not
// interleave: InitIOAPICs runs alone at boot, and after it every access
// holds lines' lock (irq.go).
func (io *ioapic) read(reg uint32) uint32 {
	io.regs.Write32(ioregsel, reg)
	return io.regs.Read32(iowin)
}

func (io *ioapic) write(reg, v uint32) {
	io.regs.Write32(ioregsel, reg)
	io.regs.Write32(iowin, v)
}

func (io *ioapic) serves(gsi uint32) bool {
	return gsi >= io.gsiBase && gsi < io.gsiBase+uint32(io.inputs)
}

var (
	ioapics   []*ioapic
	overrides []acpi.InterruptOverride
)

// InitIOAPICs finds the I/O APICs of the MADT and masks every input: no
// device interrupt arrives until a driver routes it (Route, IRQLine).
func InitIOAPICs(madt *acpi.MADT) error {
	ioapics, overrides = nil, madt.Overrides
	for _, m := range madt.IOAPICs {
		regs, err := MMIO(m.Registers())
		if err != nil {
			return fmt.Errorf("I/O APIC %d: %v", m.ID, err)
		}
		io := &ioapic{id: m.ID, regs: regs, gsiBase: m.GSIBase}
		io.inputs = int(io.read(ioapicVer)>>16&0xff) + 1
		for i := 0; i < io.inputs; i++ {
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

func ioapicFor(gsi uint32) (*ioapic, error) {
	for _, io := range ioapics {
		if io.serves(gsi) {
			return io, nil
		}
	}
	return nil, fmt.Errorf("no I/O APIC serves GSI %d", gsi)
}

// Route delivers global system interrupt gsi as vector to the CPU with
// APIC ID dest (fixed delivery, physical destination), unmasked.
func Route(gsi uint32, vector uint8, dest uint32, activeLow, level bool) error {
	lines.Lock()
	defer lines.Unlock()
	return route(gsi, vector, dest, activeLow, level)
}

func route(gsi uint32, vector uint8, dest uint32, activeLow, level bool) error {
	io, err := ioapicFor(gsi)
	if err != nil {
		return err
	}
	i := gsi - io.gsiBase
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

// Mask stops global system interrupt gsi from being delivered.
func Mask(gsi uint32) error {
	lines.Lock()
	defer lines.Unlock()
	return mask(gsi)
}

func mask(gsi uint32) error {
	io, err := ioapicFor(gsi)
	if err != nil {
		return err
	}
	io.write(ioredtbl+2*(gsi-io.gsiBase), redMasked)
	return nil
}
