package sched

import (
	"slices"
	"testing"
)

func TestQueue(t *testing.T) {
	if _, err := NewQueue(0); err == nil {
		t.Error("NewQueue(0): no error")
	}
	q, err := NewQueue(4)
	if err != nil {
		t.Fatal(err)
	}
	contents := func() []TID {
		var s []TID
		for i := range q.Len() {
			s = append(s, q.At(i))
		}
		return s
	}
	q.PushBack(1)
	q.PushBack(2)
	q.PushFront(0)
	q.PushBack(3)
	if got := contents(); !slices.Equal(got, []TID{0, 1, 2, 3}) {
		t.Fatalf("after pushes: %v", got)
	}
	if got := q.Remove(2); got != 2 {
		t.Errorf("Remove(2) = %d, want 2", got)
	}
	if got := q.Remove(0); got != 0 {
		t.Errorf("Remove(0) = %d, want 0", got)
	}
	q.PushFront(5)
	q.PushBack(6)
	if got := contents(); !slices.Equal(got, []TID{5, 1, 3, 6}) {
		t.Fatalf("after removes and pushes around the ring: %v", got)
	}
}

func TestNewQueues(t *testing.T) {
	if _, err := NewQueues(0, 4); err == nil {
		t.Error("NewQueues(0, 4): no error")
	}
	if _, err := NewQueues(2, 0); err == nil {
		t.Error("NewQueues(2, 0): no error")
	}
	qs, err := NewQueues(3, 2)
	if err != nil || len(qs) != 3 {
		t.Fatalf("NewQueues(3, 2) = %d queues, %v", len(qs), err)
	}
	qs[0].PushBack(1)
	if qs[1].Len() != 0 || qs[0].Len() != 1 {
		t.Error("the queues share their room")
	}
}
