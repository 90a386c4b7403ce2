package virtio

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/aerokernel/aero/core/hw"
	"github.com/aerokernel/aero/core/hw/hwtest"
	"github.com/aerokernel/aero/core/pci"
	"github.com/aerokernel/aero/core/pci/pcitest"
)

// virtioCap is a virtio PCI capability body (after ID and next): cap_len,
// cfg_type, bar, id, padding, offset, length (virtio 1.2 §4.1.4), and for
// the notify capability the multiplier.
func virtioCap(typ, bar uint8, off, length uint32, mult ...uint32) pcitest.Cap {
	b := make([]byte, 14)
	b[0], b[1], b[2] = 16, typ, bar
	binary.LittleEndian.PutUint32(b[6:], off)
	binary.LittleEndian.PutUint32(b[10:], length)
	if len(mult) > 0 {
		b[0] = 20
		b = binary.LittleEndian.AppendUint32(b, mult[0])
	}
	return pcitest.Cap{ID: pci.CapVendor, Body: b}
}

// qemuLike is a virtio-net function laid out as QEMU's: common at
// 0x0000, ISR at 0x1000, device at 0x2000, notify at 0x3000 (multiplier
// 4), all in the 16 KiB BAR 4.
func qemuLike(t *testing.T) (*pci.Function, *hwtest.Regs) {
	cfg := pcitest.New()
	f := cfg.Add(pci.Addr{Device: 2}, pcitest.Header{Vendor: PCIVendor, Device: PCINetTransitional, Class: 2, IntPin: 1, IntLine: 11})
	f.IOBAR(0, 0xc040, 32)
	f.MemBAR64(4, 0xfe000000, 0x4000, true)
	f.Caps(virtioCap(pciCapCommon, 4, 0, 0x1000), virtioCap(pciCapISR, 4, 0x1000, 0x1000),
		virtioCap(pciCapDevice, 4, 0x2000, 0x1000), virtioCap(pciCapNotify, 4, 0x3000, 0x1000, 4))
	b := pci.Scan(cfg, "ecam", 0, 0, 0)
	if len(b.Errors) != 0 || len(b.Functions) != 1 {
		t.Fatalf("scan: %v %v", b.Functions, b.Errors)
	}
	return b.Functions[0], hwtest.NewRegs(0x4000)
}

