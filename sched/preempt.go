//go:build tamago && amd64

package sched

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/platform"
)

// Preemption: each CPU's local APIC timer, armed when a thread is switched
// in, raises preemptVector; its gate is Aero's own (the IDT entry points at
// preemptEntry, not tamago's stubs) and runs on the CPU's interrupt stack
// (IST 1 of a TSS of its own), so that the full state can be saved without
// touching the thread's stack. onTick asks the policy (a Preempter), and
// if it says so, copies the saved state into the thread and switches.

// preemptVector is the scheduler timer's vector: above every device
// vector, so that its EOI ends it alone (see platform.EOI).
const preemptVector = 0xf0

// istStackSize is each CPU's interrupt stack: preemptEntry's frame (about
// 720 bytes) and onTick's.
const istStackSize = 16 << 10

// iframe is a thread's state as preemptEntry saved it (switch_amd64.s
// keeps the layout): the general registers, then RIP, CS, RFLAGS, RSP, SS.
type iframe struct {
	regs                     [15]uint64
	rip, cs, rflags, rsp, ss uint64
}

// preemption is the per-kernel preemption state, set in Init.
var preemption struct {
	on     bool // the policy preempts and every CPU's TSS is ready
	policy Preempter
}

// Preempter is a Policy that takes the CPU from a thread that runs too
// long: when the kernel links one, each CPU's timer fires Slice after a
// thread is switched in, and Preempt decides. Both are called like Ready
// and Next (the policy contract), Preempt in interrupt context.
type Preempter interface {
	// Slice is how long (ns, > 0) a thread may run on cpu before
	// Preempt is asked.
	Slice(cpu int) int64
	// Preempt reports whether thread t, running on cpu for ran ns since
	// it was switched in, should give the CPU up now: it is then queued
	// with Ready(t, Preempted).
	Preempt(t TID, cpu int, ran int64) bool
}

// PreemptTimer names the timer mode preemption uses (platform.
// LocalTimerMode: "tsc-deadline", "one-shot" or "one-shot-assumed"), ""
// without preemption.
func PreemptTimer() string {
	if !preemption.on {
		return ""
	}
	return platform.LocalTimerMode()
}

// Preempts reports whether the kernel's scheduler preempts threads: its
// policy is a Preempter and the timers are set up.
func Preempts() bool { return preemption.on }

// setupPreemption gives every CPU an interrupt stack from the kernel's
// Memory on the CPU's node, a TSS pointing IST 1 at it and a GDT of its
// own holding that TSS, and points the timer vector's IDT gate at
// preemptEntry. Each CPU loads its GDT and TSS itself, at its next switch
// (armTimer); until then its timer stays off.
func setupPreemption(k *core.Kernel, p Preempter) error {
	base := gdtBase()
	for _, c := range k.CPUs {
		cp := &cpus[c.Index]
		stack, err := istStack(k, c.Node)
		if err != nil {
			return fmt.Errorf("sched: interrupt stack for CPU %d: %v", c.Index, err)
		}
		if len(stack) < istStackSize {
			return fmt.Errorf("sched: interrupt stack for CPU %d: %d bytes, want %d", c.Index, len(stack), istStackSize)
		}
		istStacks = append(istStacks, stack)
		top := (uint64(uintptr(unsafe.Pointer(&stack[0]))) + istStackSize) &^ 15
		// The 64-bit TSS (Intel SDM Vol. 3A, 7.7, Figure 7-11): IST1 at
		// offset 36, the I/O map base past its end (no I/O map).
		binary.LittleEndian.PutUint64(cp.tss[36:], top)
		binary.LittleEndian.PutUint16(cp.tss[102:], uint16(len(cp.tss)))
		// Null, code and data as the boot GDT has them (selectors 0x08
		// and 0x10), then the TSS descriptor (SDM Vol. 3A, 7.2.3,
		// Figure 7-4: type 9, present, limit 103).
		boot := (*[3]uint64)(unsafe.Pointer(base))
		copy(cp.gdt[:3], boot[:])
		tss := uint64(uintptr(unsafe.Pointer(&cp.tss[0])))
		limit := uint64(len(cp.tss) - 1)
		cp.gdt[3] = limit&0xffff | (tss&0xffffff)<<16 | 0x89<<40 | (limit>>16&0xf)<<48 | (tss>>24&0xff)<<56
		cp.gdt[4] = tss >> 32
		gdt := uint64(uintptr(unsafe.Pointer(&cp.gdt[0])))
		binary.LittleEndian.PutUint16(cp.gdtr[0:], uint16(len(cp.gdt)*8-1))
		binary.LittleEndian.PutUint64(cp.gdtr[2:], gdt)
	}
	// The timer's gate, on IST 1. Every CPU shares the IDT; only CPUs
	// that loaded their TSS arm the timer that raises it.
	platform.SetGate(preemptVector, preemptEntryPC(), 1)
	preemption.policy = p
	preemption.on = true
	return nil
}

