//go:build tamago && amd64

// Package schedtest holds sched's in-kernel tests, linked into a kernel
// with a "module github.com/aerokernel/aero/sched/schedtest" line and run
// with test=all under whichever sched policy the kernel links:
//   - sched/bound: a thread bound to each CPU stays there across 1,000
//     yields and sleeps (its APIC ID checked after each);
//   - sched/bind: a goroutine that locked its thread binds it (Bind) to
//     each CPU in turn and stays on it, then unbinds it;
//   - sched/locked: 16 goroutines locked to their threads all progress;
//   - sched/exit: goroutines that exit locked to their threads end those
//     threads (the runtime's Exit hook), whose slots and stacks are used
//     again, and the kernel goes on;
//   - sched/fp: floating-point work in many threads that the timer
//     preempts comes out bit for bit as without preemption;
//   - sched/order: the policy workload, whose printed order shows which
//     policy ran (qemu's TestSched asserts it per policy);
//   - sched/bench (bench.go): with schedbench on the command line only,
//     sched/schedbench's workload on sched's threads, for qemu's
//     BenchmarkSchedVsLinux.
package schedtest

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/ktest"
	"github.com/aerokernel/aero/core/platform"
	"github.com/aerokernel/aero/sched"
)

func init() {
	ktest.Register("sched/bound", testBound)
	ktest.Register("sched/bind", testBind)
	ktest.Register("sched/locked", testLocked)
	ktest.Register("sched/exit", testExit)
	ktest.Register("sched/order", testOrder)
	ktest.Register("sched/fp", testFP)
}

// rounds is how many yields and sleeps a bound thread makes.
const rounds = 1000

func testBound(t *ktest.T) {
	k := core.Running()
	n := len(k.CPUs)
	type result struct {
		wrong   int    // rounds that found it on another CPU
		seen    uint32 // the first wrong APIC ID
		stats   sched.Stats
		threads int
		// listed is how sched.List showed the thread to itself.
		listed sched.ThreadInfo
		found  bool
	}
	res := make([]result, n)
	var ths []*sched.Thread
	for cpu := range n {
		want := k.CPUs[cpu].APICID
		r := &res[cpu]
		name := fmt.Sprintf("bound%d", cpu)
		th, err := sched.Start(func() {
			self := sched.Current()
			for _, ti := range sched.List() {
				if ti.ID == self {
					r.listed, r.found = ti, true
				}
			}
			for i := range rounds {
				switch i % 4 {
				case 0:
					sched.Yield()
				case 1:
					runtime.Gosched()
				case 2:
					time.Sleep(20 * time.Microsecond)
				case 3:
					sched.Sleep(20 * time.Microsecond)
				}
				if id := uint32(platform.ProcessorID()); id != want {
					if r.wrong == 0 {
						r.seen = id
					}
					r.wrong++
				}
			}
		}, sched.OnCPU(cpu), sched.Named(name))
		if err != nil {
			t.Fatalf("Start on CPU %d: %v", cpu, err)
		}
		ths = append(ths, th)
	}
	for cpu, th := range ths {
		th.Join()
		r := &res[cpu]
		r.stats = th.Stats()
		if r.wrong > 0 {
			t.Errorf("thread %s bound to CPU %d (APIC ID %d): on another CPU after %d of %d rounds (first APIC ID %d)",
				th.Name(), cpu, k.CPUs[cpu].APICID, r.wrong, rounds, r.seen)
		}
		if r.stats.CPU != cpu {
			t.Errorf("thread %s bound to CPU %d: last ran on CPU %d", th.Name(), cpu, r.stats.CPU)
		}
		if r.stats.Switches == 0 || r.stats.RunTime <= 0 {
			t.Errorf("thread %s: statistics %+v: no switches or run time after %d yields and sleeps", th.Name(), r.stats, rounds)
		}
		t.Logf("%s: %d rounds on APIC ID %d; switches=%d run=%v", th.Name(), rounds, k.CPUs[cpu].APICID, r.stats.Switches, r.stats.RunTime)
		if l := r.listed; !r.found || l.Name != th.Name() || l.State != sched.Running || l.Bound != cpu || l.CPU != cpu || l.Switches == 0 {
			t.Errorf("thread %s bound to CPU %d: sched.List showed it to itself as %+v (found %v)", th.Name(), cpu, l, r.found)
		}
	}
	// A thread's name goes with its function: the M is the runtime's again.
	for _, ti := range sched.List() {
		if strings.HasPrefix(ti.Name, "bound") {
			t.Errorf("sched.List after Join: %+v", ti)
		}
	}
	if _, err := sched.Start(func() {}, sched.OnCPU(n)); err == nil {
		t.Errorf("Start(OnCPU(%d)) with %d CPUs: no error", n, n)
	}
}

