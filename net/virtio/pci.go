package virtio

import (
	"fmt"

	"github.com/aerokernel/aero/core/hw"
	"github.com/aerokernel/aero/core/pci"
)

// PCI IDs (virtio 1.2 §4.1.2): vendor 0x1af4; a modern device is 0x1040
// plus its device type, a transitional one 0x1000 to 0x103f.
const (
	PCIVendor           = 0x1af4
	PCINetModern        = 0x1041
	PCINetTransitional  = 0x1000
	deviceTypeNet       = 1
	pciCapCommon        = 1
	pciCapNotify        = 2
	pciCapISR           = 3
	pciCapDevice        = 4
	commonDeviceFeatSel = 0x00
	commonDeviceFeat    = 0x04
	commonDriverFeatSel = 0x08
	commonDriverFeat    = 0x0c
	commonNumQueues     = 0x12
	commonStatus        = 0x14
	commonGeneration    = 0x15
	commonQueueSelect   = 0x16
	commonQueueSize     = 0x18
	commonQueueMSIX     = 0x1a
	commonQueueEnable   = 0x1c
	commonQueueNotify   = 0x1e
	commonQueueDesc     = 0x20
	commonQueueDriver   = 0x28
	commonQueueDevice   = 0x30
	commonSize          = 0x38
	noMSIXVector        = 0xffff
)

// PCI is the modern virtio-pci transport (§4.1.4): the common, notify,
// ISR and device configuration structures that the function's vendor
// capabilities place in its BARs.
type PCI struct {
	fn         *pci.Function
	common     hw.Registers
	notify     hw.Registers
	notifyMult uint32
	isr        hw.Registers
	device     hw.Registers
}

// NewPCI finds the transport's structures through f's vendor-specific
// capabilities (the first of each type, §4.1.4) and maps their BARs with
// mapBAR (pci.Map on a booted kernel). It enables memory decoding and bus
// mastering on f.
func NewPCI(f *pci.Function, mapBAR func(pci.BAR) (hw.Registers, error)) (*PCI, error) {
	if f.VendorID != PCIVendor {
		return nil, fmt.Errorf("%w: %v is not a virtio function", ErrNoDevice, f.Addr)
	}
	t := &PCI{fn: f}
	windows := map[int]hw.Registers{}
	for _, c := range f.Find(pci.CapVendor) {
		if f.Read8(c.Offset+2) < 16 {
			return nil, fmt.Errorf("%w: %v: virtio capability at %#x is %d bytes, under 16", ErrDevice, f.Addr, c.Offset, f.Read8(c.Offset+2))
		}
		typ, barIdx := f.Read8(c.Offset+3), int(f.Read8(c.Offset+4))
		off, length := f.Read32(c.Offset+8), f.Read32(c.Offset+12)
		var dst *hw.Registers
		switch typ {
		case pciCapCommon:
			dst = &t.common
		case pciCapNotify:
			dst = &t.notify
			t.notifyMult = f.Read32(c.Offset + 16)
		case pciCapISR:
			dst = &t.isr
		case pciCapDevice:
			dst = &t.device
		default:
			continue
		}
		if *dst != nil {
			continue
		}
		bar, ok := f.BAR(barIdx)
		if !ok || bar.IO {
			return nil, fmt.Errorf("%w: %v: virtio structure %d in BAR %d, which is not a memory BAR", ErrDevice, f.Addr, typ, barIdx)
		}
		if uint64(off)+uint64(length) > bar.Size || length == 0 {
			return nil, fmt.Errorf("%w: %v: virtio structure %d at %#x+%#x outside BAR %d (%#x bytes)", ErrDevice, f.Addr, typ, off, length, barIdx, bar.Size)
		}
		w, ok := windows[barIdx]
		if !ok {
			var err error
			if w, err = mapBAR(bar); err != nil {
				return nil, fmt.Errorf("virtio: %v: %w", f.Addr, err)
			}
			windows[barIdx] = w
		}
		*dst = sub(w, int(off), int(length))
	}
	switch {
	case t.common == nil || t.notify == nil || t.isr == nil || t.device == nil:
		return nil, fmt.Errorf("%w: %v lacks a modern virtio capability (common, notify, ISR or device configuration): a legacy-only device", ErrNoDevice, f.Addr)
	case t.common.Size() < commonSize:
		return nil, fmt.Errorf("%w: %v: common configuration is %d bytes, under %d", ErrDevice, f.Addr, t.common.Size(), commonSize)
	}
	f.Enable(pci.CmdMemory | pci.CmdBusMaster)
	return t, nil
}

