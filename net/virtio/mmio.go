package virtio

import (
	"fmt"

	"github.com/aerokernel/aero/core/hw"
)

// MMIO transport registers, version 2 (virtio 1.2 §4.2.2).
const (
	mmioMagic         = 0x000 // "virt"
	mmioVersion       = 0x004
	mmioDeviceID      = 0x008
	mmioDeviceFeat    = 0x010
	mmioDeviceFeatSel = 0x014
	mmioDriverFeat    = 0x020
	mmioDriverFeatSel = 0x024
	mmioQueueSel      = 0x030
	mmioQueueNumMax   = 0x034
	mmioQueueNum      = 0x038
	mmioQueueReady    = 0x044
	mmioQueueNotify   = 0x050
	mmioIntStatus     = 0x060
	mmioIntACK        = 0x064
	mmioStatus        = 0x070
	mmioQueueDesc     = 0x080
	mmioQueueDriver   = 0x090
	mmioQueueDevice   = 0x0a0
	mmioGeneration    = 0x0fc
	mmioConfig        = 0x100
	mmioMagicValue    = 0x74726976
)

// MMIO is the virtio-mmio transport, version 2.
type MMIO struct {
	r hw.Registers
}

// NewMMIO checks the register window r for a version 2 virtio-mmio
// device and returns its transport and device type (1 for a network
// card; 0 for an empty slot, which QEMU's microvm has many of). A legacy
// (version 1) device is refused: QEMU offers version 2 unless
// virtio-mmio's force-legacy property is on.
func NewMMIO(r hw.Registers) (*MMIO, uint32, error) {
	if r.Size() < mmioConfig {
		return nil, 0, fmt.Errorf("%w: virtio-mmio window of %d bytes, under %d", ErrDevice, r.Size(), mmioConfig)
	}
	if m := r.Read32(mmioMagic); m != mmioMagicValue {
		return nil, 0, fmt.Errorf("%w: magic %#x is not virtio-mmio's", ErrNoDevice, m)
	}
	if v := r.Read32(mmioVersion); v != 2 {
		return nil, 0, fmt.Errorf("%w: virtio-mmio version %d (want 2; a legacy device: QEMU's force-legacy=on)", ErrNoDevice, v)
	}
	return &MMIO{r: r}, r.Read32(mmioDeviceID), nil
}

func (t *MMIO) DeviceFeatures() uint64 {
	t.r.Write32(mmioDeviceFeatSel, 0)
	lo := t.r.Read32(mmioDeviceFeat)
	t.r.Write32(mmioDeviceFeatSel, 1)
	return uint64(t.r.Read32(mmioDeviceFeat))<<32 | uint64(lo)
}

func (t *MMIO) SetDriverFeatures(f uint64) {
	t.r.Write32(mmioDriverFeatSel, 0)
	t.r.Write32(mmioDriverFeat, uint32(f))
	t.r.Write32(mmioDriverFeatSel, 1)
	t.r.Write32(mmioDriverFeat, uint32(f>>32))
}

func (t *MMIO) Status() uint8 { return uint8(t.r.Read32(mmioStatus)) }

func (t *MMIO) SetStatus(s uint8) {
	t.r.Write32(mmioStatus, uint32(s))
	if s == 0 {
		for t.r.Read32(mmioStatus) != 0 {
		}
	}
}

func (t *MMIO) QueueMax(q int) int {
	t.r.Write32(mmioQueueSel, uint32(q))
	if t.r.Read32(mmioQueueReady) != 0 {
		return 0 // in use: not ours to set up
	}
	return int(t.r.Read32(mmioQueueNumMax))
}

func (t *MMIO) SetQueue(q, size int, desc, driver, device uint64) error {
	if max := t.QueueMax(q); size > max {
		return fmt.Errorf("%w: queue %d of size %d: the device allows %d", ErrDevice, q, size, max)
	}
	t.r.Write32(mmioQueueSel, uint32(q))
	t.r.Write32(mmioQueueNum, uint32(size))
	for _, a := range []struct {
		off int
		v   uint64
	}{{mmioQueueDesc, desc}, {mmioQueueDriver, driver}, {mmioQueueDevice, device}} {
		t.r.Write32(a.off, uint32(a.v))
		t.r.Write32(a.off+4, uint32(a.v>>32))
	}
	t.r.Write32(mmioQueueReady, 1)
	return nil
}

func (t *MMIO) Notify(q int) { t.r.Write32(mmioQueueNotify, uint32(q)) }

// InterruptStatus reads the status and acknowledges what it read, which
// lowers the interrupt (§4.2.2: InterruptACK).
func (t *MMIO) InterruptStatus() uint8 {
	s := t.r.Read32(mmioIntStatus)
	if s != 0 {
		t.r.Write32(mmioIntACK, s)
	}
	return uint8(s)
}

func (t *MMIO) Config() hw.Registers { return sub(t.r, mmioConfig, t.r.Size()-mmioConfig) }
func (t *MMIO) Generation() uint8    { return uint8(t.r.Read32(mmioGeneration)) }
