package core

import "errors"

// NICCaps is what a NIC can do (gVisor's MTU and
// LinkEndpointCapabilities).
type NICCaps struct {
	// MTU is the largest payload after the 14-byte Ethernet header (1500
	// for standard Ethernet).
	MTU int
	// TxChecksum: the device fills in the IPv4, TCP and UDP checksums of
	// frames it sends, so the stack may leave them unset
	// (CapabilityTXChecksumOffload).
	TxChecksum bool
	// RxChecksum: the device verifies received checksums and Receive's
	// checksumOK says a frame passed (CapabilityRXChecksumOffload).
	RxChecksum bool
	// TxQueue is how many frames the transmit ring holds: the most one
	// Transmit can take.
	TxQueue int
}

// NICHandler is what a NIC delivers to, from its receive goroutine (see
// NIC): the network stack's side, gVisor's NetworkDispatcher plus link and
// queue events.
type NICHandler interface {
	// Receive is called with each received frame, valid only during the
	// call. checksumOK is true only when the NIC has RxChecksum and the
	// device verified the frame's checksums.
	Receive(frame []byte, checksumOK bool)
	// LinkChanged is called with the new link state.
	LinkChanged(up bool)
	// TransmitReady is called once after a Transmit returned
	// ErrTransmitFull, when the ring has room again.
	TransmitReady()
}

// NICStats counts a NIC's traffic since it was made.
type NICStats struct {
	TxFrames, TxBytes uint64 // sent
	TxErrors          uint64 // taken by Transmit but not sent
	RxFrames, RxBytes uint64 // delivered to Receive
	RxDropped         uint64 // received but not delivered (ring overrun, Close)
}

// Errors of NICs and block devices; a driver's errors wrap them.
var (
	ErrAttached     = errors.New("core: NIC already attached")
	ErrNotAttached  = errors.New("core: NIC not attached")
	ErrTransmitFull = errors.New("core: NIC transmit ring full")
	ErrLinkDown     = errors.New("core: NIC link down")
	ErrFrameSize    = errors.New("core: frame size outside the NIC's limits")
	ErrUnaligned    = errors.New("core: block I/O not aligned to the sector size")
	ErrOutOfRange   = errors.New("core: block I/O outside the device")
	ErrReadOnly     = errors.New("core: block device is read-only")
)