// locked is how many goroutines testLocked locks to threads: more than
// CPUs, so that threads must share them.
const locked = 16

func testLocked(t *ktest.T) {
	n := len(core.Running().CPUs)
	var progress [locked]atomic.Int32
	var ids [locked]sched.TID
	var cpus [locked]uint32 // bit c: ran on CPU c
	const steps = 50
	// All hold their threads at once: every ID is read while all are
	// locked, and none unlocks before all are done (else a later
	// goroutine could lock the thread an earlier one left).
	var wg, arrived, finished sync.WaitGroup
	arrived.Add(locked)
	finished.Add(locked)
	ping := make([]chan int, locked)
	for i := range ping {
		ping[i] = make(chan int)
	}
	for i := range locked {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			ids[i] = sched.Current()
			arrived.Done()
			arrived.Wait()
			defer func() { finished.Done(); finished.Wait() }()
			// Pairs ping-pong (their threads sleep and wake each other)
			// and every goroutine also sleeps on a timer.
			partner := i ^ 1
			for s := range steps {
				if i%2 == 0 {
					ping[partner] <- s
					<-ping[i]
				} else {
					<-ping[i]
					ping[partner] <- s
				}
				if s%10 == 0 {
					time.Sleep(100 * time.Microsecond)
				}
				cpus[i] |= 1 << sched.CPU()
				progress[i].Add(1)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	threads := 0
	select {
	case <-done:
		threads = sched.NumThreads()
	case <-time.After(60 * time.Second):
		var stuck []string
		for i := range progress {
			if p := progress[i].Load(); p < steps {
				stuck = append(stuck, fmt.Sprintf("%d at %d", i, p))
			}
		}
		t.Fatalf("after 60 s, locked goroutines short of %d steps: %s", steps, strings.Join(stuck, ", "))
	}
	distinct := slices.Clone(ids[:])
	slices.Sort(distinct)
	if len(slices.Compact(distinct)) != locked {
		t.Errorf("the %d locked goroutines ran on threads %v: not one each", locked, ids)
	}
	var used uint32
	for _, c := range cpus {
		used |= c
	}
	t.Logf("%d locked goroutines made %d steps each on %d threads of their own; CPUs used (bits) %#x of %d; %d kernel threads now",
		locked, steps, locked, used, n, threads)
	if threads <= n {
		t.Errorf("%d kernel threads for %d locked goroutines on %d CPUs", threads, locked, n)
	}
}

// testBind binds a locked goroutine's thread to each CPU, last first (so
// that each Bind moves it), and checks its CPU and APIC ID across yields
// and sleeps; Bind(-1) leaves it unbound, and a CPU that does not exist is
// an error.
func testBind(t *ktest.T) {
	k := core.Running()
	n := len(k.CPUs)
	if err := sched.Bind(n); err == nil {
		t.Errorf("Bind(%d) on %d CPUs: no error", n, n)
	}
	errs := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		self := sched.Current()
		for cpu := n - 1; cpu >= 0; cpu-- {
			if err := sched.Bind(cpu); err != nil {
				errs <- err
				return
			}
			for i := range 100 {
				if at, id := sched.CPU(), uint32(platform.ProcessorID()); at != cpu || id != k.CPUs[cpu].APICID || sched.Bound(self) != cpu {
					errs <- fmt.Errorf("bound to CPU %d (APIC ID %d): round %d on CPU %d (APIC ID %d), Bound %d", cpu, k.CPUs[cpu].APICID, i, at, id, sched.Bound(self))
					return
				}
				if i%2 == 0 {
					sched.Yield()
				} else {
					time.Sleep(10 * time.Microsecond)
				}
			}
		}
		if err := sched.Bind(-1); err != nil || sched.Bound(self) != -1 {
			errs <- fmt.Errorf("Bind(-1) = %v, Bound %d after", err, sched.Bound(self))
			return
		}
		errs <- nil
	}()
	if err := <-errs; err != nil {
		t.Error(err)
	}
}

// exitWaves and exitWave: testExit ends exitWave threads at once, then
// again, exitWaves times in all.
const (
	exitWaves = 4
	exitWave  = 8
)

// testExit has goroutines lock themselves to their threads and exit
// without unlocking, a wave of them at a time: each thread must end
// (Exits counts it), a thread that ended never runs a goroutine again, and
// the thread table must not grow wave after wave (the ended threads'
// slots are taken again by the Ms the runtime starts for the next). The
// boot thread (TID 0, the runtime's m0) never ends: a goroutine that exits
// locked to it leaves it parked for good, as on other systems.
func testExit(t *ktest.T) {
	before := sched.Exits()
	var want uint64
	start := sched.NumThreads()
	most := start
	var ended []sched.TID
	for w := range exitWaves {
		ids := make(chan sched.TID, exitWave)
		var all sync.WaitGroup
		all.Add(exitWave)
		for range exitWave {
			go func() {
				runtime.LockOSThread()
				ids <- sched.Current()
				all.Done()
				all.Wait() // every goroutine of the wave holds its own thread
				// Returns locked: the runtime ends the thread.
			}()
		}
		wave := make([]sched.TID, 0, exitWave)
		for range exitWave {
			id := <-ids
			wave = append(wave, id)
			if id != 0 {
				want++
			}
		}
		deadline := time.Now().Add(30 * time.Second)
		for sched.Exits()-before < want && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if got := sched.Exits() - before; got != want {
			t.Fatalf("wave %d: threads %v: %d ended so far, want %d (after 30 s)", w, wave, got, want)
		}
		sorted := slices.Clone(wave)
		slices.Sort(sorted)
		if len(slices.Compact(sorted)) != exitWave {
			t.Fatalf("wave %d: the %d locked goroutines shared threads: %v", w, exitWave, wave)
		}
		ended = append(ended, wave...)
		most = max(most, sched.NumThreads())
	}
	// Work on every CPU after the exits: the kernel and the runtime's
	// remaining threads go on.
	var wg sync.WaitGroup
	var sum atomic.Int64
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i%4) * 100 * time.Microsecond)
			sum.Add(int64(i))
		}()
	}
	wg.Wait()
	if sum.Load() != 64*63/2 {
		t.Errorf("after the exits, 64 goroutines summed %d, want %d", sum.Load(), 64*63/2)
	}
	t.Logf("%d threads ended in %d waves (TIDs %v); threads: %d before, at most %d during, %d after",
		want, exitWaves, ended, start, most, sched.NumThreads())
	if most > start+exitWave+4 {
		t.Errorf("the thread table grew to %d from %d over %d waves of %d exits: ended threads' slots are not reused", most, start, exitWaves, exitWave)
	}
}

