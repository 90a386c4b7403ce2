//go:build tamago && amd64

package platform

import (
	"fmt"
	"time"
	"unsafe"

	"github.com/aerokernel/aero/core/acpi"
)

// Reference timers beyond the PIT, known once ACPI is read: the HPET (IA-PC
// HPET specification 1.0a, 2.3: capabilities at 0x0, configuration at
// 0x10, main counter at 0xf0) and the ACPI PM timer (ACPI 6.5 §4.8.3.3,
// 3.579545 MHz, 24 or 32 bits). Under TCG both count QEMU's virtual clock,
// which follows the host's; a counter read is one MMIO or port access
// where the PIT needs three port accesses.

const (
	hpetCapabilities = 0x00
	hpetConfig       = 0x10
	hpetCounter      = 0xf0
	hpetEnable       = 1 << 0
	pmTimerHz        = 3579545
	// calibrationWindow is how long each of countTSC's windows counts
	// TSC ticks.
	calibrationWindow = 20 * time.Millisecond
)

// Recalibrate measures the TSC against the best reference timer the ACPI
// tables offer — a KVM clock when the hypervisor provides one, else the
// HPET, else the PM timer — and switches the clock to it, keeping time
// continuous. It must run while only the boot CPU runs. Without a better
// reference the PIT calibration stays. It returns the reference used.
func Recalibrate(t *acpi.Tables) (string, error) {
	if hz, ok := kvmClockHz(); ok {
		setTSC(hz, "kvmclock")
		return "kvmclock", nil
	}
	var errs []error
	if t != nil && t.HPET != nil {
		hz, err := measureHPET(t.HPET)
		if err == nil {
			setTSC(hz, "hpet")
			return "hpet", nil
		}
		errs = append(errs, err)
	}
	if t != nil && t.FADT != nil && t.FADT.PMTimerPresent() {
		hz, err := measurePMTimer(t.FADT)
		if err == nil {
			setTSC(hz, "pmtimer")
			return "pmtimer", nil
		}
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return clockRef, fmt.Errorf("keeping the %s calibration: %v", clockRef, errs)
	}
	return clockRef, nil
}

func measureHPET(h *acpi.HPET) (uint64, error) {
	r, err := h.Registers()
	if err != nil {
		return 0, err
	}
	regs, err := MMIO(r)
	if err != nil {
		return 0, err
	}
	period := regs.Read64(hpetCapabilities) >> 32 // femtoseconds per tick
	if period == 0 || period > 100_000_000 {
		return 0, fmt.Errorf("HPET reports a tick of %d fs", period)
	}
	if c := regs.Read64(hpetConfig); c&hpetEnable == 0 {
		regs.Write64(hpetConfig, c|hpetEnable)
	}
	want := uint64(calibrationWindow.Nanoseconds()) * 1_000_000 / period
	read := func() uint64 { return regs.Read64(hpetCounter) }
	dtsc, ticks, ok := countTSC(read, func(prev, cur uint64) uint64 { return cur - prev }, want, 0)
	if !ok {
		return 0, fmt.Errorf("HPET counter does not count")
	}
	return scaleHz(dtsc, ticks, period), nil
}

func measurePMTimer(f *acpi.FADT) (uint64, error) {
	if f.PMTimer.Space != acpi.SpaceSystemIO || f.PMTimer.Address > 0xffff {
		return 0, fmt.Errorf("PM timer not in I/O space (space %d, address %#x)", f.PMTimer.Space, f.PMTimer.Address)
	}
	port := uint16(f.PMTimer.Address)
	mask := uint32(1<<24 - 1)
	if f.PMTimer32() {
		mask = ^uint32(0)
	}
	want := uint64(pmTimerHz) * uint64(calibrationWindow) / uint64(time.Second)
	read := func() uint64 { return uint64(inl(port) & mask) }
	elapsed := func(prev, cur uint64) uint64 { return uint64((uint32(cur) - uint32(prev)) & mask) }
	dtsc, ticks, ok := countTSC(read, elapsed, want, uint64(mask)+1)
	if !ok {
		return 0, fmt.Errorf("PM timer does not count")
	}
	// femtoseconds per PM timer tick: 1e15 / 3579545
	return scaleHz(dtsc, ticks, 1_000_000_000_000_000/pmTimerHz), nil
}

// KVM paravirtual clock (Linux Documentation/virt/kvm/x86/cpuid.rst and
// msr.rst): the hypervisor signature at CPUID 0x40000000, the feature bit
// KVM_FEATURE_CLOCKSOURCE2 at 0x40000001, and MSR_KVM_SYSTEM_TIME_NEW,
// which points the hypervisor at a pvclock_vcpu_time_info to fill:
//
//	version u32, pad u32, tsc_timestamp u64, system_time u64,
//	tsc_to_system_mul u32, tsc_shift i8, flags u8, pad [2]u8
const (
	cpuidHypervisor      = 0x40000000
	cpuidKVMFeatures     = 0x40000001
	kvmFeatureClock2     = 1 << 3
	msrKVMSystemTimeNew  = 0x4b564d01
	pvclockMulOffset     = 24
	pvclockShiftOffset   = 28
	pvclockStructureSize = 32
)

// pvclockArea holds one pvclock structure, placed 32-byte aligned inside it
// (it must not cross a page).
var pvclockArea [2 * pvclockStructureSize]byte

// kvmClockHz reads the TSC frequency from KVM's pvclock, when running on
// KVM with that feature; the TSC then needs no measuring.
func kvmClockHz() (uint64, bool) {
	_, b, c, d := cpuid(cpuidHypervisor, 0)
	sig := [12]byte{}
	for i, r := range []uint32{b, c, d} {
		sig[4*i], sig[4*i+1], sig[4*i+2], sig[4*i+3] = byte(r), byte(r>>8), byte(r>>16), byte(r>>24)
	}
	if string(sig[:]) != "KVMKVMKVM\x00\x00\x00" {
		return 0, false
	}
	if a, _, _, _ := cpuid(cpuidKVMFeatures, 0); a&kvmFeatureClock2 == 0 {
		return 0, false
	}
	addr := (uintptr(unsafe.Pointer(&pvclockArea[0])) + pvclockStructureSize - 1) &^ (pvclockStructureSize - 1)
	version := (*uint32)(unsafe.Pointer(addr))
	wrmsr(msrKVMSystemTimeNew, uint64(addr)|1)
	defer wrmsr(msrKVMSystemTimeNew, 0)
	deadline := rdtsc() + calibrationTimeout
	for {
		v := *version
		mul := *(*uint32)(unsafe.Pointer(addr + pvclockMulOffset))
		shift := *(*int8)(unsafe.Pointer(addr + pvclockShiftOffset))
		if v != 0 && v%2 == 0 && *version == v && mul != 0 {
			return kvmTSCHz(mul, shift), true
		}
		if rdtsc() > deadline {
			return 0, false
		}
	}
}

// defined in cpuinit_amd64.s
func cpuid(leaf, sub uint32) (a, b, c, d uint32)
func wrmsr(msr uint32, v uint64)
