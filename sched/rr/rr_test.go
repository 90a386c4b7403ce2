package rr

import (
	"testing"

	"github.com/aerokernel/aero/sched"
)

func newPolicy(t *testing.T, cpus int) (*Policy, *sched.Fake) {
	t.Helper()
	f := sched.FakeCPUs(cpus)
	p := &Policy{}
	if err := p.Init(cpus, 16); err != nil {
		t.Fatal(err)
	}
	return p, f
}

// next drains cpu's turns: what Next gives, n times.
func next(p *Policy, cpu, n int) []sched.TID {
	var got []sched.TID
	for range n {
		got = append(got, p.Next(cpu))
	}
	return got
}

func TestRoundRobin(t *testing.T) {
	p, f := newPolicy(t, 2)
	for id := sched.TID(1); id <= 3; id++ {
		f.Thread(id, 1, -1, 1, 0)
		if c := p.Ready(id, sched.Woken); c != 1 {
			t.Fatalf("thread %d bound to CPU 1 queued on %d", id, c)
		}
	}
	// Each yields after its turn: the order goes round.
	var order []sched.TID
	for range 6 {
		id := p.Next(1)
		order = append(order, id)
		p.Ready(id, sched.Yielded)
	}
	want := []sched.TID{1, 2, 3, 1, 2, 3}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("turns %v, want %v", order, want)
		}
	}
	// CPU 0 may not steal threads bound to CPU 1.
	if got := p.Next(0); got != sched.None {
		t.Errorf("CPU 0 took thread %d bound to CPU 1", got)
	}
}

func TestPlacementAndStealing(t *testing.T) {
	p, f := newPolicy(t, 3)
	// An unbound thread last on a busy CPU goes to an idle one.
	f.Idle(2, true)
	f.Thread(5, -1, -1, 0, 0)
	if c := p.Ready(5, sched.Woken); c != 2 {
		t.Errorf("woken unbound thread queued on CPU %d, want idle CPU 2", c)
	}
	f.Idle(2, false)
	// With none idle, the shortest queue it may join.
	f.Thread(6, -1, -1, -1, 0)
	if c := p.Ready(6, sched.Started); c != 0 {
		t.Errorf("new thread queued on CPU %d, want 0 (shortest, first)", c)
	}
	// CPU 1, empty, steals the oldest thread it may run.
	if got := p.Next(1); got != 5 && got != 6 {
		t.Errorf("CPU 1 stole %d, want 5 or 6", got)
	}
	// A node binding is kept when stealing.
	f.Node(2, 1)
	f.Thread(7, -1, 1, 2, 0)
	p.Ready(7, sched.Yielded)
	if got := next(p, 0, 3); got[0] == 7 || got[1] == 7 || got[2] == 7 {
		t.Errorf("CPU 0 (node 0) took thread 7 bound to node 1: %v", got)
	}
	if got := p.Next(2); got != 7 {
		t.Errorf("CPU 2 (node 1) got %d, want 7", got)
	}
	// A CPU that is not up gets nothing.
	f.Down(1)
	f.Thread(8, -1, -1, 1, 0)
	if c := p.Ready(8, sched.Woken); c == 1 {
		t.Error("thread queued on CPU 1, which is down")
	}
}

func TestPreempt(t *testing.T) {
	p, f := newPolicy(t, 2)
	f.Thread(1, 0, -1, 0, 0)
	if p.Preempt(1, 0, 2*Slice) {
		t.Error("preempted with nothing else to run")
	}
	f.Thread(2, 0, -1, 0, 0)
	p.Ready(2, sched.Woken)
	if p.Preempt(1, 0, Slice/2) {
		t.Error("preempted within its slice")
	}
	if !p.Preempt(1, 0, Slice) {
		t.Error("not preempted after its slice with thread 2 waiting")
	}
	// A thread CPU 1 may steal also counts; one bound to CPU 0 does not.
	f.Thread(3, 1, -1, 1, 0)
	if p.Preempt(3, 1, Slice) {
		t.Error("CPU 1 preempted for a thread bound to CPU 0")
	}
}
