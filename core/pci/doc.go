// Package pci enumerates PCI and PCI Express functions: configuration
// space through the Enhanced Configuration Access Mechanism (ECAM, the
// ACPI MCFG's regions) or configuration mechanism #1 (ports 0xCF8/0xCFC,
// on machines without a MCFG such as QEMU's pc), the bus/device/function
// walk through PCI-to-PCI bridges, identity and class, base address
// registers (sized, 32- or 64-bit, memory or I/O), the capability list
// (vendor-specific ones such as virtio's, MSI, MSI-X) and the legacy
// interrupt line and pin.
//
// Configuration space is reached through the Config interface and BARs
// are mapped through core/platform, so everything but Discover and Map
// is pure Go and tested on the host against a fake configuration space
// (package pci/pcitest).
//
// Listing: Bus.Functions is every function found, in bus/device/function
// order; Function.String is one line per function, as a shell's pci
// command prints it:
//
//	00:02.0 1af4:1041 network controller: ethernet (virtio) irq 11 pin A
//
// References: PCI Local Bus Specification 3.0 (§6: configuration space),
// PCI-to-PCI Bridge Architecture Specification 1.2 (§3.2: type 1 header),
// PCI Express Base Specification 4.0 (§7.2.2: ECAM).
package pci
