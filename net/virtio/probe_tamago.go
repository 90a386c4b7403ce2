//go:build tamago && amd64

package virtio

import (
	"errors"
	"fmt"
	"slices"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/acpi"
	"github.com/aerokernel/aero/core/hw"
	"github.com/aerokernel/aero/core/pci"
	"github.com/aerokernel/aero/core/platform"
)

// Name is the driver's registry name.
const Name = "virtio"

func init() { core.RegisterNICDriver(Name, probe) }

// probe finds every virtio network device: on PCI (modern or transitional
// functions with the modern capabilities) and on virtio-mmio, as the
// kernel command line (virtio_mmio.device=) or the DSDT (QEMU's microvm
// with ACPI, which appends nothing to the command line) lists them.
func probe(k *core.Kernel) ([]core.NIC, error) {
	var nics []core.NIC
	var errs []error
	name := func() string { return fmt.Sprintf("virtio%d", len(nics)) }
	if bus, err := pci.Discover(k.ACPI); err != nil {
		errs = append(errs, err)
	} else {
		for _, f := range bus.Functions {
			if f.VendorID != PCIVendor || !(f.DeviceID == PCINetModern || f.DeviceID == PCINetTransitional && f.Subsystem == deviceTypeNet) {
				continue
			}
			n, err := probePCI(name(), f, k.Memory)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			nics = append(nics, n)
		}
	}
	devs, err := MMIODevices(k.CommandLine)
	if err != nil {
		errs = append(errs, err)
	}
	if k.ACPI != nil && k.ACPI.DSDT != nil && k.ACPI.DSDT.Err == nil {
		_, aml, err := acpi.ReadTable(platform.PhysMemory(), k.ACPI.DSDT.Addr, "DSDT")
		if err != nil {
			errs = append(errs, fmt.Errorf("virtio: DSDT: %w", err))
		}
		for _, d := range MMIOFromDSDT(aml) {
			if !slices.ContainsFunc(devs, func(c MMIODevice) bool { return c.Base == d.Base }) {
				devs = append(devs, d)
			}
		}
	}
	for _, d := range devs {
		n, err := probeMMIO(name(), d, k.Memory)
		if errors.Is(err, errNotNet) {
			continue // another kind of virtio device, or an empty slot
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		nics = append(nics, n)
	}
	return nics, errors.Join(errs...)
}

func probePCI(name string, f *pci.Function, mem hw.DMAMemory) (*Net, error) {
	t, err := NewPCI(f, pci.Map)
	if err != nil {
		return nil, err
	}
	irq, err := f.INTx()
	if err != nil {
		return nil, fmt.Errorf("virtio: %v: %w", f.Addr, err)
	}
	n, err := NewNet(name, t, irq, mem)
	if err != nil {
		irq.Close()
		return nil, err
	}
	return n, nil
}

func probeMMIO(name string, d MMIODevice, mem hw.DMAMemory) (*Net, error) {
	r, err := platform.MMIO(hw.Range{Base: d.Base, Size: d.Size})
	if err != nil {
		return nil, fmt.Errorf("virtio-mmio at %#x: %w", d.Base, err)
	}
	t, typ, err := NewMMIO(r)
	if err != nil {
		return nil, fmt.Errorf("virtio-mmio at %#x: %w", d.Base, err)
	}
	if typ != deviceTypeNet {
		return nil, errNotNet
	}
	// The device holds its interrupt high while the interrupt status is
	// set: a level-triggered, active-high input (QEMU's microvm DSDT
	// declares its virtio-mmio interrupts so).
	gsi := d.IRQ
	if d.IRQ < 16 {
		gsi, _, _ = platform.ISAToGSI(uint8(d.IRQ))
	}
	irq, err := platform.IRQLine(gsi, false, true)
	if err != nil {
		return nil, fmt.Errorf("virtio-mmio at %#x: %w", d.Base, err)
	}
	n, err := NewNet(name, t, irq, mem)
	if err != nil {
		irq.Close()
		return nil, err
	}
	return n, nil
}

// errNotNet is probeMMIO's error for a transport with another kind of
// device (or none: an empty slot).
var errNotNet = errors.New("virtio: not a network device")
