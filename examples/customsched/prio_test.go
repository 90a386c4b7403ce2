package customsched

import (
	"testing"

	"github.com/aerokernel/aero/sched"
)

func TestStrictPriority(t *testing.T) {
	f := sched.FakeCPUs(2)
	p := &Policy{}
	if err := p.Init(2, 16); err != nil {
		t.Fatal(err)
	}
	for id, prio := range map[sched.TID]int{1: 1, 2: 3, 3: 2, 4: 3} {
		f.Thread(id, 1, -1, 1, prio)
	}
	for id := sched.TID(1); id <= 4; id++ {
		p.Ready(id, sched.Woken)
	}
	// The highest first, the oldest among equals; a thread that yields
	// runs again while nothing above it waits.
	first := p.Next(1)
	p.Ready(first, sched.Yielded)
	var got []sched.TID
	for range 4 {
		got = append(got, p.Next(1))
	}
	if first != 2 || got[0] != 4 || got[1] != 2 || got[2] != 3 || got[3] != 1 {
		t.Errorf("first %d then %v, want 2 then [4 2 3 1]", first, got)
	}
	if n := p.Next(1); n != sched.None {
		t.Errorf("empty queue gave %d", n)
	}
}
