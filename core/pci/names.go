package pci

import (
	"fmt"
	"strings"
)

// classNames names the base classes (PCI Code and ID Assignment
// Specification 1.x, §1).
var classNames = map[uint8]string{
	0x00: "unclassified", 0x01: "mass storage controller", 0x02: "network controller",
	0x03: "display controller", 0x04: "multimedia controller", 0x05: "memory controller",
	0x06: "bridge", 0x07: "communication controller", 0x08: "system peripheral",
	0x09: "input device controller", 0x0c: "serial bus controller",
}

// subclassNames names the subclasses a QEMU machine shows.
var subclassNames = map[uint16]string{
	0x0100: "scsi", 0x0101: "ide", 0x0106: "sata", 0x0108: "nvme",
	0x0200: "ethernet", 0x0300: "vga",
	0x0600: "host bridge", 0x0601: "isa bridge", 0x0604: "pci bridge",
	0x0c03: "usb", 0x0c05: "smbus",
}

var vendorNames = map[uint16]string{0x8086: "intel", 0x1af4: "virtio", 0x1234: "qemu", 0x1b36: "redhat"}

// ClassName names a class code: "network controller: ethernet", or the
// numbers when the table does not know them.
func ClassName(class, subclass uint8) string {
	c, ok := classNames[class]
	if !ok {
		return fmt.Sprintf("class %02x.%02x", class, subclass)
	}
	if s, ok := subclassNames[uint16(class)<<8|uint16(subclass)]; ok {
		return c + ": " + s
	}
	return fmt.Sprintf("%s: subclass %02x", c, subclass)
}

// String is the function's one-line listing:
//
//	00:02.0 1af4:1041 network controller: ethernet (virtio) irq 11 pin A
func (f *Function) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v %04x:%04x %s", f.Addr, f.VendorID, f.DeviceID, ClassName(f.Class, f.Subclass))
	if v, ok := vendorNames[f.VendorID]; ok {
		fmt.Fprintf(&b, " (%s)", v)
	}
	if f.IntPin != 0 {
		fmt.Fprintf(&b, " irq %d pin %c", f.IntLine, 'A'+f.IntPin-1)
	}
	return b.String()
}

// Details are the function's BARs and capabilities, one per line, for a
// verbose listing.
func (f *Function) Details() []string {
	var out []string
	for _, b := range f.BARs {
		out = append(out, b.String())
	}
	for _, c := range f.Caps {
		name := map[uint8]string{CapMSI: "msi", CapVendor: "vendor", CapPCIe: "pcie", CapMSIX: "msi-x"}[c.ID]
		if name == "" {
			name = fmt.Sprintf("id %#02x", c.ID)
		}
		out = append(out, fmt.Sprintf("cap %s at %#x", name, c.Offset))
	}
	return out
}
