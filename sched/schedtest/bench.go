//go:build tamago && amd64

package schedtest

import (
	"sync/atomic"
	"time"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/ktest"
	"github.com/aerokernel/aero/sched"
)

func init() {
	ktest.Register("sched/bench", testBench)
}

// benchOption is the kernel command line option that makes sched/bench
// measure (qemu's BenchmarkSched boots with it); without it the test
// skips, so that test=all stays short.
const benchOption = "schedbench"

// testBench measures, and logs as "bench create_join_ns=N switch_ns=N
// wake_ns=N": starting and joining a thread, a switch between two threads
// bound to one CPU (each yielding to the other), and a wake-up from one
// CPU to another (two threads on two CPUs unparking each other in turn:
// half a round trip).
func testBench(t *ktest.T) {
	k := core.Running()
	if k.Cmdline == nil || !k.Cmdline.Has(benchOption) {
		t.Skipf("measures only with %s on the command line", benchOption)
	}
	if len(k.CPUs) < 3 {
		t.Skipf("needs 3 CPUs, has %d", len(k.CPUs))
	}
	const creates, switches, wakes = 200, 20_000, 2_000

	start := time.Now()
	for range creates {
		th, err := sched.Start(func() {})
		if err != nil {
			t.Fatal(err)
		}
		th.Join()
	}
	createJoin := time.Since(start) / creates

	// Two threads on CPU 1, the timer off, yielding to each other.
	var ready atomic.Int32
	var elapsed [2]time.Duration
	var ths [2]*sched.Thread
	for i := range ths {
		th, err := sched.Start(func() {
			sched.PreemptOff()
			defer sched.PreemptOn()
			ready.Add(1)
			for ready.Load() < 2 {
				sched.Yield()
			}
			s := time.Now()
			for range switches {
				sched.Yield()
			}
			elapsed[i] = time.Since(s)
		}, sched.OnCPU(1))
		if err != nil {
			t.Fatal(err)
		}
		ths[i] = th
	}
	for _, th := range ths {
		th.Join()
	}
	// Each Yield of one thread is a switch to the other and back.
	switchNS := max(elapsed[0], elapsed[1]) / (2 * switches)

	// Ping-pong across CPUs 1 and 2.
	var flags [2]uint32
	var peers [2]*sched.Thread
	started := make(chan struct{})
	var wakeTime time.Duration
	b, err := sched.Start(func() {
		<-started
		for range wakes {
			sched.Park(&flags[1])
			flags[1] = 0
			peers[0].Unpark(&flags[0])
		}
	}, sched.OnCPU(2))
	if err != nil {
		t.Fatal(err)
	}
	a, err := sched.Start(func() {
		<-started
		s := time.Now()
		for range wakes {
			peers[1].Unpark(&flags[1])
			sched.Park(&flags[0])
			flags[0] = 0
		}
		wakeTime = time.Since(s)
	}, sched.OnCPU(1))
	if err != nil {
		t.Fatal(err)
	}
	peers[0], peers[1] = a, b
	sent0, taken0 := sched.ReschedIPIs()
	close(started)
	a.Join()
	b.Join()
	wakeNS := wakeTime / (2 * wakes)
	sent, taken := sched.ReschedIPIs()
	sent, taken = sent-sent0, taken-taken0

	t.Logf("bench create_join_ns=%d switch_ns=%d wake_ns=%d policy=%s timer=%s",
		createJoin.Nanoseconds(), switchNS.Nanoseconds(), wakeNS.Nanoseconds(), k.Scheduler.Name(), sched.PreemptTimer())
	t.Logf("reschedule IPIs during the %d wake-ups: %d sent, %d taken", 2*wakes, sent, taken)
}
