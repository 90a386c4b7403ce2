package platform

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
)

// CPU identity. A CPU is named by its local APIC ID: 8 bits in xAPIC mode,
// read from bits 31:24 of the ID register (Intel SDM Vol. 3A, 11.4.6), 32
// bits in x2APIC mode, read from MSR 0x802 (Vol. 3A, 11.12.5.1). tamago's
// lapic.LAPIC.ID keeps only 4 of the 8 bits, so Aero never uses it. The
// CPUs that are up also have a dense index, the order they came up in (the
// boot CPU is 0), which per-CPU state is kept by.

// MaxCPUs is how many CPUs Aero runs: the size of the CPU table. More in
// the MADT are reported, not started.
const MaxCPUs = 1024

// Local APIC facts (Intel SDM Vol. 3A, 11.4.4, 11.12.1, 11.12.5.1, 11.12.9
// and Table 11-6).
const (
	msrAPICBase     = 0x1b    // IA32_APIC_BASE
	apicBaseEnable  = 1 << 11 // EN: the local APIC is enabled
	apicBaseX2APIC  = 1 << 10 // EXTD: x2APIC mode (with EN)
	msrX2APICID     = 0x802   // x2APIC ID register (32-bit ID)
	msrX2APICICR    = 0x830   // x2APIC interrupt command register (64-bit)
	xapicIDShift    = 24      // the ID's place in the xAPIC ID register
	xapicMaxID      = 0xff    // the largest ID an xAPIC IPI can address
	x2APICDestShift = 32      // the destination's place in the x2APIC ICR
)

// xapicID decodes the xAPIC ID register: all 8 bits of 31:24.
//
//go:nosplit
func xapicID(reg uint32) uint32 { return reg >> xapicIDShift }

// x2APICMode reports whether an IA32_APIC_BASE value has the local APIC
// in x2APIC mode (EN and EXTD both set; EXTD alone is an invalid state).
func x2APICMode(apicBase uint64) bool {
	const both = apicBaseEnable | apicBaseX2APIC
	return apicBase&both == both
}

// x2APICICR is the x2APIC ICR value that sends low (vector, delivery mode,
// level, shorthand: the xAPIC ICR's low word) to APIC ID dest: one 64-bit
// write, the destination in bits 63:32 (Intel SDM Vol. 3A, 11.12.9).
//
//go:nosplit
func x2APICICR(dest, low uint32) uint64 {
	return uint64(dest)<<x2APICDestShift | uint64(low)
}

// cpuTable maps APIC IDs to dense CPU indexes. It is pointer-free and
// fixed in size, so that code without a g or in interrupt context reads it
// (nosplit, no allocation). One writer adds CPUs (the boot CPU, before any
// AP runs Go code); an entry is written before the count that publishes it.
type cpuTable struct {
	n   atomic.Int32
	ids [MaxCPUs]uint32
	// byID[id] is index+1 for an 8-bit ID (0: none): the lookup every
	// xAPIC machine takes, without a scan.
	byID [xapicMaxID + 1]uint16
}

// add gives the CPU with APIC ID id the next index and returns it.
func (t *cpuTable) add(id uint32) (int, error) {
	n := int(t.n.Load())
	if t.index(id) >= 0 {
		return -1, fmt.Errorf("platform: APIC ID %d is already CPU %d", id, t.index(id))
	}
	if n >= MaxCPUs {
		return -1, fmt.Errorf("platform: APIC ID %d: the CPU table holds %d CPUs", id, MaxCPUs)
	}
	t.ids[n] = id
	if id <= xapicMaxID {
		t.byID[id] = uint16(n + 1)
	}
	t.n.Store(int32(n + 1))
	return n, nil
}

// index returns the index of the CPU with APIC ID id, -1 if it has none.
//
//go:nosplit
func (t *cpuTable) index(id uint32) int {
	if id <= xapicMaxID {
		return int(t.byID[id]) - 1
	}
	n := int(t.n.Load())
	for i := 0; i < n; i++ {
		if t.ids[i] == id {
			return i
		}
	}
	return -1
}

// id returns the APIC ID of CPU i (0 <= i < len()).
//
//go:nosplit
func (t *cpuTable) id(i int) uint32 { return t.ids[i] }

// len returns how many CPUs the table holds.
//
//go:nosplit
func (t *cpuTable) len() int { return int(t.n.Load()) }

// reset empties the table (a new StartCPUs; tests).
func (t *cpuTable) reset() {
	for i := 0; i < t.len(); i++ {
		if id := t.ids[i]; id <= xapicMaxID {
			t.byID[id] = 0
		}
		t.ids[i] = 0
	}
	t.n.Store(0)
}

// startable splits the APIC IDs of the CPUs to start into those the boot
// CPU can address and those it cannot: IDs above 255 need x2APIC mode
// (x2APIC says whether it is in use), and the table holds MaxCPUs, the
// boot CPU (bsp, skipped in ids) among them. The order of ids is kept; a
// repeated ID is skipped (a second INIT would reset a CPU that is up).
func startable(ids []uint32, bsp uint32, x2APIC bool) (start, needX2APIC, overflow []uint32) {
	room := MaxCPUs - 1
	seen := map[uint32]bool{bsp: true}
	for _, id := range ids {
		repeated := seen[id]
		seen[id] = true
		switch {
		case repeated:
		case id > xapicMaxID && !x2APIC:
			needX2APIC = append(needX2APIC, id)
		case len(start) >= room:
			overflow = append(overflow, id)
		default:
			start = append(start, id)
		}
	}
	return start, needX2APIC, overflow
}

// startError names the CPUs StartCPUs did not start, and why; nil if none.
// x2APICOffered says whether the CPU has an x2APIC (CPUID).
func startError(failed, needX2APIC, overflow []uint32, x2APICOffered bool) error {
	var why []string
	if len(failed) > 0 {
		why = append(why, fmt.Sprintf("%d CPU(s) did not answer INIT-SIPI: APIC IDs %v", len(failed), failed))
	}
	if len(needX2APIC) > 0 {
		mode := "this CPU does not offer x2APIC"
		if x2APICOffered {
			mode = "the local APICs are in xAPIC mode and Aero does not enable x2APIC (tamago's interrupt stubs use the xAPIC registers)"
		}
		why = append(why, fmt.Sprintf("%d CPU(s) not started: APIC IDs %v are above 255, which needs x2APIC mode, and %s", len(needX2APIC), needX2APIC, mode))
	}
	if len(overflow) > 0 {
		why = append(why, fmt.Sprintf("%d CPU(s) not started: Aero runs at most %d CPUs (APIC IDs %v)", len(overflow), MaxCPUs, overflow))
	}
	if len(why) == 0 {
		return nil
	}
	return errors.New("platform: " + strings.Join(why, "; "))
}
