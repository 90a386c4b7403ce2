//go:build tamago && amd64

package e1000

import (
	"errors"
	"fmt"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/pci"
)

// Name is the driver's registry name.
const Name = "e1000"

func init() { core.RegisterNICDriver(Name, probe) }

// probe drives every 82540EM on PCI.
func probe(k *core.Kernel) ([]core.NIC, error) {
	bus, err := pci.Discover(k.ACPI)
	if err != nil {
		return nil, err
	}
	var nics []core.NIC
	var errs []error
	for _, f := range bus.Match(PCIVendor, PCIDevice) {
		n, err := probePCI(fmt.Sprintf("e1000_%d", len(nics)), f, k)
		if err != nil {
			errs = append(errs, fmt.Errorf("e1000: %v: %w", f.Addr, err))
			continue
		}
		nics = append(nics, n)
	}
	return nics, errors.Join(errs...)
}

func probePCI(name string, f *pci.Function, k *core.Kernel) (*NIC, error) {
	bar, ok := f.BAR(0)
	if !ok {
		return nil, errors.New("no BAR 0")
	}
	r, err := pci.MapMemory(bar)
	if err != nil {
		return nil, err
	}
	f.Enable(pci.CmdMemory | pci.CmdBusMaster)
	irq, err := f.INTx()
	if err != nil {
		return nil, err
	}
	n, err := New(name, r, irq, k.Memory)
	if err != nil {
		irq.Close()
		return nil, err
	}
	return n, nil
}
