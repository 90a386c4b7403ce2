//go:build tamago && amd64

package sched

import (
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
	_ "unsafe" // go:linkname

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/platform"
)

// ErrNotRunning is Start's error when the kernel's scheduler is not one
// of this package's (New): there are no kernel threads to start.
var ErrNotRunning = errors.New("sched: the kernel's scheduler is not sched's")

// Thread is a function running on a kernel thread of its own (Start).
type Thread struct {
	name string
	id   TID
	opts options
	done chan struct{}
	// at is the kernel thread's statistics when fn began; final those
	// when it returned.
	at, final Stats
}

// Stats are a kernel thread's statistics.
type Stats struct {
	Switches    uint64        // times a CPU switched to it
	RunTime     time.Duration // time it ran on a CPU
	Preemptions uint64        // times the timer took its CPU (Preempter policies)
	CPU         int           // the CPU it runs on, or ran on last
}

// Option sets up a thread for Start.
type Option func(*options)

type options struct {
	cpu, node, prio int
	name            string
	stack           int
}

// OnCPU binds the thread to CPU cpu (platform.CPUIndex's numbering): it
// runs only there.
func OnCPU(cpu int) Option { return func(o *options) { o.cpu = cpu } }

// OnNode binds the thread to the CPUs of NUMA node node.
func OnNode(node int) Option { return func(o *options) { o.node = node } }

// Named names the thread (Thread.Name).
func Named(name string) Option { return func(o *options) { o.name = name } }

// AtPriority sets the priority a policy may schedule the thread by
// (Priority; rr ignores it, see the policy's documentation).
func AtPriority(p int) Option { return func(o *options) { o.prio = p } }

// StackSize makes the thread's goroutine stack at least n bytes before fn
// runs, so that fn uses that much without the stack being copied to grow.
// Go stacks are the runtime's: they grow on demand, come from the Go heap
// and may shrink again at a GC; sched has no fixed-size stack to give.
func StackSize(n int) Option { return func(o *options) { o.stack = n } }

// maxStack bounds StackSize (the runtime's own limit is 1 GB on 64-bit).
const maxStack = 64 << 20

// Start runs fn on a kernel thread of its own, in the spirit of
// Nautilus's nk_thread_start: a goroutine locked to its M
// (runtime.LockOSThread), which the options bind to a CPU or node and
// give a name and priority. It returns once the thread runs where its
// binding allows, before fn starts. The thread ends when fn returns; a
// panic in fn ends the kernel, as in any goroutine.
func Start(fn func(), opts ...Option) (*Thread, error) {
	if fn == nil {
		return nil, errors.New("sched: Start(nil)")
	}
	if cur == nil {
		return nil, ErrNotRunning
	}
	o := options{cpu: -1, node: -1}
	for _, f := range opts {
		f(&o)
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	t := &Thread{name: o.name, opts: o, done: make(chan struct{})}
	started := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		t.id = current()
		setAttrs(t.id, int32(o.cpu), int32(o.node), int32(o.prio))
		setName(t.id, o.name)
		migrate()
		if o.stack > 0 {
			growStack(o.stack)
		}
		t.at = statsOf(t.id)
		close(started)
		fn()
		t.final = statsOf(t.id)
		setName(t.id, "")
		setAttrs(t.id, -1, -1, 0)
		runtime.UnlockOSThread()
		close(t.done)
	}()
	<-started
	return t, nil
}

func (o *options) check() error {
	k := core.Running()
	n := ncpu
	if k != nil && len(k.CPUs) < n {
		n = len(k.CPUs)
	}
	if o.cpu < -1 || o.cpu >= n {
		return fmt.Errorf("sched: OnCPU(%d): CPUs are 0 to %d", o.cpu, n-1)
	}
	if o.node >= 0 {
		var cpus []int
		for c := range n {
			if NodeOf(c) == o.node {
				cpus = append(cpus, c)
			}
		}
		if len(cpus) == 0 {
			return fmt.Errorf("sched: OnNode(%d): no CPU of that node is up", o.node)
		}
		if o.cpu >= 0 && NodeOf(o.cpu) != o.node {
			return fmt.Errorf("sched: OnCPU(%d) and OnNode(%d): CPU %d is on node %d", o.cpu, o.node, o.cpu, NodeOf(o.cpu))
		}
	} else if o.node < -1 {
		return fmt.Errorf("sched: OnNode(%d)", o.node)
	}
	if o.stack < 0 || o.stack > maxStack {
		return fmt.Errorf("sched: StackSize(%d): want 0 to %d bytes", o.stack, maxStack)
	}
	return nil
}

// growStack uses n bytes of stack, so that the goroutine's stack grows to
// hold them.
//
//go:noinline
func growStack(n int) byte {
	var frame [4096]byte
	frame[0] = byte(n)
	if n > len(frame) {
		return growStack(n-len(frame)) + frame[0]
	}
	return frame[0]
}

// Name is the thread's name (Named).
func (t *Thread) Name() string { return t.name }

// Join waits for the thread's function to return.
func (t *Thread) Join() { <-t.done }

// Stats are the thread's statistics since its function began: so far,
// or, once it returned, in all.
func (t *Thread) Stats() Stats {
	select {
	case <-t.done:
		return t.final.since(t.at)
	default:
		return statsOf(t.id).since(t.at)
	}
}

