//go:build tamago && amd64

package sched

import (
	"fmt"
	"sync/atomic"
	"unsafe"
	_ "unsafe" // go:linkname

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/platform"
	"github.com/usbarmory/tamago/amd64"
)

// New returns a core.Scheduler that runs the runtime's Ms as kernel
// threads on the CPUs under policy p, registered as name: what a policy
// package hands core.RegisterScheduler (see sched/rr).
func New(name string, p Policy) core.Scheduler {
	return &kernel{name: name, policy: p}
}

// kernel is the scheduler the running kernel uses (at most one: Threads
// makes it current).
type kernel struct {
	name   string
	policy Policy
}

// cur is the kernel whose hooks are installed; pol its policy, read in
// interrupt context (a global written once, in Threads, before any hook
// runs).
var (
	cur *kernel
	pol Policy
)

func (k *kernel) Name() string { return k.name }

// Init records each CPU's node, for node binding (Allowed, NodeOf).
func (k *kernel) Init(kn *core.Kernel) error {
	if k != cur {
		return fmt.Errorf("sched: %s: Init without Threads", k.name)
	}
	if len(kn.CPUs) > ncpu {
		return fmt.Errorf("sched: %d CPUs up, but Threads was told at most %d", len(kn.CPUs), ncpu)
	}
	fl := lock()
	for _, c := range kn.CPUs {
		cpuNode[c.Index] = int32(c.Node)
	}
	unlock(fl)
	if p, ok := k.policy.(Preempter); ok {
		return setupPreemption(kn, p)
	}
	return nil
}

// Threads prepares the thread table and the per-CPU state for maxCPUs
// CPUs and returns the hooks that make every M a thread of this
// scheduler, and the AP entry: each AP's idle loop.
func (k *kernel) Threads(maxCPUs int) (*core.ThreadHooks, core.APEntry, error) {
	if cur != nil {
		return nil, nil, fmt.Errorf("sched: %s: a second scheduler (%s already runs)", k.name, cur.name)
	}
	if k.policy == nil {
		return nil, nil, fmt.Errorf("sched: %s: no policy", k.name)
	}
	if maxCPUs < 1 {
		return nil, nil, fmt.Errorf("sched: %d CPUs", maxCPUs)
	}
	if err := k.policy.Init(maxCPUs, MaxThreads); err != nil {
		return nil, nil, fmt.Errorf("sched: policy %s: %v", k.name, err)
	}
	setCPUs(maxCPUs)
	cpus = make([]cpuState, maxCPUs)
	for i := range cpus {
		cpus[i].cur = None
		cpus[i].armed = -1
		cpus[i].exited = None
	}
	for t := range threads {
		resetAttrs(TID(t))
	}
	// The boot CPU's idle context: a stack of its own and a TLS word of
	// zero, so that the idle loop runs with g nil, as on the APs.
	bootIdleStack = make([]byte, idleStackSize)
	c0 := &cpus[0]
	c0.idle = context{
		sp: (uintptr(unsafe.Pointer(&bootIdleStack[0])) + idleStackSize) &^ 15,
		pc: idleStartPC(),
		fs: uintptr(unsafe.Pointer(&c0.tls[0])) + 8,
	}
	// The thread running this is the boot M (m0): thread 0, running on
	// CPU 0. Its mp is learnt at its first Sleep.
	threads[0].state = running
	threads[0].cpu = 0
	threads[0].since = nanotime()
	attr[0].last = 0
	nthreads = 1
	c0.cur = 0
	online[0] = 1
	kernelRunning = true
	installReschedGate()
	cur, pol = k, k.policy
	return &core.ThreadHooks{
		Start: start,
		Sleep: sleep,
		Wake:  wake,
		Yield: yield,
		Exit:  exit,
	}, entry, nil
}

// context is a switched-out thread's saved state (switch_amd64.s keeps
// the offsets): stack, frame pointer, resume PC and FS base, and for a
// context never run, the g register and entry its start code takes.
type context struct {
	sp, bp, pc, fs, g, fn uintptr
}