// istStack allocates an interrupt stack on node from the kernel's Memory
// (the Go heap when none is chosen yet).
func istStack(k *core.Kernel, node int) ([]byte, error) {
	if k.Memory == nil {
		return make([]byte, istStackSize), nil
	}
	return k.Memory.Alloc(istStackSize, node)
}

// istStacks keeps the interrupt stacks referenced.
var istStacks [][]byte

// tssSelector is the TSS descriptor's selector in every CPU's GDT.
const tssSelector = 3 * 8

// armTimer starts CPU c's preemption timer for thread t, just switched in
// (or kept), loading the CPU's TSS first if it has not yet. The lock is
// held.
//
//go:nosplit
func armTimer(c int, t TID) {
	if !preemption.on {
		return
	}
	cp := &cpus[c]
	if cp.trLoaded == 0 {
		loadTSS(&cp.gdtr, tssSelector)
		cp.trLoaded = 1
	}
	platform.ArmLocalTimer(preemptVector, preemption.policy.Slice(c))
}

// onTick is the timer interrupt, called by preemptEntry on CPU c's
// interrupt stack with the interrupted state at f and fx. Interrupts are
// off; g is the interrupted thread's, or nil in the idle loop.
//
//go:nosplit
func onTick(f *iframe, fx *[512]byte) {
	platform.EOI()
	fl := lock()
	c := here()
	cp := &cpus[c]
	t := cp.cur
	if t == None {
		unlock(fl) // the idle loop: the halt is over, it looks again
		return
	}
	th := &threads[t]
	now := nanotime()
	// Sleepers whose deadline passed wait for no switch on a busy CPU.
	expire(now)
	if th.nopreempt != 0 || !preemption.policy.Preempt(t, c, now-th.since) {
		armTimer(c, t)
		unlock(fl)
		return
	}
	// Keep the interrupted state with the thread: resumePreempted
	// restores it, wherever the thread runs next.
	th.frame = *f
	*th.fxArea() = *fx
	th.ctx = context{
		sp: uintptr(f.rsp) - 64,
		pc: resumePreemptedPC(),
		fs: fsBase(),
		g:  uintptr(unsafe.Pointer(th.fxArea())),
		fn: uintptr(unsafe.Pointer(&th.frame)),
	}
	th.preempts++
	th.runNS += now - th.since
	ready(t, Preempted)
	n := pol.Next(c)
	if n == t {
		th.state = running
		th.since = now
		armTimer(c, t)
		unlock(fl)
		return
	}
	var left context // this stack is not resumed
	if n == None {
		cp.cur = None
		switchTo(&left, &cp.idle)
	} else {
		switchTo(&left, run(c, n, now))
	}
}

// fxArea is the thread's FXSAVE area: 512 bytes, 16-aligned, in fx.
//
//go:nosplit
func (th *thread) fxArea() *[512]byte {
	p := (uintptr(unsafe.Pointer(&th.fx[0])) + 15) &^ 15
	return (*[512]byte)(unsafe.Pointer(p))
}

// Defined in switch_amd64.s.

func preemptEntryPC() uintptr
func resumePreemptedPC() uintptr
func fsBase() uintptr
func gdtBase() uintptr

//go:noescape
func loadTSS(gdtr *[10]byte, sel uint16)