// The order workload: workers threads bound to one CPU, each with
// priority i+1, are released at once while that CPU is busy, and each
// logs its number and yields, steps times. Round robin interleaves them
// (0 1 2 0 1 2 ...); a strict-priority policy runs the highest first to
// the end (2 2 ... 1 1 ... 0 0 ...).
const (
	workers = 3
	steps   = 4
)

func testOrder(t *ktest.T) {
	k := core.Running()
	if len(k.CPUs) < 2 || runtime.GOMAXPROCS(0) < workers+1 {
		t.Skipf("needs 2 CPUs and GOMAXPROCS %d (%d CPUs, GOMAXPROCS %d)", workers+1, len(k.CPUs), runtime.GOMAXPROCS(0))
	}
	const cpu = 1
	var (
		log     [workers * steps]int32
		next    atomic.Int32
		arrived atomic.Int32
		flags   [workers]uint32
		wrong   atomic.Int32
	)
	releaser, err := sched.Start(func() {
		sched.PreemptOff()
		defer sched.PreemptOn()
		var ws []*sched.Thread
		for i := range workers {
			w, err := sched.Start(func() {
				sched.PreemptOff() // the order is the policy's Ready and Next alone
				defer sched.PreemptOn()
				arrived.Add(1)
				sched.Park(&flags[i])
				for range steps {
					if sched.CPU() != cpu {
						wrong.Add(1)
					}
					log[next.Add(1)-1] = int32(i)
					sched.Yield()
				}
			}, sched.OnCPU(cpu), sched.AtPriority(i+1), sched.Named(fmt.Sprintf("worker%d", i)))
			if err != nil {
				panic(err)
			}
			ws = append(ws, w)
		}
		// The workers run on this CPU only while this thread yields:
		// once all have arrived they are parked.
		for arrived.Load() < workers {
			sched.Yield()
		}
		// Release them all before this thread gives up the CPU, in
		// order: the policy alone decides who runs first.
		for i, w := range ws {
			w.Unpark(&flags[i])
		}
		for _, w := range ws {
			w.Join()
		}
	}, sched.OnCPU(cpu), sched.Named("releaser"))
	if err != nil {
		t.Fatal(err)
	}
	releaser.Join()
	if n := next.Load(); n != workers*steps {
		t.Fatalf("%d steps logged, want %d", n, workers*steps)
	}
	if w := wrong.Load(); w > 0 {
		t.Errorf("%d steps ran off CPU %d", w, cpu)
	}
	var b strings.Builder
	for i, w := range log {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprint(&b, w)
	}
	t.Logf("policy=%s order=%s", k.Scheduler.Name(), b.String())
}