// A thread's state.
const (
	free     = iota // the table slot is unused
	runnable        // in a policy's queue
	running         // some CPU's current thread
	blocked         // in Sleep, waiting for Wake or its deadline
)

// thread is one kernel thread: an M of the runtime. Pointer-free (mp is a
// word), so that hooks without a P and interrupt code may write it.
type thread struct {
	ctx      context
	mp       uintptr
	state    uint32
	cpu      int32 // the CPU it runs on, or ran on last
	deadline int64 // of its Sleep, -1 if none
	// nopreempt > 0: the timer leaves it its CPU (PreemptOff).
	nopreempt uint32
	// frame and fx hold its state while it is preempted (onTick).
	frame iframe
	fx    [512 + 16]byte
	// Statistics: switches onto a CPU, run time, preemptions, and when
	// it last started running.
	switches, preempts uint64
	runNS, since       int64
}

// threads is the thread table; nthreads the slots used so far.
var (
	threads  [MaxThreads]thread
	nthreads int32
)

// cpuState is one CPU's scheduler state.
type cpuState struct {
	cur  TID     // the running thread, None while idle
	idle context // the idle loop's saved state while a thread runs
	kick uint32  // raised to end the idle loop's halt (atomic)
	// polling is 1 while the idle loop polls kick before it halts: a
	// kick then needs no IPI (atomic).
	polling uint32
	tls     [2]uint64
	// armed is the deadline the idle loop's halt ends at, -1 for none.
	armed int64
	// exited is the thread that left this CPU for good (exit), None if
	// none, and exitWait the runtime's word to clear once its stack is
	// no longer used: the idle context finishes the exit (reap).
	exited   TID
	exitWait uintptr
	// Preemption (preempt.go): the CPU's own GDT with its TSS, and
	// whether it loaded them.
	gdt      [5]uint64
	gdtr     [10]byte
	tss      [104]byte
	trLoaded uint32
}

var cpus []cpuState

// idlePoll is how long an idle CPU polls for work before it halts (ns).
const idlePoll = 50_000

// idleStackSize is the boot CPU's idle stack (the APs idle on their entry
// stacks): the idle loop is nosplit and interrupts push onto it.
const idleStackSize = 16 << 10

var bootIdleStack []byte

// wakeVector is the vector that ends a halt and does nothing else
// (tamago's IRQ_WAKEUP, whose handler only writes the EOI).
const wakeVector = amd64.IRQ_WAKEUP

// schedLock guards the thread table, every CPU's state and the policy's
// queues. It is taken with interrupts off (Wake runs in interrupt
// context), and is held across a switch: the thread switched to releases
// it (threadStart, or the unlock after its own switchTo returns).
var schedLock uint32

//go:nosplit
func lock() uint64 {
	fl := platform.DisableInterrupts()
	for !atomic.CompareAndSwapUint32(&schedLock, 0, 1) {
		pause()
	}
	return fl
}

//go:nosplit
func unlock(fl uint64) {
	atomic.StoreUint32(&schedLock, 0)
	platform.RestoreInterrupts(fl)
}

//go:linkname nanotime runtime.nanotime
func nanotime() int64

// Defined in switch_amd64.s.

//go:noescape
func switchTo(from, to *context)
func threadStartPC() uintptr
func idleStartPC() uintptr
func pause()

// here is the calling CPU's index. With interrupts off or the lock held
// the caller cannot move.
//
//go:nosplit
func here() int { return platform.CPUIndex() }