func TestPCITransport(t *testing.T) {
	f, bar := qemuLike(t)
	mapped := 0
	tr, err := NewPCI(f, func(b pci.BAR) (hw.Registers, error) {
		mapped++
		if b.Index != 4 {
			t.Errorf("mapped BAR %d", b.Index)
		}
		return bar, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if mapped != 1 {
		t.Errorf("BAR 4 mapped %d times", mapped)
	}
	if f.Read16(pci.RegCommand)&(pci.CmdMemory|pci.CmdBusMaster) != pci.CmdMemory|pci.CmdBusMaster {
		t.Error("memory decoding and bus mastering not enabled")
	}
	// The feature window: select 0 shows the low word, 1 the high.
	bar.OnRead(commonDeviceFeat, func() uint64 {
		if bar.Get(commonDeviceFeatSel, 4) == 1 {
			return 1 // VERSION_1
		}
		return NetFeatureMAC
	})
	if got := tr.DeviceFeatures(); got != FeatureVersion1|NetFeatureMAC {
		t.Errorf("features %#x", got)
	}
	bar.Set(commonNumQueues, 2, 2)
	bar.Set(commonQueueSize, 2, 256)
	bar.Set(commonQueueNotify, 2, 1) // queue 1 notifies at 1*4
	if err := tr.SetQueue(1, 512, 0x1000, 0x2000, 0x3000); !errors.Is(err, ErrDevice) {
		t.Errorf("queue larger than the device allows: %v", err)
	}
	bar.ClearAccesses()
	if err := tr.SetQueue(1, 256, 0x11223344_55667788, 0x2000, 0x3000); err != nil {
		t.Fatal(err)
	}
	if bar.Get(commonQueueDesc, 4) != 0x55667788 || bar.Get(commonQueueDesc+4, 4) != 0x11223344 || bar.Get(commonQueueEnable, 2) != 1 || bar.Get(commonQueueMSIX, 2) != noMSIXVector {
		t.Errorf("queue registers: %v", bar.Accesses())
	}
	if tr.QueueMax(2) != 0 {
		t.Error("queue 2 of 2 exists")
	}
	bar.ClearAccesses()
	tr.Notify(1)
	acc := bar.Accesses()
	if last := acc[len(acc)-1]; last.String() != "w16 0x3004 0x1" {
		t.Errorf("notify: %v", acc)
	}
	bar.Set(0x1000, 1, 3)
	if tr.InterruptStatus() != 3 {
		t.Error("ISR")
	}
	bar.Set(0x2000, 1, 0x52)
	if tr.Config().Read8(0) != 0x52 || tr.Config().Size() != 0x1000 {
		t.Error("device configuration window")
	}
}

func TestPCITransportMissing(t *testing.T) {
	cfg := pcitest.New()
	f := cfg.Add(pci.Addr{Device: 3}, pcitest.Header{Vendor: PCIVendor, Device: PCINetTransitional})
	f.MemBAR(1, 0xfebd1000, 0x1000)
	f.Caps(virtioCap(pciCapCommon, 1, 0, 0x100), virtioCap(pciCapISR, 1, 0x800, 0x100), virtioCap(pciCapNotify, 1, 0xf00, 0x200, 4))
	b := pci.Scan(cfg, "ecam", 0, 0, 0)
	m := func(pci.BAR) (hw.Registers, error) { return hwtest.NewRegs(0x1000), nil }
	if _, err := NewPCI(b.Functions[0], m); !errors.Is(err, ErrDevice) || !strings.Contains(err.Error(), "outside BAR 1") {
		t.Errorf("notify past the BAR: %v", err)
	}
	f.Caps(virtioCap(pciCapCommon, 1, 0, 0x100))
	b = pci.Scan(cfg, "ecam", 0, 0, 0)
	if _, err := NewPCI(b.Functions[0], m); !errors.Is(err, ErrNoDevice) {
		t.Errorf("legacy-only: %v", err)
	}
}

func TestMMIOTransport(t *testing.T) {
	r := hwtest.NewRegs(0x200)
	if _, _, err := NewMMIO(r); !errors.Is(err, ErrNoDevice) {
		t.Errorf("no magic: %v", err)
	}
	r.Set(mmioMagic, 4, mmioMagicValue)
	r.Set(mmioVersion, 4, 1)
	if _, _, err := NewMMIO(r); !errors.Is(err, ErrNoDevice) || !strings.Contains(err.Error(), "legacy") {
		t.Errorf("version 1: %v", err)
	}
	r.Set(mmioVersion, 4, 2)
	r.Set(mmioDeviceID, 4, 1)
	tr, typ, err := NewMMIO(r)
	if err != nil || typ != 1 {
		t.Fatalf("%d, %v", typ, err)
	}
	r.Set(mmioQueueNumMax, 4, 128)
	if err := tr.SetQueue(0, 128, 0x1000, 0x2000, 0x1_0000_3000); err != nil {
		t.Fatal(err)
	}
	if r.Get(mmioQueueNum, 4) != 128 || r.Get(mmioQueueDevice, 4) != 0x3000 || r.Get(mmioQueueDevice+4, 4) != 1 || r.Get(mmioQueueReady, 4) != 1 {
		t.Error("queue registers")
	}
	if tr.QueueMax(0) != 0 {
		t.Error("a ready queue is offered again")
	}
	// InterruptStatus acknowledges what it read.
	r.Set(mmioIntStatus, 4, 3)
	r.ClearAccesses()
	if tr.InterruptStatus() != 3 {
		t.Error("interrupt status")
	}
	if acc := r.Accesses(); len(acc) != 2 || acc[1].String() != "w32 0x64 0x3" {
		t.Errorf("acknowledge: %v", acc)
	}
}