// fpWork is floating-point (SSE) work whose state lives in XMM registers
// across the loop: a preempting switch that lost any of it would change
// the result.
func fpWork(seed float64, n int) float64 {
	a, b, c, d := seed, 1/seed, math.Sqrt(seed), seed*seed
	for range n {
		a = a*1.0000001 + b*0.5
		b = b*0.9999999 - c*1e-7
		c = math.Sqrt(c*c + 1e-9)
		d += a*b - c
		if d > 1e6 {
			d -= 1e6
		}
	}
	return a + b + c + d
}

func testFP(t *ktest.T) {
	if !sched.Preempts() {
		t.Skipf("policy %s does not preempt", core.Running().Scheduler.Name())
	}
	n := len(core.Running().CPUs)
	const (
		perCPU = 3
		iters  = 300_000
	)
	seeds := []float64{1.5, 2.25, 3.125}
	// The reference results, computed with the timer off.
	want := make([]float64, len(seeds))
	ref, err := sched.Start(func() {
		sched.PreemptOff()
		defer sched.PreemptOn()
		for i, s := range seeds {
			want[i] = fpWork(s, iters)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	ref.Join()
	// perCPU threads bound to each CPU at once: each CPU's timer takes
	// turns between them.
	type run struct {
		th   *sched.Thread
		seed int
		got  float64
	}
	var runs []*run
	for cpu := range n {
		for j := range perCPU {
			r := &run{seed: j % len(seeds)}
			th, err := sched.Start(func() { r.got = fpWork(seeds[r.seed], iters) }, sched.OnCPU(cpu))
			if err != nil {
				t.Fatal(err)
			}
			r.th = th
			runs = append(runs, r)
		}
	}
	var preempts uint64
	wrong := 0
	for i, r := range runs {
		r.th.Join()
		st := r.th.Stats()
		preempts += st.Preemptions
		if math.Float64bits(r.got) != math.Float64bits(want[r.seed]) {
			wrong++
			t.Errorf("thread %d (CPU %d): fpWork(%v) = %v (%#x) after %d preemptions, want %v (%#x)",
				i, st.CPU, seeds[r.seed], r.got, math.Float64bits(r.got), st.Preemptions, want[r.seed], math.Float64bits(want[r.seed]))
		}
	}
	t.Logf("%d threads on %d CPUs, %d iterations each: %d preemptions (timer: %s), %d of %d results wrong",
		len(runs), n, iters, preempts, sched.PreemptTimer(), wrong, len(runs))
	if preempts == 0 {
		t.Errorf("no thread was preempted: the test proved nothing about the saved state")
	}
}
