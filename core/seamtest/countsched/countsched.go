//go:build tamago && amd64

// Package countsched is the proof of core's Scheduler seam: a scheduler
// that changes nothing. It installs thread hooks that count every Start,
// Sleep and Wake and pass them through to the platform's one-M-per-CPU
// behaviour (platform.StartM, SleepM, WakeM), and an AP entry that counts
// itself in and runs the thread handed to its CPU (platform.WaitThread,
// RunThread). Its in-kernel test, sched/countsched, checks the counts and
// that work still runs on every CPU. configs/seams-sched links it; the
// qemu module's TestSchedSeam boots that config.
package countsched

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/ktest"
	"github.com/aerokernel/aero/core/platform"
)

// Name is the scheduler's registry name, as the boot summary shows it.
const Name = "countsched"

func init() {
	core.RegisterScheduler(Name, func() core.Scheduler { return sched{} })
	ktest.Register("sched/countsched", testCounts)
}

// The counts. The hooks run without a P and Wake in interrupt context, so
// they are plain words updated atomically: no pointers, no allocation.
var (
	starts, sleeps, wakes uint64
	// entered[cpu] is 1 once the AP entry ran on that CPU; sized in
	// Threads, before any AP starts.
	entered []uint32
)

type sched struct{}

func (sched) Name() string { return Name }

func (sched) Init(k *core.Kernel) error {
	if len(k.CPUs) > len(entered) {
		return fmt.Errorf("%d CPUs up, but Threads was told at most %d", len(k.CPUs), len(entered))
	}
	return nil
}

func (sched) Threads(maxCPUs int) (*core.ThreadHooks, core.APEntry, error) {
	entered = make([]uint32, maxCPUs)
	return &core.ThreadHooks{
		Start:     start,
		Sleep:     sleep,
		Wake:      wake,
		OnePerCPU: true, // StartM runs one thread per CPU
	}, entry, nil
}

func start(sp, mp, gp, fn unsafe.Pointer) {
	atomic.AddUint64(&starts, 1)
	platform.StartM(sp, mp, gp, fn)
}

//go:nosplit
func sleep(mp unsafe.Pointer, sema *uint32, deadline int64) {
	atomic.AddUint64(&sleeps, 1)
	platform.SleepM(mp, sema, deadline)
}

//go:nosplit
func wake(mp unsafe.Pointer) {
	atomic.AddUint64(&wakes, 1)
	platform.WakeM(mp)
}

// entry is the AP entry: g is nil here, so it only touches words.
//
//go:nosplit
func entry(cpu int) {
	atomic.StoreUint32(&entered[cpu], 1)
	platform.RunThread(platform.WaitThread(cpu))
}

type counts struct{ starts, sleeps, wakes uint64 }

func load() counts {
	return counts{atomic.LoadUint64(&starts), atomic.LoadUint64(&sleeps), atomic.LoadUint64(&wakes)}
}

// testCounts checks that this scheduler is the one running, that every AP
// came through its entry and got exactly one thread through Start (also
// after a goroutine locked its thread), that threads sleep and are woken
// through its hooks while goroutines block and wake across CPUs, and that
// work still runs on every CPU at once.
func testCounts(t *ktest.T) {
	k := core.Running()
	if name := k.Scheduler.Name(); name != Name {
		t.Fatalf("the kernel runs scheduler %q, want %q", name, Name)
	}
	n := len(k.CPUs)
	if runtime.GOMAXPROCS(0) != n {
		t.Fatalf("GOMAXPROCS %d, want %d (CPUs up)", runtime.GOMAXPROCS(0), n)
	}

	before := load()
	// Goroutines that block and wake each other across CPUs: the Ms park
	// (Sleep) and are woken (Wake) on the way.
	ping, pong := make(chan int), make(chan int)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for v := range ping {
			pong <- v + 1
		}
	}()
	for i := range 200 {
		ping <- i
		if got := <-pong; got != i+1 {
			t.Fatalf("ping-pong: sent %d, got %d back", i, got)
		}
		if i%50 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	close(ping)
	wg.Wait()

	// Work on every CPU at once, as core's default scheduler runs it.
	done := make([]uint64, n)
	ids, err := core.OnEveryCPU(func(i int) {
		x := uint64(i)
		for range 1_000_000 {
			x = x*6364136223846793005 + 1442695040888963407
		}
		done[i] = x | 1 // non-zero once the loop ran
	})
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.Index(done, 0); i >= 0 {
		t.Errorf("goroutine %d of OnEveryCPU did no work", i)
	}
	// Each goroutine spun until all had started: they ran on n CPUs.
	distinct := map[uint64]bool{}
	for _, id := range ids {
		distinct[id] = true
	}
	if len(distinct) != n {
		t.Errorf("goroutines ran on APIC IDs %v: %d CPUs, want all %d", ids, len(distinct), n)
	}

	// The runtime keeps to one M per CPU with these hooks (OnePerCPU):
	// a goroutine that locks its thread and blocks needs no M of its own
	// (else the runtime would Start a template thread and a wired M, and
	// StartM would panic with every CPU taken).
	locked := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		time.Sleep(time.Millisecond)
		close(locked)
	}()
	<-locked
	after := load()

	var missing []int
	for cpu := 1; cpu < n; cpu++ {
		if atomic.LoadUint32(&entered[cpu]) != 1 {
			missing = append(missing, cpu)
		}
	}
	if len(missing) > 0 {
		t.Errorf("the AP entry did not run on CPUs %v", missing)
	}
	// One M per CPU: the boot CPU's M was not started by Start, every AP's
	// was (OnEveryCPU needed them all).
	if after.starts != uint64(n-1) {
		t.Errorf("Start called %d times, want %d (one per AP)", after.starts, n-1)
	}
	if n > 1 {
		if after.sleeps <= before.sleeps {
			t.Errorf("no Sleep while goroutines blocked across CPUs (%d before, %d after)", before.sleeps, after.sleeps)
		}
		if after.wakes <= before.wakes {
			t.Errorf("no Wake while goroutines woke each other (%d before, %d after)", before.wakes, after.wakes)
		}
	}
	t.Logf("counts: cpus=%d entries=%d starts=%d sleeps=%d wakes=%d (during the test: sleeps +%d, wakes +%d)",
		n, n-1-len(missing), after.starts, after.sleeps, after.wakes, after.sleeps-before.sleeps, after.wakes-before.wakes)
}
