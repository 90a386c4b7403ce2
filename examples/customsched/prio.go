// Package customsched is an HRT's own scheduling policy, kept outside
// sched: strict priority. Each CPU has a queue; Next runs the queued
// thread with the highest priority (sched.Priority, set with
// sched.AtPriority), the oldest among equals, so a thread that yields
// runs again at once while nothing above it is runnable — where sched/rr
// would take turns. A CPU with nothing queued takes the highest-priority
// thread it may run from another CPU's queue.
//
// configs/customsched links it (the boot summary says sched=prio); its
// order workload (sched/schedtest's sched/order) then prints each
// worker's steps together, highest priority first.
package customsched

import (
	"fmt"

	"github.com/aerokernel/aero/sched"
)

// Name is the policy's registry name.
const Name = "prio"

// Policy is the strict-priority policy. The zero value is ready for Init.
type Policy struct {
	queues []sched.Queue // per CPU, oldest first
}

// Init sizes every CPU's queue for all threads (sched's policy contract:
// only Init allocates).
func (p *Policy) Init(cpus, threads int) error {
	qs, err := sched.NewQueues(cpus, threads)
	if err != nil {
		return fmt.Errorf("customsched: %v", err)
	}
	p.queues = qs
	return nil
}

// Ready queues t on its bound CPU, else the CPU it ran on last, else the
// allowed CPU with the shortest queue.
//
//go:nosplit
func (p *Policy) Ready(t sched.TID, why sched.Reason) int {
	c := sched.Bound(t)
	if c < 0 {
		c = sched.LastCPU(t)
		if c < 0 || !sched.Allowed(t, c) || (why != sched.Yielded && !sched.Idle(c)) {
			c = p.shortest(t, c)
		}
	}
	p.queues[c].PushBack(t)
	return c
}

//go:nosplit
func (p *Policy) shortest(t sched.TID, fallback int) int {
	best := -1
	for c := range p.queues {
		if sched.Allowed(t, c) && (best < 0 || p.queues[c].Len() < p.queues[best].Len()) {
			best = c
		}
	}
	if best < 0 {
		if fallback >= 0 {
			return fallback
		}
		return 0
	}
	return best
}

// Next takes the highest-priority thread of cpu's queue, else of the
// other queues' threads allowed on cpu.
//
//go:nosplit
func (p *Policy) Next(cpu int) sched.TID {
	if t := p.take(cpu, cpu); t != sched.None {
		return t
	}
	for c := range p.queues {
		if c != cpu {
			if t := p.take(c, cpu); t != sched.None {
				return t
			}
		}
	}
	return sched.None
}

// take removes from queue q the highest-priority thread allowed on cpu.
//
//go:nosplit
func (p *Policy) take(q, cpu int) sched.TID {
	queue := &p.queues[q]
	best := -1
	for i := range queue.Len() {
		t := queue.At(i)
		if sched.Allowed(t, cpu) && (best < 0 || sched.Priority(t) > sched.Priority(queue.At(best))) {
			best = i
		}
	}
	if best < 0 {
		return sched.None
	}
	return queue.Remove(best)
}
