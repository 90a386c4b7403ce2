// Package virtio is Aero's virtio-net driver (Virtual I/O Device
// Specification 1.2, "virtio 1.2" below): the modern PCI transport (§4.1,
// QEMU's virtio-net-pci on q35 and pc) and the MMIO transport version 2
// (§4.2, virtio-net-device on microvm), split virtqueues (§2.7), and the
// network device (§5.1) behind core's NIC contract.
//
// Layers, each behind a small interface so the ring and device logic is
// tested on the host against a fake device:
//
//   - Transport: feature negotiation, status, queue setup, notification and
//     interrupt status, the device configuration window. PCI (NewPCI, over a
//     pci.Function's vendor capabilities and BAR windows) and MMIO (NewMMIO,
//     over a register window).
//   - Queue: one split virtqueue in one DMA buffer, one descriptor per
//     buffer (no chains, no indirect descriptors), with every index the
//     device hands back checked: a device that returns a descriptor it does
//     not own, or a length past the buffer, gets the frame dropped and
//     counted, never memory corruption.
//   - Net: the NIC. Features: VERSION_1, MAC, STATUS, MRG_RXBUF, CSUM (the
//     device completes TCP and UDP checksums the stack leaves to it) and
//     GUEST_CSUM (received frames the device vouches for skip the stack's
//     check). Receive is interrupt-driven: the interrupt handler reads the
//     interrupt status (which quiets a level-triggered line) and wakes the
//     NIC's receive goroutine, which drains both rings.
//
// On a booted kernel the driver registers as "virtio" (core.RegisterNICDriver)
// and finds its devices on PCI (core/pci) and the virtio-mmio devices that
// the kernel command line (virtio_mmio.device=<size>@<base>:<irq>, Linux's
// syntax) or the DSDT (MMIOFromDSDT: QEMU's microvm with ACPI declares
// them there and appends nothing to the command line) lists.
package virtio