// start is the Start hook: a new M becomes a runnable thread.
//
//go:nosplit
func start(sp, mp, gp, fn unsafe.Pointer) {
	fl := lock()
	t := None
	for i := TID(0); i < MaxThreads; i++ {
		if threads[i].state == free {
			t = i
			break
		}
	}
	if t == None {
		die("the thread table is full: the runtime asked for more than MaxThreads Ms")
	}
	if int32(t) >= nthreads {
		nthreads = int32(t) + 1
	}
	th := &threads[t]
	*th = thread{}
	th.ctx = context{sp: uintptr(sp), pc: threadStartPC(), g: uintptr(gp), fn: uintptr(fn)}
	th.mp = uintptr(mp)
	th.cpu = -1
	th.deadline = -1
	resetAttrs(t)
	ready(t, Started)
	unlock(fl)
}

// die reports a broken invariant where a panic cannot run (no g, or
// interrupts off with the lock held) and stops this CPU: the message goes
// straight to COM1, as a crash's would.
//
//go:nosplit
func die(msg string) {
	for _, s := range [...]string{"sched: fatal: ", msg, "\n"} {
		for i := 0; i < len(s); i++ {
			platform.COM1Write(s[i])
		}
	}
	var never uint32
	for {
		platform.DisableInterrupts()
		platform.HaltUnless(&never)
	}
}

// find returns the thread of mp, None if it has none.
//
//go:nosplit
func find(mp uintptr) TID {
	for i := TID(0); i < TID(nthreads); i++ {
		if threads[i].mp == mp && threads[i].state != free {
			return i
		}
	}
	return None
}

// ready hands runnable thread t to the policy and kicks the CPU it
// queued t on if that CPU idles. The lock is held.
//
//go:nosplit
func ready(t TID, why Reason) {
	threads[t].state = runnable
	c := pol.Ready(t, why)
	if c < 0 || c >= ncpu {
		// A policy broke the contract; queueing t nowhere would lose it.
		die("Policy.Ready returned no CPU")
	}
	if Idle(c) {
		kick(c)
	}
}

// kick ends CPU c's idle halt: the reschedule IPI.
//
//go:nosplit
func kick(c int) {
	atomic.StoreUint32(&cpus[c].kick, 1)
	// The idle loop clears polling before it looks at kick a last time
	// and halts: seeing it set after raising kick, the IPI is not needed.
	if c != here() && atomic.LoadUint32(&cpus[c].polling) == 0 {
		reschedSent++
		platform.IPI(c, reschedVector)
	}
}

// The reschedule IPI: its own vector, above the device vectors, whose
// gate (reschedEntry) only counts it and writes the EOI; what matters is
// that it ends the halt of the idle loop it is sent to.
const reschedVector = 0xf1

// reschedSent counts the reschedule IPIs sent (under the lock);
// reschedTaken those taken (reschedEntry, atomically); x2apic tells
// reschedEntry how to write the EOI.
var (
	reschedSent, reschedTaken uint64
	x2apic                    uint8
)

// installReschedGate points the reschedule vector's IDT gate at
// reschedEntry, on IST 0: it runs on the interrupted stack, an idle loop's
// or, if the CPU just took a thread, that thread's, and pushes three
// words.
func installReschedGate() {
	if _, inUse := platform.X2APIC(); inUse {
		x2apic = 1
	}
	platform.SetGate(reschedVector, reschedEntryPC(), 0)
}

// ReschedIPIs reports the reschedule IPIs sent and taken so far.
func ReschedIPIs() (sent, taken uint64) {
	fl := lock()
	sent = reschedSent
	unlock(fl)
	return sent, atomic.LoadUint64(&reschedTaken)
}

func reschedEntryPC() uintptr

// expire makes runnable every blocked thread whose deadline has passed.
// The lock is held.
//
//go:nosplit
func expire(now int64) {
	for i := TID(0); i < TID(nthreads); i++ {
		th := &threads[i]
		if th.state == blocked && th.deadline >= 0 && now >= th.deadline {
			th.deadline = -1
			ready(i, Woken)
		}
	}
}

