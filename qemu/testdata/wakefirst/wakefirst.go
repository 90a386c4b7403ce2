//go:build tamago && amd64

// Package wakefirst is a scheduling policy kept outside the Aero tree: one
// run queue per CPU where a thread that was started or woken goes to the
// front and one that yielded to the back.
package wakefirst

import (
	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/sched"
)

const Name = "wakefirst"

func init() {
	core.RegisterScheduler(Name, func() core.Scheduler { return sched.New(Name, &policy{}) })
}

type policy struct {
	q []sched.Queue // per CPU, next first
}

func (p *policy) Init(cpus, threads int) (err error) {
	p.q, err = sched.NewQueues(cpus, threads)
	return err
}

//go:nosplit
func (p *policy) Ready(t sched.TID, why sched.Reason) int {
	c := sched.Bound(t)
	if c < 0 {
		c = sched.LastCPU(t)
	}
	if c < 0 || !sched.Allowed(t, c) {
		for c = 0; c < len(p.q)-1 && !sched.Allowed(t, c); c++ {
		}
	}
	if why == sched.Yielded {
		p.q[c].PushBack(t)
	} else {
		p.q[c].PushFront(t)
	}
	return c
}

//go:nosplit
func (p *policy) Next(cpu int) sched.TID {
	for d := range p.q {
		q := &p.q[(cpu+d)%len(p.q)]
		for i := range q.Len() {
			if sched.Allowed(q.At(i), cpu) {
				return q.Remove(i)
			}
		}
	}
	return sched.None
}
