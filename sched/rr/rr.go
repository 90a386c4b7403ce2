// Package rr is Aero's default scheduling policy: per-CPU round robin. Each
// CPU has a FIFO run queue; a thread that yields goes to the back of its
// CPU's queue; a new or woken thread joins the queue of the CPU it ran on
// last if it may run there and that CPU is idle, else that of an idle CPU
// it may run on, else the shortest queue it may join. A CPU with an empty
// queue steals the oldest thread it may run from the longest other queue
// (work stealing for unbound threads; a bound thread never moves).
//
// Linking it makes it the kernel's scheduler ("scheduler rr" in a config;
// the boot summary says sched=rr). Its queues are fixed arrays of TIDs,
// allocated in Init, so every other method keeps sched's policy contract
// (nosplit, no allocation, no pointer writes).
//
// It preempts (sched.Preempter): a thread that has run for Slice while
// another thread waits for its CPU goes to the back of the queue.
package rr

import (
	"fmt"

	"github.com/aerokernel/aero/sched"
)

// Name is the policy's registry name.
const Name = "rr"

// Slice is the time slice a thread runs before, if others wait, it is
// put at the back of its queue.
const Slice = 10_000_000 // ns

// Policy is the round-robin policy. The zero value is ready for Init.
type Policy struct {
	queues []sched.Queue // one per CPU
}

// Init sizes a queue of threads entries for each CPU.
func (p *Policy) Init(cpus, threads int) error {
	qs, err := sched.NewQueues(cpus, threads)
	if err != nil {
		return fmt.Errorf("rr: %v", err)
	}
	p.queues = qs
	return nil
}

// Ready queues t (see the package documentation for where).
//
//go:nosplit
func (p *Policy) Ready(t sched.TID, why sched.Reason) int {
	c := p.place(t, why)
	p.queues[c].PushBack(t)
	return c
}

//go:nosplit
func (p *Policy) place(t sched.TID, why sched.Reason) int {
	if b := sched.Bound(t); b >= 0 {
		return b
	}
	last := sched.LastCPU(t)
	if (why == sched.Yielded || why == sched.Preempted) && last >= 0 && sched.Allowed(t, last) {
		return last // round robin on its own CPU
	}
	if last >= 0 && sched.Allowed(t, last) && sched.Idle(last) {
		return last
	}
	best := -1
	for c := range p.queues {
		if !sched.Allowed(t, c) {
			continue
		}
		if sched.Idle(c) && p.queues[c].Len() == 0 {
			return c
		}
		if best < 0 || p.queues[c].Len() < p.queues[best].Len() {
			best = c
		}
	}
	if best < 0 {
		// No CPU is allowed (a node without CPUs): the thread API
		// refuses such bindings, so this is a kernel bug; keep t
		// runnable where it was.
		if last >= 0 {
			return last
		}
		return 0
	}
	return best
}

// Next takes the oldest thread of cpu's queue, else steals.
//
//go:nosplit
func (p *Policy) Next(cpu int) sched.TID {
	if q := &p.queues[cpu]; q.Len() > 0 {
		return q.Remove(0)
	}
	// Steal from the longest queue the oldest thread allowed here.
	victim := -1
	for c := range p.queues {
		if c != cpu && p.queues[c].Len() > 0 && (victim < 0 || p.queues[c].Len() > p.queues[victim].Len()) {
			victim = c
		}
	}
	if victim < 0 {
		return sched.None
	}
	q := &p.queues[victim]
	for i := 0; i < q.Len(); i++ {
		if sched.Allowed(q.At(i), cpu) {
			return q.Remove(i)
		}
	}
	return sched.None
}

// Slice is the time slice on every CPU.
//
//go:nosplit
func (p *Policy) Slice(cpu int) int64 { return Slice }

// Preempt takes cpu from t once its slice is over if another thread could
// run there: one queued for cpu, or one that cpu may steal.
//
//go:nosplit
func (p *Policy) Preempt(t sched.TID, cpu int, ran int64) bool {
	if ran < Slice {
		return false
	}
	if p.queues[cpu].Len() > 0 {
		return true
	}
	for c := range p.queues {
		q := &p.queues[c]
		for i := 0; i < q.Len(); i++ {
			if sched.Allowed(q.At(i), cpu) {
				return true
			}
		}
	}
	return false
}
