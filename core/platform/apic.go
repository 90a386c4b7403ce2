//go:build tamago && amd64

package platform

import (
	"unsafe"

	"github.com/usbarmory/tamago/amd64"
)

// The local APIC as Aero addresses it: the caller's identity and IPIs, in
// whichever mode the local APICs are in (see apicid.go).

// Local APIC registers in xAPIC mode (Intel SDM Vol. 3A, Table 11-1), at
// tamago's LAPIC base.
const (
	lapicIDRegister = amd64.LAPIC_BASE + 0x20
	lapicICRLow     = amd64.LAPIC_BASE + 0x300
	lapicICRHigh    = amd64.LAPIC_BASE + 0x310
	icrPending      = 1 << 12 // delivery status (xAPIC only)
)

// apic is the local APIC mode, read once on the boot CPU (probeAPIC).
var apic struct {
	// x2APIC is 1 when the local APICs are in x2APIC mode: the firmware
	// left the boot CPU so (IA32_APIC_BASE.EXTD). Aero does not switch
	// modes itself: tamago's interrupt stubs write the EOI and its AP
	// trampoline enables the APIC through the xAPIC registers, which do
	// nothing in x2APIC mode (Intel SDM Vol. 3A, 11.12.2).
	x2APIC uint32
	// offered: CPUID says this CPU has an x2APIC.
	offered bool
}

// probeAPIC reads whether the CPU offers x2APIC (the CPUID feature probe)
// and which mode its local APIC is in.
func probeAPIC() {
	apic.offered = Features().X2APIC
	apic.x2APIC = 0
	if apic.offered && x2APICMode(rdmsr(msrAPICBase)) {
		apic.x2APIC = 1
	}
}

// X2APIC reports whether the CPU offers x2APIC (CPUID) and whether the
// local APICs run in x2APIC mode.
func X2APIC() (offered, inUse bool) { return apic.offered, apic.x2APIC != 0 }

// ProcessorID returns the local APIC ID of the CPU the caller runs on, all
// of it: 8 bits in xAPIC mode, 32 in x2APIC mode. It is goos.ProcID, the
// runtime's name for the CPU an M runs on (and what goos.Wake addresses),
// and interrupt-safe.
//
//go:nosplit
func ProcessorID() uint64 { return uint64(apicID()) }

//go:nosplit
func apicID() uint32 {
	if apic.x2APIC != 0 {
		return uint32(rdmsr(msrX2APICID))
	}
	return xapicID(*(*uint32)(unsafe.Pointer(uintptr(lapicIDRegister))))
}

// CPUIndex returns the index of the CPU the caller runs on among the CPUs
// that are up (Kernel.CPUs; 0 is the boot CPU), -1 on a CPU not started
// by StartCPUs. Before StartCPUs only the boot CPU runs: 0.
//
//go:nosplit
func CPUIndex() int {
	if cpuIDs.len() == 0 {
		return 0
	}
	return cpuIDs.index(apicID())
}

// cpuIDs is the CPUs that are up, by index (StartCPUs fills it).
var cpuIDs cpuTable

// sendIPI sends an IPI to the CPU with APIC ID dest; low is the xAPIC ICR's
// low word (vector, delivery mode, level; Intel SDM Vol. 3A, 11.6.1). In
// xAPIC mode it waits for the local APIC to accept it. Interrupt-safe: it
// runs with interrupts off and restores the destination register for an
// IPI it may have interrupted being set up (tamago's own LAPIC.IPI).
//
//go:nosplit
func sendIPI(dest, low uint32) {
	flags := disableInterrupts()
	if apic.x2APIC != 0 {
		wrmsr(msrX2APICICR, x2APICICR(dest, low))
		restoreInterrupts(flags)
		return
	}
	hi := (*uint32)(unsafe.Pointer(uintptr(lapicICRHigh)))
	lo := (*uint32)(unsafe.Pointer(uintptr(lapicICRLow)))
	saved := *hi
	*hi = dest << xapicIDShift
	*lo = low
	for *lo&icrPending != 0 {
	}
	*hi = saved
	restoreInterrupts(flags)
}

// rdmsr reads a model-specific register (apic_amd64.s).
//
//go:noescape
func rdmsr(msr uint32) uint64
