package virtio

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/aerokernel/aero/core/hw/hwtest"
)

func TestQueueLayout(t *testing.T) {
	ram := hwtest.NewRAM(0x200000, 1<<20)
	q, err := NewQueue(ram, 3, 8, 2048)
	if err != nil {
		t.Fatal(err)
	}
	desc, driver, device := q.Addresses()
	if desc != 0x200000 || driver != desc+8*16 || device != desc+4096 {
		t.Errorf("desc %#x driver %#x device %#x", desc, driver, device)
	}
	q.Give(5, 100, false)
	q.Give(2, 0, true)
	q.Publish()
	var d [16]byte
	ram.ReadAt(d[:], desc+5*16)
	if binary.LittleEndian.Uint64(d[:]) != q.bufs.PhysAt(5*2048) || binary.LittleEndian.Uint32(d[8:]) != 100 || binary.LittleEndian.Uint16(d[12:]) != 0 {
		t.Errorf("descriptor 5: %x", d)
	}
	ram.ReadAt(d[:], desc+2*16)
	if binary.LittleEndian.Uint32(d[8:]) != 2048 || binary.LittleEndian.Uint16(d[12:]) != descFlagWrite {
		t.Errorf("descriptor 2: %x", d)
	}
	var a [8]byte
	ram.ReadAt(a[:], driver)
	if binary.LittleEndian.Uint16(a[2:]) != 2 || binary.LittleEndian.Uint16(a[4:]) != 5 || binary.LittleEndian.Uint16(a[6:]) != 2 {
		t.Errorf("driver area %x", a)
	}
	if err := q.Free(); err != nil || ram.Outstanding() != 0 {
		t.Errorf("Free: %v, %d outstanding", err, ram.Outstanding())
	}
	for _, bad := range [][2]int{{0, 2048}, {3, 2048}, {65536, 2048}, {8, 0}, {8, 1 << 17}} {
		if _, err := NewQueue(ram, 0, bad[0], bad[1]); err == nil {
			t.Errorf("NewQueue(size %d, buffers %d) accepted", bad[0], bad[1])
		}
	}
}

// FuzzUsedRing plays a hostile device: whatever it writes in the used ring
// (entries and index), Next never hands back a slot the device did not
// hold, never a length past the buffer, and the driver's count of what the
// device holds stays true.
func FuzzUsedRing(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 60, 0, 0, 0}, uint16(1))
	f.Add([]byte{7, 0, 0, 0, 0, 16, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0}, uint16(2))
	f.Add([]byte{255, 255, 255, 255, 255, 255, 255, 255}, uint16(40000))
	f.Fuzz(func(t *testing.T, entries []byte, idx uint16) {
		ram := hwtest.NewRAM(0x100000, 1<<20)
		q, err := NewQueue(ram, 0, 8, 2048)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 6; i++ { // slots 6 and 7 stay the driver's
			q.Give(i, 0, true)
		}
		q.Publish()
		_, _, device := q.Addresses()
		for i := 0; i+8 <= len(entries) && i/8 < 8; i += 8 {
			ram.WriteAt(entries[i:i+8], device+4+uint64(i))
		}
		var b [2]byte
		binary.LittleEndian.PutUint16(b[:], idx)
		ram.WriteAt(b[:], device+2)
		held := map[int]bool{0: true, 1: true, 2: true, 3: true, 4: true, 5: true}
		for calls := 0; calls < 100; calls++ {
			slot, n, ok, err := q.Next()
			if !ok {
				break
			}
			if err != nil {
				if !errors.Is(err, ErrDevice) {
					t.Fatalf("error %v does not wrap ErrDevice", err)
				}
				if slot >= 0 {
					if !held[slot] || n != 0 {
						t.Fatalf("bad entry gave back slot %d (held %v), n %d", slot, held[slot], n)
					}
					delete(held, slot)
				}
				continue
			}
			if !held[slot] || n > 2048 {
				t.Fatalf("slot %d (held %v) with %d bytes", slot, held[slot], n)
			}
			delete(held, slot)
		}
		if q.Pending() != len(held) {
			t.Fatalf("pending %d, device holds %d", q.Pending(), len(held))
		}
		for i := 0; i < 8; i++ {
			if q.Owned(i) != held[i] {
				t.Fatalf("slot %d: owned %v, held %v", i, q.Owned(i), held[i])
			}
		}
	})
}
