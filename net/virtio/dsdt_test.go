package virtio

import (
	"encoding/binary"
	"testing"
)

// amlDevice is the AML QEMU's microvm writes for one virtio-mmio
// transport: Device (VRnn) { _HID "LNRO0005", _UID n, _CCA 1, _CRS
// { Memory32Fixed (ReadWrite, base, size), Interrupt (Level, ActiveHigh,
// Exclusive) { irq } } }, byte for byte the shape of the encoding.
func amlDevice(n int, base, size, irq uint32) []byte {
	b := []byte{0x5b, 0x82, 0x3a, 'V', 'R', '0', byte('0' + n)}
	b = append(b, 0x08, '_', 'H', 'I', 'D', 0x0d)
	b = append(b, "LNRO0005"...)
	b = append(b, 0, 0x08, '_', 'U', 'I', 'D', 0x0a, byte(n), 0x08, '_', 'C', 'C', 'A', 0x01)
	b = append(b, 0x08, '_', 'C', 'R', 'S', 0x11, 0x1a, 0x0a, 0x17)
	m := make([]byte, 12)
	m[0], m[1], m[3] = 0x86, 9, 1
	binary.LittleEndian.PutUint32(m[4:], base)
	binary.LittleEndian.PutUint32(m[8:], size)
	b = append(b, m...)
	x := make([]byte, 9)
	x[0], x[1], x[3], x[4] = 0x89, 6, 0x09, 1
	binary.LittleEndian.PutUint32(x[5:], irq)
	return append(append(b, x...), 0x79, 0)
}

func TestMMIOFromDSDT(t *testing.T) {
	aml := append([]byte("DSDT header and other devices \x86\x09"), amlDevice(0, 0xfeb00e00, 512, 23)...)
	aml = append(aml, amlDevice(1, 0xfeb00c00, 512, 22)...)
	// A _HID without resources, and one cut off, are skipped.
	aml = append(aml, []byte("\x08_HID\x0dLNRO0005\x00 nothing")...)
	aml = append(aml, amlDevice(2, 0xfeb00a00, 512, 21)[:40]...)
	got := MMIOFromDSDT(aml)
	want := []MMIODevice{{0xfeb00e00, 512, 23}, {0xfeb00c00, 512, 22}}
	if len(got) != len(want) {
		t.Fatalf("%+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("device %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

func FuzzMMIOFromDSDT(f *testing.F) {
	f.Add(amlDevice(0, 0xfeb00e00, 512, 23))
	f.Add([]byte("LNRO0005\x86\x09\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, d := range MMIOFromDSDT(b) {
			if d.Size == 0 {
				t.Errorf("device of size 0: %+v", d)
			}
		}
	})
}

func TestMMIODevices(t *testing.T) {
	got, err := MMIODevices("a=b virtio_mmio.device=512@0xfeb00e00:12 virtio_mmio.device=4K@0x1000:5")
	if err != nil || len(got) != 2 || got[0] != (MMIODevice{0xfeb00e00, 512, 12}) || got[1] != (MMIODevice{0x1000, 4096, 5}) {
		t.Errorf("%+v, %v", got, err)
	}
	for _, bad := range []string{"virtio_mmio.device=512", "virtio_mmio.device=x@0x1000:5", "virtio_mmio.device=0@0x1000:5", "virtio_mmio.device=512@0x1000:300"} {
		if _, err := MMIODevices(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