func (s Stats) since(at Stats) Stats {
	return Stats{
		Switches:    s.Switches - at.Switches,
		RunTime:     s.RunTime - at.RunTime,
		Preemptions: s.Preemptions - at.Preemptions,
		CPU:         s.CPU,
	}
}

// Yield offers the calling thread's CPU to the other threads the policy
// has for it; the calling goroutine stays on its thread.
func Yield() { yield() }

// Bind binds the calling thread to CPU cpu, as OnCPU binds a thread that
// Start starts, in place of any binding it had, and returns running
// there; Bind(-1) unbinds it. It is for a goroutine locked to its thread
// (runtime.LockOSThread): any other leaves the binding on a thread it may
// leave at any time. The binding ends with the thread (a Start thread's
// when its function returns).
func Bind(cpu int) error {
	if cur == nil {
		return ErrNotRunning
	}
	o := options{cpu: cpu, node: -1}
	if err := o.check(); err != nil {
		return err
	}
	t := current()
	setAttrs(t, int32(cpu), -1, int32(Priority(t)))
	migrate()
	return nil
}

// CPU is the index of the CPU the caller runs on (platform.CPUIndex). A
// goroutine that is not bound can move at any time after.
func CPU() int { return platform.CPUIndex() }

// Self is the calling thread's statistics over its whole life (the
// runtime's M, or a Start thread before its function began).
func Self() Stats {
	return statsOf(current())
}

// Sleep blocks the calling thread for d, keeping its goroutine on it,
// while its CPU runs other threads: a kernel-level sleep for a thread
// that must not go through the Go scheduler (time.Sleep parks the
// goroutine instead). The goroutine is in a system call meanwhile, so its
// P may serve others (as for a blocking system call).
func Sleep(d time.Duration) {
	if d <= 0 {
		return
	}
	deadline := nanotime() + int64(d)
	entersyscall()
	for nanotime() < deadline {
		block(nil, deadline)
	}
	exitsyscall()
}

// Park blocks the calling thread until *flag is non-zero and it is
// unparked (Thread.Unpark), keeping its goroutine on it like Sleep.
func Park(flag *uint32) {
	entersyscall()
	for atomic.LoadUint32(flag) == 0 {
		block(flag, -1)
	}
	exitsyscall()
}

// Unpark sets *flag and makes t runnable if it is parked on it (Park).
// Like every wake-up it does not switch: t runs when the policy picks it.
func (t *Thread) Unpark(flag *uint32) {
	atomic.StoreUint32(flag, 1)
	fl := lock()
	if threads[t.id].state == blocked {
		threads[t.id].deadline = -1
		ready(t.id, Woken)
	}
	unlock(fl)
}

//go:linkname entersyscall runtime.entersyscall
func entersyscall()

//go:linkname exitsyscall runtime.exitsyscall
func exitsyscall()

// block blocks the calling thread until it is made runnable or its
// deadline (-1: none) passes, unless *flag (if not nil) is non-zero.
//
//go:nosplit
func block(flag *uint32, deadline int64) {
	fl := lock()
	c := here()
	t := cpus[c].cur
	if t == None || (flag != nil && atomic.LoadUint32(flag) != 0) {
		unlock(fl)
		return
	}
	threads[t].state = blocked
	threads[t].deadline = deadline
	noteDeadline(deadline)
	reschedule(c, t)
	unlock(fl)
}

// current is the calling thread.
//
//go:nosplit
func current() TID {
	fl := lock()
	t := cpus[here()].cur
	unlock(fl)
	return t
}

// setAttrs sets thread t's binding and priority.
//
//go:nosplit
func setAttrs(t TID, cpu, node, prio int32) {
	fl := lock()
	attr[t].bound, attr[t].node, attr[t].prio = cpu, node, prio
	unlock(fl)
}

// migrate moves the calling thread to a CPU its binding allows, if its
// CPU is not one: it returns running there.
//
//go:nosplit
func migrate() {
	fl := lock()
	c := here()
	if t := cpus[c].cur; t != None && !Allowed(t, c) {
		ready(t, Moved)
		reschedule(c, t)
	}
	unlock(fl)
}

// statsOf reads thread t's statistics.
//
//go:nosplit
func statsOf(t TID) Stats {
	fl := lock()
	th := &threads[t]
	run := th.runNS
	if th.state == running {
		run += nanotime() - th.since
	}
	s := Stats{Switches: th.switches, RunTime: time.Duration(run), Preemptions: th.preempts, CPU: int(th.cpu)}
	unlock(fl)
	return s
}

// PreemptOff keeps the calling thread on its CPU until PreemptOn: the
// timer does not take it (it still gives the CPU up when it sleeps or
// yields). Calls nest.
func PreemptOff() {
	fl := lock()
	if t := cpus[here()].cur; t != None {
		threads[t].nopreempt++
	}
	unlock(fl)
}

// PreemptOn undoes a PreemptOff.
func PreemptOn() {
	fl := lock()
	if t := cpus[here()].cur; t != None && threads[t].nopreempt > 0 {
		threads[t].nopreempt--
	}
	unlock(fl)
}

// Current is the calling thread's TID.
func Current() TID { return current() }

// NumThreads is how many kernel threads exist: the runtime's Ms.
func NumThreads() int {
	fl := lock()
	n := 0
	for i := range nthreads {
		if threads[i].state != free {
			n++
		}
	}
	unlock(fl)
	return n
}