func (t *PCI) DeviceFeatures() uint64 {
	t.common.Write32(commonDeviceFeatSel, 0)
	lo := t.common.Read32(commonDeviceFeat)
	t.common.Write32(commonDeviceFeatSel, 1)
	return uint64(t.common.Read32(commonDeviceFeat))<<32 | uint64(lo)
}

func (t *PCI) SetDriverFeatures(f uint64) {
	t.common.Write32(commonDriverFeatSel, 0)
	t.common.Write32(commonDriverFeat, uint32(f))
	t.common.Write32(commonDriverFeatSel, 1)
	t.common.Write32(commonDriverFeat, uint32(f>>32))
}

func (t *PCI) Status() uint8 { return t.common.Read8(commonStatus) }

func (t *PCI) SetStatus(s uint8) {
	t.common.Write8(commonStatus, s)
	if s == 0 {
		// The reset is done when the status reads 0 again (§4.1.4.3.2).
		for t.common.Read8(commonStatus) != 0 {
		}
	}
}

func (t *PCI) QueueMax(q int) int {
	if q >= int(t.common.Read16(commonNumQueues)) {
		return 0
	}
	t.common.Write16(commonQueueSelect, uint16(q))
	return int(t.common.Read16(commonQueueSize))
}

func (t *PCI) SetQueue(q, size int, desc, driver, device uint64) error {
	if max := t.QueueMax(q); size > max {
		return fmt.Errorf("%w: queue %d of size %d: the device allows %d", ErrDevice, q, size, max)
	}
	t.common.Write16(commonQueueSelect, uint16(q))
	t.common.Write16(commonQueueSize, uint16(size))
	t.common.Write16(commonQueueMSIX, noMSIXVector) // INTx
	t.common.Write32(commonQueueDesc, uint32(desc))
	t.common.Write32(commonQueueDesc+4, uint32(desc>>32))
	t.common.Write32(commonQueueDriver, uint32(driver))
	t.common.Write32(commonQueueDriver+4, uint32(driver>>32))
	t.common.Write32(commonQueueDevice, uint32(device))
	t.common.Write32(commonQueueDevice+4, uint32(device>>32))
	t.common.Write16(commonQueueEnable, 1)
	return nil
}

func (t *PCI) Notify(q int) {
	t.common.Write16(commonQueueSelect, uint16(q))
	off := int(t.common.Read16(commonQueueNotify)) * int(t.notifyMult)
	t.notify.Write16(off, uint16(q))
}

func (t *PCI) InterruptStatus() uint8 { return t.isr.Read8(0) }
func (t *PCI) Config() hw.Registers   { return t.device }
func (t *PCI) Generation() uint8      { return t.common.Read8(commonGeneration) }

// Function is the PCI function the transport drives.
func (t *PCI) Function() *pci.Function { return t.fn }

// window is a part of a register window.
type window struct {
	r         hw.Registers
	off, size int
}

// sub returns size bytes of r from off as a window of its own.
func sub(r hw.Registers, off, size int) hw.Registers {
	hw.CheckAccess(r.Size(), off, 1)
	hw.CheckAccess(r.Size(), off+size-1, 1)
	return &window{r, off, size}
}

func (w *window) Size() int { return w.size }
func (w *window) at(off, width int) int {
	hw.CheckAccess(w.size, off, width)
	return w.off + off
}
func (w *window) Read8(off int) uint8       { return w.r.Read8(w.at(off, 1)) }
func (w *window) Read16(off int) uint16     { return w.r.Read16(w.at(off, 2)) }
func (w *window) Read32(off int) uint32     { return w.r.Read32(w.at(off, 4)) }
func (w *window) Write8(off int, v uint8)   { w.r.Write8(w.at(off, 1), v) }
func (w *window) Write16(off int, v uint16) { w.r.Write16(w.at(off, 2), v) }
func (w *window) Write32(off int, v uint32) { w.r.Write32(w.at(off, 4), v) }
