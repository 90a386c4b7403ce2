//go:build tamago && amd64

package schedtest

import (
	"fmt"
	"runtime"
	"time"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/ktest"
	"github.com/aerokernel/aero/sched"
	"github.com/aerokernel/aero/sched/schedbench"
)

func init() {
	ktest.Register("sched/bench", testBench)
}

// benchOption is the kernel command line option that makes sched/bench
// measure (qemu's BenchmarkSchedVsLinux boots with it); without it the
// test skips, so that test=all stays short.
const benchOption = "schedbench"

// testBench runs the workload a Linux guest runs too (sched/schedbench,
// with schedbench.Default) on sched's kernel threads, logs its line, and
// checks on sched's own books what the workload cannot see through Go's
// API: that its create+joins ended as many kernel threads (Exits) and
// left the thread table no larger; it logs the reschedule IPIs sent (a
// wake-up of a halted CPU takes one).
func testBench(t *ktest.T) {
	k := core.Running()
	if k.Cmdline == nil || !k.Cmdline.Has(benchOption) {
		t.Skipf("measures only with %s on the command line", benchOption)
	}
	p := &benchPlatform{}
	exits, threads := sched.Exits(), sched.NumThreads()
	sent, _ := sched.ReschedIPIs()
	r, err := schedbench.Run(p, schedbench.Default)
	t.Log(schedbench.Report(r, err))
	if err != nil {
		t.Fatal(err)
	}
	ended := sched.Exits() - exits
	after := sched.NumThreads()
	ipis, _ := sched.ReschedIPIs()
	ipis -= sent
	t.Logf("policy=%s timer=%s; kernel threads: %d before, %d after, %d ended; %d reschedule IPIs sent",
		k.Scheduler.Name(), sched.PreemptTimer(), threads, after, ended, ipis)
	// Each create+join of the warm-up, the timed rounds and the check ends
	// a thread (but one that ran on the boot thread, which never ends).
	c := schedbench.Default
	runs := uint64(c.Creates/10 + 1 + c.Rounds*c.Creates + c.Checks)
	if ended+1 < runs {
		t.Errorf("%d create+joins ended %d kernel threads", runs, ended)
	}
	if after > threads+runtime.NumCPU()+2 {
		t.Errorf("the thread table grew from %d to %d threads over %d create+joins", threads, after, runs)
	}
}

// benchPlatform is schedbench's Platform on sched: the CPU index, Bind, and
// ended threads counted by Exits. The boot thread (TID 0, the runtime's
// m0) is the main thread.
type benchPlatform struct {
	exits uint64
	tids  []sched.TID
}

func (*benchPlatform) Name() string       { return "aero" }
func (*benchPlatform) CPU() int           { return sched.CPU() }
func (*benchPlatform) Pin(cpu int) error  { return sched.Bind(cpu) }
func (p *benchPlatform) MarkThread(i int) { p.tids[i] = sched.Current() }

// BeginThreads counts from when no thread has ended for settle (at most
// for a second): Exits counts every thread's end, and the last threads of
// the timed rounds may still be ending.
func (p *benchPlatform) BeginThreads(n int) error {
	p.tids = make([]sched.TID, n)
	const settle = 20 * time.Millisecond
	p.exits = sched.Exits()
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); {
		time.Sleep(settle)
		e := sched.Exits()
		if e == p.exits {
			return nil
		}
		p.exits = e
	}
	return fmt.Errorf("threads kept ending for a second before the create check (Exits %d)", p.exits)
}

func (p *benchPlatform) EndedThreads() (ended, onMain int, err error) {
	for _, id := range p.tids {
		if id == 0 {
			onMain++
		}
	}
	return int(sched.Exits() - p.exits), onMain, nil
}
