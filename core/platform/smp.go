//go:build tamago && amd64

package platform

import (
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
// apinitAddress and switches to long mode on the BSP's page tables; then
// Aero's apEarlyStart (apstart_amd64.s, in place of tamago's apstart) loads
// the BSP's GDT and the early IDT, counts itself in at taskAddress and
// halts until an NMI says that a task (stack, g, entry) waits at
// taskAddress, and loads the runtime's IDT before it runs it. These
// addresses and the task layout are the trampoline's.
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

// smp is the started processors.
var smp struct {
	next  atomic.Int32  // the CPU index StartM gave a thread to last
	lock  atomic.Uint32 // serialises the task mailbox
	entry func(cpu int) // the scheduler's AP entry (nil: the trampoline's wait)
}

// cpus is every CPU that is up, by index (0 is the BSP; cpuIDs holds their
// APIC IDs), as StartCPUs left it. The state is pointer-free, so that code without a g or in interrupt
// context may write it (no write barrier).
var cpus []cpuState

type cpuState struct {
	thread atomic.Uintptr // the M running here (its mp), once known
	halted atomic.Uint32  // 1 while SleepM halts this CPU
	// A thread handed to this CPU and not yet taken (ready != 0), and
	// whether someone is handing one (HandThread).
	sp, gp, pc atomic.Uintptr
	ready      uint32 // atomic; a plain word for haltUnless
	handing    atomic.Uint32
	// tls is the AP entry's TLS word (the trampoline sets FS from it):
	// zero, so that code reading g from TLS sees nil.
	tls uint64
}

// apStackSize is the stack each AP entry runs on: interrupts push onto it
// too (Intel SDM Vol. 3A, 6.14.2), as does the entry's own nosplit code.
const apStackSize = 16 << 10

// apStacks keeps the AP entries' stacks alive (the Go heap does not move
// them; nothing else refers to them).
var apStacks [][]byte

//go:nosplit
func mem32(addr uintptr) *uint32 { return (*uint32)(unsafe.Pointer(addr)) }

//go:nosplit
func mem64(addr uintptr) *uint64 { return (*uint64)(unsafe.Pointer(addr)) }

// StartCPUs starts the processors with the given local APIC IDs (the BSP's
// own ID is skipped), one after the other, each with INIT-SIPI-SIPI (Intel
// SDM Vol. 3A, 9.4.4.1). It returns the IDs of the processors that are up
// (the BSP first; a CPU's index is its place in this list, CPUIndex) and
// an error naming any that did not start: those that did not answer, those
// with APIC IDs above 255 when the local APICs are not in x2APIC mode (an
// xAPIC IPI cannot address them), and those past MaxCPUs. RunCPUs then
// gives the CPUs that are up to the runtime.
//
// With entry nil the APs wait in the trampoline, each for the runtime's
// next M (StartM through the mailbox, or the thread hooks). Otherwise each
// AP runs entry(its index) on a stack of its own, with no goroutine (g is
// nil) and interrupts enabled; entry must be nosplit, must not allocate or
// write pointers, and never returns (see WaitThread and RunThread).
func StartCPUs(apicIDs []uint32, entry func(cpu int)) ([]uint32, error) {
	probeAPIC()
	initLocalTimer()
	bsp := apicID()
	bootAPIC.Store(bsp)
	cpuIDs.reset()
	if _, err := cpuIDs.add(bsp); err != nil {
		return nil, err
	}
	up := []uint32{bsp}
	start, needX2APIC, overflow := startable(apicIDs, bsp, apic.x2APIC != 0)
	if len(start) == 0 {
		cpus = make([]cpuState, 1)
		return up, startError(nil, needX2APIC, overflow, apic.offered)
	}

	apinitReloc(apinitAddress, apstartAddress)
	// The trampoline's long-mode part: Aero's, on the early IDT until the
	// AP runs Go (apstart_amd64.s), not tamago's apstart.
	_, apStart := earlyPCs()
	*mem64(apstartAddress) = uint64(apStart)
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
	vector := uint32(apinitAddress >> 12)
	for _, id := range start {
		want := atomic.LoadUint32(counter) + 1
		sendIPI(id, vector|1<<lapic.ICR_INIT|lapic.ICR_DLV_INIT)
		time.Sleep(10 * time.Millisecond)
		sendIPI(id, vector|1<<lapic.ICR_INIT|lapic.ICR_DLV_SIPI)
		if !waitCount(counter, want, 200*time.Millisecond) {
			// A second SIPI, as the SDM's sequence has it.
			sendIPI(id, vector|1<<lapic.ICR_INIT|lapic.ICR_DLV_SIPI)
			if !waitCount(counter, want, apStartTimeout) {
				failed = append(failed, id)
				continue
			}
		}
		// startable left room for every ID and no repeats: add cannot
		// fail, but should it, the CPU is named rather than used.
		if _, err := cpuIDs.add(id); err != nil {
			failed = append(failed, id)
			continue
		}
		up = append(up, id)
	}
	cpus = make([]cpuState, len(up))

	if len(up) > 1 {
		if entry != nil {
			smp.entry = entry
			for i := 1; i < len(cpus); i++ {
				stack := make([]byte, apStackSize)
				apStacks = append(apStacks, stack)
				top := (uintptr(unsafe.Pointer(&stack[0])) + apStackSize) &^ 15
				postTask(cpuIDs.id(i), top, uintptr(unsafe.Pointer(&cpus[i].tls)), apEntryPC())
			}
		}
		goos.ProcID = ProcessorID
		goos.Task = StartM
		goos.Wake = wakeCPU
	}
	return up, startError(failed, needX2APIC, overflow, apic.offered)
}

// RunCPUs gives the CPUs StartCPUs brought up to the Go runtime:
// runtime.NumCPU and GOMAXPROCS become their number, and the runtime starts
// an M for each new P (through the thread hooks if any are installed, else
// goos.Task). Thread hooks must be installed before it.
func RunCPUs() {
	if n := len(cpus); n > 1 {
		runtime.SetNumCPU(n)
		runtime.GOMAXPROCS(n)
	}
}

// wakeVector is the vector tamago's IDT reserves for waking a halted CPU
// (amd64.IRQ_WAKEUP).
const wakeVector = amd64.IRQ_WAKEUP

// wakeCPU is goos.Wake: a fixed IPI with the wake-up vector to the CPU whose
// APIC ID (ProcessorID) is procid. The runtime also calls it from interrupt
// context (os/signal.Relay wakes the poller): sendIPI is interrupt-safe.
//
//go:nosplit
func wakeCPU(procid uint64) { sendIPI(uint32(procid), wakeVector) }

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

// StartM is the one-M-per-CPU thread start: goos.Task, and what a
// scheduler's ThreadHooks.Start may pass through to. The thread (stack
// pointer sp, g register gp, entry fn; mp names it) goes to the next CPU
// that has none: through the trampoline's mailbox and an NMI, or, when the
// APs run a scheduler's entry, handed to it (HandThread). It panics when
// every CPU has one.
//
// The runtime calls it without a P, so it writes no pointers.
func StartM(sp, mp, gp, fn unsafe.Pointer) {
	if sp == nil || gp == nil {
		return
	}
	n := int(smp.next.Add(1))
	if n >= len(cpus) {
		panic("platform: the runtime asked for more threads than there are CPUs")
	}
	c := &cpus[n]
	c.thread.Store(uintptr(mp))
	if smp.entry == nil {
		postTask(cpuIDs.id(n), uintptr(sp), uintptr(gp), uintptr(fn))
		return
	}
	HandThread(n, Thread{SP: uintptr(sp), G: uintptr(gp), PC: uintptr(fn)})
}

// postTask leaves (sp, g, pc) in the trampoline's mailbox and sends the AP
// waiting there an NMI: it loads them and jumps to pc.
func postTask(apic uint32, sp, gp, pc uintptr) {
	for !smp.lock.CompareAndSwap(0, 1) {
	}
	// The previous AP clears the mailbox once it has read it.
	for atomic.LoadUint64(mem64(taskAddress+16)) != 0 {
	}
	*mem64(taskAddress + 0) = uint64(sp)
	*mem64(taskAddress + 8) = uint64(gp)
	atomic.StoreUint64(mem64(taskAddress+16), uint64(pc))
	sendIPI(apic, lapic.ICR_DLV_NMI)
	smp.lock.Store(0)
}

// SleepM is the one-M-per-CPU sleep, what a scheduler's ThreadHooks.Sleep
// may pass through to: the calling thread mp spins briefly until *sema is
// non-zero, then halts its CPU until an interrupt: WakeM's IPI, or, with a
// deadline, the CPU's local APIC timer, armed for it (haltFor). It returns
// without halting (the runtime polls again) before StartCPUs, and for a
// deadline when the timer's rate is not known (LocalTimerMode). A wake-up
// is never lost: the halt rechecks *sema with interrupts off after marking
// the CPU halted, and WakeM reads the mark after the waker raised *sema;
// nor is the deadline: the timer is armed with interrupts off, so one that
// fires before the HLT ends it.
//
//go:nosplit
func SleepM(mp unsafe.Pointer, sema *uint32, deadline int64) {
	for i := 0; i < 64 && atomic.LoadUint32(sema) == 0; i++ {
		pauses(16)
	}
	if atomic.LoadUint32(sema) != 0 {
		return
	}
	c := CPUIndex()
	if c < 0 || c >= len(cpus) {
		return
	}
	s := &cpus[c]
	s.thread.Store(uintptr(mp))
	if deadline < 0 {
		s.halted.Store(1)
		haltUnless(sema)
		s.halted.Store(0)
		return
	}
	d := deadline - nanotime()
	if d <= 0 || !localTimer.exact {
		return
	}
	s.halted.Store(1)
	haltFor(sema, TimerSpan(d))
	s.halted.Store(0)
}

// IdleM is the one-M-per-CPU idle hook, what a scheduler's
// ThreadHooks.Idle may pass through to: it does not wait, so that a
// thread with nothing to run gives up its P and waits in SleepM (the
// runtime's netpoll wait, halted until the next timer) instead of the
// runtime's default, which with one P halts only when no timer is due and
// otherwise polls.
//
//go:nosplit
func IdleM(until int64) bool { return false }

// WakeM is the one-M-per-CPU wake-up, what a scheduler's ThreadHooks.Wake
// may pass through to: if thread mp halted its CPU in SleepM, the CPU gets
// the wake-up IPI. Interrupt-safe: nosplit, no allocation, no lock.
//
//go:nosplit
func WakeM(mp unsafe.Pointer) {
	for i := range cpus {
		c := &cpus[i]
		if c.thread.Load() == uintptr(mp) {
			if c.halted.Load() != 0 && goos.Wake != nil {
				wakeCPU(uint64(cpuIDs.id(i)))
			}
			return
		}
	}
}

// Thread is how a new thread starts: stack pointer, g register, PC (the
// runtime's Start hook arguments sp, gp and fn).
type Thread struct {
	SP, G, PC uintptr
}

// HandThread gives thread t to CPU cpu, whose AP entry takes it with
// WaitThread; it first waits for the CPU to take the one it was handed
// before, if any. Not for interrupt context (it can wait).
//
//go:nosplit
func HandThread(cpu int, t Thread) {
	c := &cpus[cpu]
	for !c.handing.CompareAndSwap(0, 1) {
		pauses(16)
	}
	for atomic.LoadUint32(&c.ready) != 0 {
		pauses(16)
	}
	c.sp.Store(t.SP)
	c.gp.Store(t.G)
	c.pc.Store(t.PC)
	atomic.StoreUint32(&c.ready, 1)
	c.handing.Store(0)
	wakeCPU(uint64(cpuIDs.id(cpu)))
}

// WaitThread waits, the CPU halted between interrupts, for a thread handed
// to CPU cpu (HandThread; StartM when the APs run a scheduler's entry) and
// returns it. For an AP entry: nosplit, g may be nil.
//
//go:nosplit
func WaitThread(cpu int) Thread {
	c := &cpus[cpu]
	for {
		if atomic.LoadUint32(&c.ready) != 0 {
			t := Thread{SP: c.sp.Load(), G: c.gp.Load(), PC: c.pc.Load()}
			atomic.StoreUint32(&c.ready, 0)
			return t
		}
		haltUnless(&c.ready)
	}
}

// RunThread runs t on the calling CPU: it loads the stack pointer and the
// g register, enables interrupts and jumps to t.PC. It never returns; what
// was on the caller's stack is left behind. For an AP entry.
//
//go:noescape
func RunThread(t Thread)

// apMain is where an AP that runs a scheduler's entry arrives from
// apEntryStart, with g nil: it runs the entry and, should it return, halts
// the CPU for good.
//
//go:nosplit
func apMain() {
	if c := CPUIndex(); c > 0 {
		smp.entry(c)
	}
	haltForever()
}

// Defined in sched_amd64.s.

// apEntryPC returns the address of apEntryStart, the AP entry's first
// instruction (the trampoline jumps to it with SP at the top of the
// entry's stack and the g register at the CPU's tls word).
func apEntryPC() uintptr

// pauses executes n PAUSE instructions (a spin-wait hint).
//
//go:noescape
func pauses(n uint32)

// haltUnless halts the CPU until the next interrupt, unless *p is
// non-zero, checked with interrupts off so that an interrupt sent after *p
// was raised still ends the halt.
//
//go:noescape
func haltUnless(p *uint32)

// icrAllExcludingSelf is the ICR's destination shorthand for every CPU
// but the sender (Intel SDM Vol. 3A, 11.6.1, bits 19:18).
const icrAllExcludingSelf = 0b11 << 18

// WakeOtherCPUs sends the wake-up IPI to every other CPU, ending their
// halts: those in HaltBriefly recheck their flag. Interrupt-safe.
//
//go:nosplit
func WakeOtherCPUs() { sendIPI(0, wakeVector|icrAllExcludingSelf) }

// HaltBriefly halts the calling CPU until the next interrupt, unless *flag
// is non-zero, for at most about a millisecond: the CPU's local APIC timer,
// one-shot on the wake vector, ends the halt if nothing else does. A wait
// loop of HaltBriefly and a call keeps its goroutine on its CPU without
// burning it (under TCG a spinning virtual CPU takes host time from the
// others: at -smp 64 the CPUs still starting threads starved), yet reaches
// a preemption point every millisecond (a stop-the-world must not wait on
// it). Whoever sets *flag sends WakeOtherCPUs to end the halts at once. It
// takes the CPU's local APIC timer (see ArmLocalTimer).
// Nosplit, so that the goroutine cannot move to another CPU between arming
// this CPU's timer and halting it.
//
//go:nosplit
func HaltBriefly(flag *uint32) { haltFor(flag, haltBrieflyFor) }

// haltBrieflyFor is HaltBriefly's longest halt (ns).
const haltBrieflyFor = 1_000_000

// lapicWrite writes the calling CPU's local APIC register at offset reg:
// through the xAPIC page, or in x2APIC mode through MSR 0x800+reg/16
// (Intel SDM Vol. 3A, 11.12.1.2).
//
//go:nosplit
func lapicWrite(reg uint32, v uint32) {
	if apic.x2APIC != 0 {
		wrmsr(0x800+reg>>4, uint64(v))
		return
	}
	*(*uint32)(unsafe.Pointer(uintptr(amd64.LAPIC_BASE + reg))) = v
}
