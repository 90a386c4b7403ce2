package sched

import "fmt"

// Queue is a run queue for policies: a ring of TIDs whose room is fixed
// when it is made, so that its methods keep the policy contract (nosplit,
// no allocation, no pointer writes). Make it in Policy.Init with room for
// every thread (the threads argument): each thread is queued at most once,
// so it never fills.
type Queue struct {
	buf     []TID
	head, n int
}

// NewQueue returns an empty queue with room for capacity threads.
func NewQueue(capacity int) (Queue, error) {
	if capacity < 1 {
		return Queue{}, fmt.Errorf("sched: a queue for %d threads", capacity)
	}
	return Queue{buf: make([]TID, capacity)}, nil
}

// NewQueues returns cpus empty queues with room for threads threads each:
// a per-CPU run queue, as Policy.Init makes it.
func NewQueues(cpus, threads int) ([]Queue, error) {
	if cpus < 1 {
		return nil, fmt.Errorf("sched: queues for %d CPUs", cpus)
	}
	qs := make([]Queue, cpus)
	for i := range qs {
		q, err := NewQueue(threads)
		if err != nil {
			return nil, err
		}
		qs[i] = q
	}
	return qs, nil
}

// Len is how many threads are queued.
//
//go:nosplit
func (q *Queue) Len() int { return q.n }

// At is the i-th thread from the front (0 <= i < Len).
//
//go:nosplit
func (q *Queue) At(i int) TID { return q.buf[(q.head+i)%len(q.buf)] }

// PushBack queues t last.
//
//go:nosplit
func (q *Queue) PushBack(t TID) {
	q.buf[(q.head+q.n)%len(q.buf)] = t
	q.n++
}

// PushFront queues t first.
//
//go:nosplit
func (q *Queue) PushFront(t TID) {
	q.head = (q.head + len(q.buf) - 1) % len(q.buf)
	q.buf[q.head] = t
	q.n++
}

// Remove takes out and returns the i-th thread from the front.
//
//go:nosplit
func (q *Queue) Remove(i int) TID {
	t := q.At(i)
	for j := i; j > 0; j-- {
		q.buf[(q.head+j)%len(q.buf)] = q.buf[(q.head+j-1)%len(q.buf)]
	}
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	return t
}