// reschedule runs the next thread on CPU c in place of t, its current
// thread, whose state the caller has set (blocked, or runnable and
// queued). It returns when t runs again, perhaps on another CPU, with the
// lock held. The lock is held.
//
//go:nosplit
func reschedule(c int, t TID) {
	now := nanotime()
	th := &threads[t]
	th.runNS += now - th.since
	expire(now)
	n := pol.Next(c)
	if n == t {
		th.state = running
		th.since = now
		armTimer(c, t)
		return
	}
	from := &th.ctx
	cp := &cpus[c]
	if n == None {
		cp.cur = None
		switchTo(from, &cp.idle)
		return
	}
	switchTo(from, run(c, n, now))
}

// run makes n CPU c's current thread and returns its context to switch
// to. The lock is held.
//
//go:nosplit
func run(c int, n TID, now int64) *context {
	nt := &threads[n]
	nt.state = running
	nt.cpu = int32(c)
	nt.switches++
	nt.since = now
	attr[n].last = int32(c)
	cpus[c].cur = n
	armTimer(c, n)
	return &nt.ctx
}

// sleep is the Sleep hook: the calling thread blocks until Wake or its
// deadline, and its CPU runs another thread or idles.
//
//go:nosplit
func sleep(mp unsafe.Pointer, sema *uint32, deadline int64) {
	for range 32 {
		// Wake-ups often come within a few microseconds.
		if atomic.LoadUint32(sema) != 0 {
			return
		}
		pause()
	}
	fl := lock()
	c := here()
	t := cpus[c].cur
	if t == None || atomic.LoadUint32(sema) != 0 || (deadline >= 0 && nanotime() >= deadline) {
		unlock(fl)
		return
	}
	th := &threads[t]
	if th.mp == 0 {
		th.mp = uintptr(mp) // the boot thread
	} else if th.mp != uintptr(mp) {
		die("Sleep by a thread that is not its CPU's current one")
	}
	th.state = blocked
	th.deadline = deadline
	noteDeadline(deadline)
	reschedule(c, t)
	unlock(fl)
}

// noteDeadline makes sure an idle CPU halts no longer than deadline (-1:
// none), the new deadline of a sleeping thread: unless one is armed for it
// or earlier, one idle CPU is kicked to arm its timer again. Otherwise,
// with every other CPU idle without a timer and this one busy with a
// thread that does not give it up, nothing would wake the sleeper. The
// lock is held.
//
//go:nosplit
func noteDeadline(deadline int64) {
	if deadline < 0 {
		return
	}
	for c := range ncpu {
		if Idle(c) {
			if a := cpus[c].armed; a >= 0 && a <= deadline {
				return
			}
		}
	}
	for c := range ncpu {
		if Idle(c) {
			kick(c)
			return
		}
	}
}

// wake is the Wake hook: mp's thread, if it sleeps, becomes runnable. It
// never switches: the thread runs when its CPU next schedules (at once if
// that CPU idles, through kick).
//
//go:nosplit
func wake(mp unsafe.Pointer) {
	fl := lock()
	if t := find(uintptr(mp)); t != None && threads[t].state == blocked {
		threads[t].deadline = -1
		ready(t, Woken)
	}
	unlock(fl)
}

// yield is the Yield hook (and Yield): the calling thread goes back to
// the policy, which may run another thread on its CPU first.
//
//go:nosplit
func yield() {
	fl := lock()
	c := here()
	if t := cpus[c].cur; t != None {
		ready(t, Yielded)
		reschedule(c, t)
	}
	unlock(fl)
}

// exit is the Exit hook: thread mp ends for good (a goroutine exited while
// locked to it). It runs on the thread's g0 stack, which the runtime frees
// once *wait is 0, so the CPU switches to its idle context first, and the
// idle context frees the thread's slot and clears *wait (reap) before it
// runs anything else. Never returns.
//
//go:nosplit
func exit(mp unsafe.Pointer, wait *uint32) {
	lock() // held across the switch: the idle context releases it
	c := here()
	cp := &cpus[c]
	t := cp.cur
	if t == None || threads[t].mp != uintptr(mp) {
		die("Exit by a thread that is not its CPU's current one")
	}
	th := &threads[t]
	th.runNS += nanotime() - th.since
	cp.exited = t
	cp.exitWait = uintptr(unsafe.Pointer(wait))
	cp.cur = None
	var left context // this stack is not resumed
	switchTo(&left, &cp.idle)
	die("an exited thread ran again")
}

