//go:build tamago && amd64

package platform

import (
	"fmt"
	"runtime"
	"runtime/goos"
	"sync/atomic"
	"time"
	"unsafe"
	_ "unsafe" // go:linkname

	"github.com/usbarmory/tamago/amd64"
	"github.com/usbarmory/tamago/amd64/lapic"
)

// The application processors (APs) start in real mode in tamago's AP
// trampoline (amd64/smp.s), which Aero reuses: it is copied to
// apinitAddress, switches to long mode on the BSP's page tables, loads the
// BSP's GDT and IDT, counts itself in at taskAddress and halts until an NMI
// says that a task (stack, g, entry) waits at taskAddress. These addresses
// and the task layout are the trampoline's.
const (
	apinitAddress  = 0x4000
	apstartAddress = 0x5000
	gdtAddress     = 0x6000
	gdtrAddress    = 0x6018
	taskAddress    = 0x6020 // task{sp, gp, pc uint64}; the check-in counter at first
	cr3Address     = 0x6028 // overlaps task.gp
)

// apinit_reloc copies the trampoline (tamago's amd64/smp.s).
//
//go:linkname apinitReloc github.com/usbarmory/tamago/amd64.apinit_reloc
func apinitReloc(init uintptr, start uintptr)

// apStartTimeout bounds how long one AP may take from SIPI to checking in.
// Generous: under TCG many virtual CPUs share few host cores.
const apStartTimeout = 5 * time.Second

// smp is the started processors, indexed as the runtime's Ms reach them.
var smp struct {
	aps  []uint32 // APIC IDs of started APs, in start order
	next atomic.Int32
	lock atomic.Uint32 // serialises the task mailbox
}

//go:nosplit
func mem32(addr uintptr) *uint32 { return (*uint32)(unsafe.Pointer(addr)) }

//go:nosplit
func mem64(addr uintptr) *uint64 { return (*uint64)(unsafe.Pointer(addr)) }

// StartCPUs starts the processors with the given local APIC IDs (the BSP's
// own ID is skipped), one after the other, each with INIT-SIPI-SIPI (Intel
// SDM Vol. 3A, 9.4.4.1), and hands them to the Go runtime: GOMAXPROCS and
// runtime.NumCPU become the number of CPUs running. It returns the IDs of
// the processors that are up (the BSP first) and an error naming any that
// did not answer.
func StartCPUs(apicIDs []uint32) ([]uint32, error) {
	bsp := uint32(CPU.LAPIC.ID())
	bootAPIC.Store(bsp)
	up := []uint32{bsp}
	if len(apicIDs) <= 1 {
		return up, nil
	}

	apinitReloc(apinitAddress, apstartAddress)
	*mem64(gdtAddress + 0x00) = 0
	*mem64(gdtAddress + 0x08) = 0x00209a00000fffff // code, limit set for real mode
	*mem64(gdtAddress + 0x10) = 0x00009200000fffff // data
	*(*uint16)(unsafe.Pointer(uintptr(gdtrAddress))) = 3*8 - 1
	*mem32(gdtrAddress + 2) = gdtAddress
	// The trampoline reads CR3 from the word that later holds a task's g:
	// every AP must be up before the first task.
	*mem64(taskAddress) = 0      // the check-in counter
	*mem64(taskAddress + 16) = 0 // no task (pc)
	*mem32(cr3Address) = uint32(readCR3())
	counter := mem32(taskAddress)

	var failed []uint32
	vector := apinitAddress >> 12
	for _, id := range apicIDs {
		if id == bsp {
			continue
		}
		if id > 0xff {
			failed = append(failed, id) // xAPIC IPIs address 8-bit IDs
			continue
		}
		want := atomic.LoadUint32(counter) + 1
		CPU.LAPIC.IPI(int(id), vector, 1<<lapic.ICR_INIT|lapic.ICR_DLV_INIT)
		time.Sleep(10 * time.Millisecond)
		CPU.LAPIC.IPI(int(id), vector, 1<<lapic.ICR_INIT|lapic.ICR_DLV_SIPI)
		if !waitCount(counter, want, 200*time.Millisecond) {
			// A second SIPI, as the SDM's sequence has it.
			CPU.LAPIC.IPI(int(id), vector, 1<<lapic.ICR_INIT|lapic.ICR_DLV_SIPI)
			if !waitCount(counter, want, apStartTimeout) {
				failed = append(failed, id)
				continue
			}
		}
		up = append(up, id)
	}
	smp.aps = up[1:]

	if len(up) > 1 {
		goos.ProcID = CPU.ID
		goos.Task = task
		goos.Wake = wakeCPU
		runtime.SetNumCPU(len(up))
		runtime.GOMAXPROCS(len(up))
	}
	if len(failed) > 0 {
		return up, fmt.Errorf("platform: %d CPU(s) did not start: APIC IDs %v", len(failed), failed)
	}
	return up, nil
}

// Local APIC interrupt command register (Intel SDM Vol. 3A, 11.6.1), at
// tamago's LAPIC base, and the vector tamago's IDT reserves for waking a
// halted CPU (amd64.IRQ_WAKEUP).
const (
	lapicICRLow    = amd64.LAPIC_BASE + 0x300
	lapicICRHigh   = amd64.LAPIC_BASE + 0x310
	icrPending     = 1 << 12
	wakeVector     = amd64.IRQ_WAKEUP
	icrDestination = 24
)

// wakeCPU is goos.Wake: a fixed IPI with the wake-up vector to the CPU whose
// APIC ID is procid. The runtime also calls it from interrupt context
// (os/signal.Relay wakes the poller), so it is nosplit and restores the
// destination register in case it interrupted another IPI being set up.
//
//go:nosplit
func wakeCPU(procid uint64) {
	hi := (*uint32)(unsafe.Pointer(uintptr(lapicICRHigh)))
	lo := (*uint32)(unsafe.Pointer(uintptr(lapicICRLow)))
	saved := *hi
	*hi = uint32(procid) << icrDestination
	*lo = wakeVector
	for *lo&icrPending != 0 {
	}
	*hi = saved
}

func waitCount(counter *uint32, want uint32, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for atomic.LoadUint32(counter) < want {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Microsecond)
	}
	return true
}

// task is goos.Task: the runtime starts an M on the next idle AP by leaving
// (sp, g, entry) in the trampoline's mailbox and sending that AP an NMI.
func task(sp, mp, gp, fn unsafe.Pointer) {
	if sp == nil || gp == nil {
		return
	}
	n := smp.next.Add(1) - 1
	if int(n) >= len(smp.aps) {
		panic("platform: the runtime asked for more threads than there are CPUs")
	}
	for !smp.lock.CompareAndSwap(0, 1) {
	}
	// The previous AP clears the mailbox once it has read it.
	for atomic.LoadUint64(mem64(taskAddress+16)) != 0 {
	}
	*mem64(taskAddress + 0) = uint64(uintptr(sp))
	*mem64(taskAddress + 8) = uint64(uintptr(gp))
	atomic.StoreUint64(mem64(taskAddress+16), uint64(uintptr(fn)))
	CPU.LAPIC.IPI(int(smp.aps[n]), 0, lapic.ICR_DLV_NMI)
	smp.lock.Store(0)
}
