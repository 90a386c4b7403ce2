package virtio

import (
	"bytes"
	"encoding/binary"
)

// mmioHID is the ACPI hardware ID of a virtio-mmio transport ("LNRO0005",
// as Linux's virtio_mmio driver matches it).
const mmioHID = "LNRO0005"

// MMIOFromDSDT finds the virtio-mmio devices a DSDT declares, as QEMU's
// microvm writes them (hw/i386/acpi-microvm.c): a Device with _HID
// "LNRO0005" whose _CRS resource template holds a Memory32Fixed
// descriptor (ACPI 6.5 §6.4.3.4, tag 0x86) for the registers and an
// Extended Interrupt descriptor (§6.4.3.6, tag 0x89) for the line. It is
// a scan of the AML bytes for that pattern, not an AML interpreter: each
// _HID string is followed to the first such pair of descriptors within
// the next 256 bytes. A declaration it cannot read is skipped.
func MMIOFromDSDT(aml []byte) []MMIODevice {
	var out []MMIODevice
	for off := 0; ; {
		i := bytes.Index(aml[off:], []byte(mmioHID))
		if i < 0 {
			return out
		}
		off += i + len(mmioHID)
		end := min(len(aml), off+256)
		if next := bytes.Index(aml[off:end], []byte(mmioHID)); next >= 0 {
			end = off + next
		}
		if d, ok := mmioResources(aml[off:end]); ok {
			out = append(out, d)
		}
	}
}

// mmioResources reads the first Memory32Fixed and Extended Interrupt
// descriptors in b.
func mmioResources(b []byte) (MMIODevice, bool) {
	le := binary.LittleEndian
	var d MMIODevice
	var mem, irq bool
	for i := 0; i < len(b); i++ {
		switch {
		// Memory32Fixed: 0x86, length 9 (u16), info, base u32, size u32.
		case !mem && b[i] == 0x86 && i+12 <= len(b) && le.Uint16(b[i+1:]) == 9:
			d.Base, d.Size = uint64(le.Uint32(b[i+4:])), uint64(le.Uint32(b[i+8:]))
			mem = d.Size > 0
			i += 11
		// Extended Interrupt: 0x89, length (u16, at least 6), flags,
		// count, then count u32 interrupt numbers.
		case mem && !irq && b[i] == 0x89 && i+9 <= len(b) && le.Uint16(b[i+1:]) >= 6 && b[i+4] >= 1:
			d.IRQ = le.Uint32(b[i+5:])
			irq = true
		}
	}
	return d, mem && irq
}