// reap finishes on CPU c's idle context the exit of the thread that left
// the CPU (exit): its slot is free for the next Start, and the runtime
// learns that its stack is unused. The lock is held.
//
//go:nosplit
func reap(cp *cpuState) {
	t := cp.exited
	if t == None {
		return
	}
	threads[t].state = free
	threads[t].mp = 0
	exits++
	atomic.StoreUint32((*uint32)(unsafe.Pointer(cp.exitWait)), 0)
	cp.exited = None
	cp.exitWait = 0
}

// exits counts the threads that ended through exit (under the lock).
var exits uint64

// Exits reports how many threads have ended for good: Ms whose goroutine
// exited while locked to them.
func Exits() uint64 {
	fl := lock()
	n := exits
	unlock(fl)
	return n
}

// entry is the AP entry: the AP's idle loop, on its entry stack.
//
//go:nosplit
func entry(cpu int) {
	atomic.StoreUint32(&online[cpu], 1)
	idleLoop(cpu)
}

// idleMain is where the boot CPU's idle context starts (idleStart), with
// the lock held by the thread that switched here.
//
//go:nosplit
func idleMain() {
	reap(&cpus[here()])
	atomic.StoreUint32(&schedLock, 0)
	idleLoop(here())
}

// idleLoop runs on CPU c while it has no thread: it runs the next thread
// the policy gives, else halts until a kick, an interrupt, or the earliest
// deadline of a sleeping thread. g is nil here. A timer left armed when a
// kick ends the halt first fires once on the wake vector, which does
// nothing, unless a switch re-arms the timer for preemption first.
//
//go:nosplit
func idleLoop(c int) {
	cp := &cpus[c]
	for {
		atomic.StoreUint32(&cp.kick, 0)
		fl := lock()
		now := nanotime()
		expire(now)
		if n := pol.Next(c); n != None {
			switchTo(&cp.idle, run(c, n, now))
			reap(cp)
			unlock(fl)
			continue
		}
		// The earliest deadline of a sleeping thread: the halt ends then
		// at the latest (the local APIC timer on the wake vector), so that
		// an idle CPU sleeps until there is something to do.
		next := int64(-1)
		for i := TID(0); i < TID(nthreads); i++ {
			if d := threads[i].deadline; threads[i].state == blocked && d >= 0 && (next < 0 || d < next) {
				next = d
			}
		}
		cp.armed = next
		atomic.StoreUint32(&idling[c], 1)
		atomic.StoreUint32(&cp.polling, 1)
		unlock(fl)
		// Poll a while before halting: a thread woken meanwhile runs
		// without a reschedule IPI and without waking a halted CPU
		// (under TCG the host must run the halted vCPU's thread again,
		// which on a busy host took milliseconds: BenchmarkSchedVsLinux's
		// cross-CPU wake), as Linux polls for short idles.
		end := nanotime() + idlePoll
		if next >= 0 {
			end = min(end, next)
		}
		for atomic.LoadUint32(&cp.kick) == 0 && nanotime() < end {
			pause()
		}
		atomic.StoreUint32(&cp.polling, 0)
		// Interrupts off from arming to the halt: a timer that fires
		// before the HLT must end it, not be taken and lost before it
		// (HaltUnless halts with STI;HLT, which takes a pending
		// interrupt only once halted).
		platform.DisableInterrupts()
		if next >= 0 {
			platform.ArmLocalTimer(wakeVector, platform.TimerSpan(next-now))
		}
		platform.HaltUnless(&cp.kick)
		atomic.StoreUint32(&idling[c], 0)
	}
}
