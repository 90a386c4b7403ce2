//go:build tamago && amd64

package platform

import "sync/atomic"

// The local APICs' spurious-interrupt vector (SVR bits 7:0; Intel SDM Vol.
// 3A, 11.9): the vector an APIC hands the CPU when the interrupt it
// signalled is gone by the time the CPU takes it. A spurious interrupt
// sets no ISR bit, so its handler must not write an EOI: an EOI then ends
// whatever interrupt is in service instead. Left as tamago sets it (255,
// the wake vector, whose handler writes an EOI; 0 on the APs, the divide
// error), a spurious interrupt on the boot CPU ended a device interrupt
// before its handler ran. Aero gives it a gate of its own that only
// counts.
const spuriousVector = 0xf7

// spuriousCount counts the spurious interrupts taken (spuriousEntry).
var spuriousCount uint64

// SpuriousInterrupts reports how many spurious interrupts the CPUs took.
func SpuriousInterrupts() uint64 { return atomic.LoadUint64(&spuriousCount) }

// installSpuriousGate points the spurious vector's IDT gate at
// spuriousEntry and makes it the boot CPU's spurious vector (the APs set
// theirs in apEarlyStart).
func installSpuriousGate() {
	SetGate(spuriousVector, spuriousEntryPC(), 0)
	lapicWrite(lapicSVROffset, svrEnable|spuriousVector)
}

// The SVR: its offset and APIC software enable bit (SDM Vol. 3A, 11.9).
const (
	lapicSVROffset = 0x0f0
	svrEnable      = 1 << 8
)

// defined in spurious_amd64.s
func spuriousEntryPC() uintptr
