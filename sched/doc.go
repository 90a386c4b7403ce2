// Package sched runs the Go runtime's Ms as kernel threads on the CPUs,
// under a policy that is a Go package of its own: sched/rr (round robin,
// the default policy), examples/customsched (strict priority), or an
// HRT's, in its own module outside this tree. A policy package registers
// New(name, policy) with core.RegisterScheduler; linking it makes it the
// kernel's scheduler and the boot summary says sched=name.
//
// # Kernel threads
//
// Every M is a thread in a preallocated, pointer-free table (MaxThreads):
// the runtime starts them through the Start hook, so there may be many more
// than CPUs (runtime.LockOSThread wires a thread per locked goroutine).
// Threads switch voluntarily in Sleep (the runtime's notes, locks and
// netpoll wait), in Yield (the runtime's osyield, and Yield here), and
// when a thread's binding moves it; and when the timer preempts them (see
// Preemption). A voluntary switch saves the stack pointer, frame
// pointer, resume PC and FS base (the runtime's TLS: g at -8(FS)); Go's
// ABI makes every other register caller-saved across the call, so there is
// no FPU state to save on this path. Wake never switches: it hands the
// thread to the policy and, if the CPU it was queued on idles, sends that
// CPU a reschedule IPI (vector 0xf1, its own gate; ReschedIPIs counts
// them). A CPU with nothing to run is in its idle loop, with no goroutine
// (g nil): the AP entry on each AP, an idle context of its own on the boot
// CPU; it polls its queue for 50 µs (a kick then needs no IPI), then
// halts until an IPI or the earliest deadline of a sleeping thread (the
// local APIC timer on the wake vector).
//
// # Preemption
//
// A policy that is also a Preempter (sched/rr is) gets timer preemption:
// each CPU's local APIC timer (TSC-deadline mode where CPUID offers it,
// else one-shot at a rate measured against the TSC;
// platform.ArmLocalTimer) is armed for the policy's Slice
// whenever a thread is switched in, and raises vector 0xf0 through an IDT
// gate of Aero's own on IST 1 of a TSS of the CPU's own (its interrupt
// stack comes from the kernel's Memory on the CPU's node). The gate saves
// every general register and the x87/SSE state (FXSAVE: Aero enables SSE,
// not XSAVE) and asks the policy's Preempt; a preempted thread keeps that
// state in its table entry and is resumed with IRETQ, on whichever CPU
// runs it next. Stats.Preemptions counts it. PreemptOff and PreemptOn keep
// a thread from being preempted (it still gives up its CPU when it sleeps
// or yields). The Go scheduler is not involved: this is an OS preempting
// threads, as Linux preempts a Go program's threads. The idle loop and
// platform.HaltBriefly take the same timer while they halt; it is armed
// again at the next switch.
//
// A goroutine that exits while locked to its thread ends the thread (the
// runtime's Exit hook): the thread switches to its CPU's idle context,
// which frees the TID and then tells the runtime the thread's stack is
// unused (Exits counts them). Policies need no method for it, since an
// ending thread is running, never queued, but must expect a TID to come
// back as a new thread (Started).
//
// Not yet: no reschedule IPI preempts a busy CPU when a thread it should
// run first is woken: that thread runs at the CPU's next switch or tick.
//
// All scheduler state is guarded by one spin lock, taken with interrupts
// off (Wake runs in interrupt context), and held across a switch: the
// thread switched to releases it.
//
// # The thread API
//
// Start runs a function on a kernel thread of its own with options (OnCPU,
// OnNode, Named, AtPriority, StackSize), Join waits for it, Bind binds the
// thread of a goroutine that locked it (runtime.LockOSThread) to a CPU as
// OnCPU would, Yield gives up the CPU, Sleep and Park block the thread (not just the goroutine), CPU
// says where the caller runs, PreemptOff and PreemptOn hold the CPU,
// Thread.Stats and Self give switches, run time and preemptions, and List
// gives every kernel thread with its name, state and statistics (the
// shell's threads command, which this package registers, prints it).
//
// # The policy contract
//
// A Policy owns the run queues; the kernel owns threads, their state and
// the switch. Init is called once, from ordinary Go code, before any
// thread exists: it may allocate, and must size everything the other
// methods use (queues with room for every thread: MaxThreads TIDs per
// queue is enough). Ready and Next are called
//
//   - with the scheduler lock held and interrupts off, on the CPU that
//     called (so they never run twice at once and need no locking of their
//     own);
//   - from hooks that run without a P, from interrupt context (a Wake), and
//     from the idle loop, where there is no goroutine at all (g is nil).
//
// So they, and everything they call, must be //go:nosplit (a stack check
// needs a g; the linker does not check calls through an interface, so
// test the policy on a booted kernel, as qemu's TestSched does with
// qemutest.CheckNosplit); allocate nothing; write no pointers (no write
// barrier can run: keep TIDs and ints in slices made in Init, never
// assign a slice or map header after Init); take no lock, print nothing,
// never panic (an index out of range is a panic: keep indexes in range),
// never block. Their receiver must be a pointer (the wrapper Go makes for a
// value receiver called through an interface is not nosplit).
//
// A Preempter's Slice and Preempt are called the same way, Preempt from
// the timer interrupt on the CPU's interrupt stack.
//
// A policy's logic can be tested on the host: FakeCPUs sets up the tables
// it reads (sched/rr's and examples/customsched's tests do).
//
// Ready(t, why) must queue t where Allowed(t, cpu) permits and return
// that CPU; Next(cpu) must return only a thread queued earlier and allowed
// on cpu, each queued thread once. What the policy reads about threads
// and CPUs it reads through Bound, Node, LastCPU, Priority, Allowed,
// NumCPU, NodeOf and Idle, all nosplit and safe in that context.
package sched
