package virtio

import (
	"errors"

	"github.com/aerokernel/aero/core/hw"
)

// Device status bits (virtio 1.2 §2.1).
const (
	StatusAcknowledge = 1
	StatusDriver      = 2
	StatusDriverOK    = 4
	StatusFeaturesOK  = 8
	StatusNeedsReset  = 64
	StatusFailed      = 128
)

// FeatureVersion1 is VIRTIO_F_VERSION_1 (§6): a modern device. The driver
// refuses devices without it.
const FeatureVersion1 = 1 << 32

// Interrupt status bits (§4.1.4.5, §4.2.2).
const (
	InterruptQueue  = 1
	InterruptConfig = 2
)

// Transport is how a driver reaches a virtio device (§4): PCI or MMIO.
type Transport interface {
	// DeviceFeatures returns the 64 feature bits the device offers.
	DeviceFeatures() uint64
	// SetDriverFeatures writes the features the driver accepts.
	SetDriverFeatures(f uint64)
	Status() uint8
	// SetStatus writes the device status; 0 resets the device, and
	// SetStatus(0) returns once the reset has completed.
	SetStatus(s uint8)
	// QueueMax is the largest size queue q may have; 0 if there is no
	// such queue.
	QueueMax(q int) int
	// SetQueue gives queue q its size and the physical addresses of its
	// descriptor table, driver (available) ring and device (used) ring,
	// and enables it.
	SetQueue(q, size int, desc, driver, device uint64) error
	// Notify tells the device that queue q has new buffers.
	Notify(q int)
	// InterruptStatus reads (and so acknowledges) the interrupt status:
	// InterruptQueue, InterruptConfig.
	InterruptStatus() uint8
	// Config is the device-specific configuration window; Generation
	// changes whenever the device changes it (§2.5.1).
	Config() hw.Registers
	Generation() uint8
}

// ErrDevice is the error of a device that does not behave as the
// specification says (refused features, impossible queue sizes).
var ErrDevice = errors.New("virtio: device misbehaves")

// ErrNoDevice is the error of a probe that found something that is not
// the virtio device it looked for.
var ErrNoDevice = errors.New("virtio: no such device")
