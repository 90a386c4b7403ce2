//go:build tamago && amd64

package platform

import (
	"unsafe"

	"github.com/usbarmory/tamago/amd64"
)

// The early IDT (see fault.go): 32 interrupt gates, to the handlers in
// fault_amd64.s.
var (
	earlyIDT  [32][2]uint64
	earlyIDTR [10]byte // limit u16, base u64 (SDM Vol. 3A, 6.10)
	// faultLock is taken by the first CPU that reports a fault.
	faultLock uint32
	// faultStack is what the report runs on.
	faultStack [faultStackSize]byte
)

const faultStackSize = 8 << 10

// lapicSVR is the local APIC's spurious-interrupt vector register, which
// apEarlyStart writes (Intel SDM Vol. 3A, 11.9).
const lapicSVR = amd64.LAPIC_SVR

// apCrash, set by early from crash=ap, makes every AP fault on purpose in
// apEarlyStart, before it runs Go.
var apCrash uint32

// installEarlyIDT fills the early IDT and loads it on the calling CPU.
//
//go:nosplit
func installEarlyIDT() {
	vectors, _ := earlyPCs()
	base := uint64(vectors)
	for v := range earlyIDT {
		h := base + uint64(v)*5
		// A 64-bit interrupt gate (SDM Vol. 3A, 6.14.1, Figure 6-8):
		// code selector 0x08 (tamago's GDT), IST 0, type 0xE, present.
		earlyIDT[v][0] = h&0xffff | 0x08<<16 | 0x8e<<40 | (h>>16&0xffff)<<48
		earlyIDT[v][1] = h >> 32
	}
	limit := uint16(len(earlyIDT)*16 - 1)
	addr := uint64(uintptr(unsafe.Pointer(&earlyIDT)))
	earlyIDTR[0], earlyIDTR[1] = byte(limit), byte(limit>>8)
	for i := 0; i < 8; i++ {
		earlyIDTR[2+i] = byte(addr >> (8 * i))
	}
	lidt(&earlyIDTR)
}

// earlyCmdline returns the loader's command line as early found it (nil
// when there is none).
//
//go:nosplit
func earlyCmdline() []byte {
	if earlyCmdlineAddr == 0 || earlyCmdlineLen == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(uintptr(earlyCmdlineAddr))), earlyCmdlineLen)
}

// defined in fault_amd64.s
func lidt(idtr *[10]byte)
func earlyCrash()

// earlyPCs returns the addresses of earlyVectors, the early IDT's
// handlers, and apEarlyStart (apstart_amd64.s), an AP's first long-mode
// code, which StartCPUs gives the trampoline.
func earlyPCs() (vectors, apStart uintptr)
