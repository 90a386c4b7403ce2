package sched

import "sync/atomic"

// TID names a kernel thread: a small integer, an index into the
// scheduler's preallocated thread table. Policies keep TIDs, never
// pointers (see "The policy contract").
type TID int32

// None is the TID of no thread: what Policy.Next returns when it has
// nothing for a CPU.
const None TID = -1

// MaxThreads is the size of the thread table: how many kernel threads
// (the runtime's Ms) can exist at once.
const MaxThreads = 1024

// Reason says why a thread became runnable (Policy.Ready).
type Reason uint8

const (
	Started   Reason = iota // a thread the runtime just started
	Woken                   // a sleeping thread was woken, or its deadline passed
	Yielded                 // the running thread yielded its CPU
	Moved                   // the running thread's binding no longer allows its CPU
	Preempted               // the timer took the running thread's CPU (Preempter)
)

var reasonNames = [...]string{Started: "started", Woken: "woken", Yielded: "yielded", Moved: "moved", Preempted: "preempted"}

func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "reason(?)"
}

// Policy decides which runnable thread runs on which CPU. The kernel
// (this package) owns the threads, their state and the switch; a Policy
// owns only the run queues. See "The policy contract" in the package
// documentation for where each method is called and what it may do.
type Policy interface {
	// Init sizes the policy's queues for cpus CPUs and at most
	// threads threads (TIDs 0 to threads-1). Called once, from ordinary
	// Go code, before any other method: it may allocate.
	Init(cpus, threads int) error

	// Ready puts runnable thread t in a queue and returns the CPU whose
	// queue it joined: one that Allowed(t, cpu) permits. The kernel
	// sends that CPU a reschedule IPI if it idles.
	Ready(t TID, why Reason) int

	// Next removes and returns the thread that runs next on cpu, or None
	// to let cpu idle. It may take a thread queued for another CPU (work
	// stealing) if Allowed permits.
	Next(cpu int) TID
}

// The thread attributes policies read (Bound, Node, LastCPU, Priority)
// and the per-CPU facts (NumCPU, NodeOf, Idle): pointer-free tables that
// the kernel writes under its lock, sized at MaxThreads and at the CPUs
// the scheduler was given.
type attrs struct {
	bound, node, last, prio int32
}

var (
	attr    [MaxThreads]attrs
	ncpu    int
	cpuNode []int32  // node of each CPU
	idling  []uint32 // 1 while the CPU is in its idle loop (atomic)
	online  []uint32 // 1 once the CPU runs the scheduler (atomic)
)

// setCPUs sizes the per-CPU tables (ordinary Go code, before any thread
// is queued). Every CPU starts on node 0 until SetNodes says otherwise.
func setCPUs(n int) {
	ncpu = n
	cpuNode = make([]int32, n)
	idling = make([]uint32, n)
	online = make([]uint32, n)
}

// resetAttrs gives thread t no binding, priority 0 and no last CPU.
//
//go:nosplit
func resetAttrs(t TID) { attr[t] = attrs{bound: -1, node: -1, last: -1} }

// NumCPU is how many CPUs the scheduler was given (indexes 0 to
// NumCPU()-1, platform.CPUIndex's numbering); Allowed is false on those
// that did not come up.
//
//go:nosplit
func NumCPU() int { return ncpu }

// NodeOf is CPU cpu's NUMA node (0 until the kernel's topology is known).
//
//go:nosplit
func NodeOf(cpu int) int { return int(cpuNode[cpu]) }

// Idle reports whether CPU cpu is in its idle loop, halted or about to
// halt: a thread queued there runs once the reschedule IPI arrives.
//
//go:nosplit
func Idle(cpu int) bool { return atomic.LoadUint32(&idling[cpu]) != 0 }

// Bound is the CPU thread t is bound to, -1 if none.
//
//go:nosplit
func Bound(t TID) int { return int(attr[t].bound) }

// Node is the NUMA node thread t is bound to, -1 if none.
//
//go:nosplit
func Node(t TID) int { return int(attr[t].node) }

// LastCPU is the CPU thread t ran on last, -1 if it has not run.
//
//go:nosplit
func LastCPU(t TID) int { return int(attr[t].last) }

// Priority is thread t's priority (Options' Priority; 0 for the runtime's
// own threads). Its meaning is the policy's: rr ignores it.
//
//go:nosplit
func Priority(t TID) int { return int(attr[t].prio) }

// Allowed reports whether thread t may run on CPU cpu: the CPU is up (a
// CPU the firmware lists may fail to start) and t's CPU binding, else its
// node binding, permits it.
//
//go:nosplit
func Allowed(t TID, cpu int) bool {
	if atomic.LoadUint32(&online[cpu]) == 0 {
		return false
	}
	a := &attr[t]
	if a.bound >= 0 {
		return int(a.bound) == cpu
	}
	return a.node < 0 || cpuNode[cpu] == a.node
}
