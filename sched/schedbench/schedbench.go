// Package schedbench is issue 10's scheduler benchmark, written with Go's
// own API only so that the very same code runs in an Aero kernel (ktest
// sched/bench, sched/schedtest) and as a Linux guest's /init (./init): a
// kernel thread created, ended and waited for; a hand-off between two
// threads on one CPU; and one between threads on two CPUs (a wake-up from
// one CPU to another), beside the same two threads handing off by spinning
// (Spin: no wake-up; under an emulator, a gauge of the host). What Go's
// API does not say — which CPU a thread is
// on, binding it to one, whether a thread ended — a Platform answers for
// each system.
//
// The threads are the Go runtime's: a goroutine locked to its thread
// (runtime.LockOSThread) runs on no other, and one that exits still locked
// makes the runtime end that thread, so the next locked goroutine needs a
// new one. Under Aero those are sched's kernel threads, under Linux
// clone(2)d tasks.
package schedbench

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Platform is what the workload needs of the system under it beyond Go's
// API.
type Platform interface {
	// Name names the system in the bench line ("aero", "linux"): one word.
	Name() string
	// CPU returns the CPU the calling thread is on now.
	CPU() int
	// Pin binds the calling thread, to which the calling goroutine is
	// locked, to CPU cpu, and returns running there.
	Pin(cpu int) error
	// BeginThreads is called before the create check starts its n
	// goroutines, MarkThread by goroutine i of them on its locked thread
	// just before it exits, and EndedThreads after: it returns how many
	// distinct threads ran those goroutines and have ended, and how many
	// of the goroutines ran on the program's main thread, which the
	// runtime parks for good instead of ending it (mexit: on Linux the
	// process could not be waited for; Aero's boot thread never ends
	// either). A thread still ending may not be counted yet: Run asks
	// again for a while.
	BeginThreads(n int) error
	MarkThread(i int)
	EndedThreads() (ended, onMain int, err error)
}

// Counts is how many operations Run times.
type Counts struct {
	// Rounds is how many times each figure is measured; Run reports the
	// median, which a host busy with other work disturbs the least.
	Rounds   int
	Creates  int // threads created, ended and waited for, per round
	Checks   int // threads of the create check (untimed, marked)
	Handoffs int // hand-offs between the two ping-pong threads, per round (even)
}

// Default are the counts the Aero and Linux entries run: enough for the
// figures to settle under TCG on a loaded host, few enough that a boot
// stays short.
var Default = Counts{Rounds: 5, Creates: 60, Checks: 50, Handoffs: 800}

// Result is one run's figures, each the median of Rounds rounds. Switch
// is measured with one CPU, Wake with two or more; the other is 0.
type Result struct {
	OS         string // the Platform's Name
	CPUs       int    // runtime.NumCPU
	GOMAXPROCS int
	Rounds     int

	Creates    int
	CreateJoin time.Duration // one thread created, ended and waited for
	// Ended of Checks goroutines of the create check were seen to run on
	// threads of their own that then ended; Run fails unless all did but
	// at most one, which ran on the main thread.
	Ended, Checks int

	Handoffs int
	Switch   time.Duration // one hand-off between two threads on one CPU
	Wake     time.Duration // one hand-off between threads on two CPUs
	// Spin is one hand-off between the same two CPUs by spinning (Spin),
	// measured with Wake: whether the host ran both CPUs at once.
	Spin time.Duration
	// OnCPUs are the CPUs the two ping-pong threads ran on (checked at
	// their start and end, every round).
	OnCPUs [2]int
}

// Run measures, with c's counts: create+join, then the ping-pong between
// two locked goroutines — on one CPU when the system has one (Switch),
// else pinned to CPUs 0 and 1 (Wake, and Spin). GOMAXPROCS must be
// NumCPU, as both systems set it by default.
func Run(p Platform, c Counts) (Result, error) {
	if c.Rounds <= 0 || c.Creates <= 0 || c.Checks <= 0 || c.Handoffs <= 0 || c.Handoffs%2 != 0 {
		return Result{}, fmt.Errorf("schedbench: counts %+v: want positive counts and an even number of hand-offs", c)
	}
	r := Result{OS: p.Name(), CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), Rounds: c.Rounds,
		Creates: c.Creates, Checks: c.Checks, Handoffs: c.Handoffs}
	if r.GOMAXPROCS != r.CPUs {
		return r, fmt.Errorf("schedbench: GOMAXPROCS %d on %d CPUs: want one P per CPU", r.GOMAXPROCS, r.CPUs)
	}
	CreateJoin(c.Creates/10+1, nil) // the runtime's own threads are up and idle after
	rounds := make([]time.Duration, c.Rounds)
	for i := range rounds {
		rounds[i] = CreateJoin(c.Creates, nil)
	}
	r.CreateJoin = median(rounds)
	ended, err := checkThreads(p, c.Checks)
	r.Ended = ended
	if err != nil {
		return r, err
	}
	pins := [2]int{-1, -1}
	if r.CPUs > 1 {
		pins = [2]int{0, 1}
	}
	for i := range rounds {
		d, on, err := PingPong(p, c.Handoffs, pins)
		r.OnCPUs = on
		if err != nil {
			return r, err
		}
		if r.CPUs > 1 && on[0] == on[1] {
			return r, fmt.Errorf("schedbench: the wake-up threads both ran on CPU %d", on[0])
		}
		rounds[i] = d
	}
	if r.CPUs == 1 {
		r.Switch = median(rounds)
		return r, nil
	}
	r.Wake = median(rounds)
	for i := range rounds {
		d, on, err := Spin(p, c.Handoffs, pins)
		if err != nil {
			return r, err
		}
		if on != r.OnCPUs {
			return r, fmt.Errorf("schedbench: the spinning pair ran on CPUs %v, the wake-up pair on %v", on, r.OnCPUs)
		}
		rounds[i] = d
	}
	r.Spin = median(rounds)
	return r, nil
}

// median is the middle of ds (the upper one of an even count); it sorts ds.
func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// CreateJoin starts n goroutines one after another, each locking its
// thread and exiting locked, waits for each before starting the next, and
// returns the time per goroutine: a thread created (the runtime starts an
// M for the goroutine that waits, as the one it was on is taken and ends),
// ended and waited for. Go cannot wait for a thread's end itself, so the
// wait is a channel receive and the end overlaps the next start. If mark
// is not nil, goroutine i calls mark(i) on its locked thread before it
// exits.
func CreateJoin(n int, mark func(i int)) time.Duration {
	done := make(chan struct{})
	start := time.Now()
	for i := range n {
		go func() {
			runtime.LockOSThread()
			if mark != nil {
				mark(i)
			}
			done <- struct{}{}
			// Returns locked: the runtime ends the thread.
		}()
		<-done
	}
	return time.Since(start) / time.Duration(n)
}

// endWait bounds how long checkThreads waits for the last threads to end
// (a variable for the test of a check that fails).
var endWait = 5 * time.Second

// checkThreads runs CreateJoin's loop n times more with the Platform's
// marks and returns how many of those goroutines' threads ended; it is an
// error unless all n did.
func checkThreads(p Platform, n int) (int, error) {
	if err := p.BeginThreads(n); err != nil {
		return 0, err
	}
	CreateJoin(n, p.MarkThread)
	deadline := time.Now().Add(endWait)
	for {
		ended, onMain, err := p.EndedThreads()
		switch {
		case err != nil:
			return ended, err
		case onMain > 1:
			// The main thread, parked once, runs no goroutine again.
			return ended, fmt.Errorf("schedbench: %d goroutines that exited locked ran on the main thread", onMain)
		case ended+onMain == n:
			return ended, nil
		case ended+onMain > n:
			return ended, fmt.Errorf("schedbench: %d goroutines that exited locked: %d threads ended, %d on the main thread", n, ended, onMain)
		case time.Now().After(deadline):
			return ended, fmt.Errorf("schedbench: of %d goroutines that exited locked, %d ran on threads of their own that ended, %d on the main thread (after %v)", n, ended, onMain, endWait)
		}
		time.Sleep(time.Millisecond)
	}
}

// PingPong runs two goroutines, each locked to a thread of its own (and
// pinned to pins[i] unless it is -1), that hand a value back and forth
// over two unbuffered channels n times in all, and returns the time per
// hand-off and the CPU each thread ran on. A receiving goroutine's thread
// sleeps until the sender's wakes it, since the goroutine can run on no
// other: every hand-off is a wake-up and a switch of threads.
func PingPong(p Platform, n int, pins [2]int) (time.Duration, [2]int, error) {
	ping, pong := make(chan int), make(chan int)
	var bad error
	return pair(p, pins, func() {
		for i := range n / 2 {
			ping <- i
			if v := <-pong; v != i+1 {
				bad = fmt.Errorf("schedbench: ping-pong round %d: got %d back", i, v)
				break
			}
		}
		close(ping)
	}, func() {
		for v := range ping {
			pong <- v + 1
		}
	}, func() { close(ping) }, n, &bad)
}

// Spin is PingPong with the two threads handing a counter back and forth
// by spinning on it: no thread sleeps, so no wake-up is involved, and a
// hand-off costs what it takes the two CPUs to see each other's writes.
// Under an emulator that is a gauge of the host rather than of the guest:
// about 100 ns while the host runs both virtual CPUs at once, up to
// milliseconds while it does not (the spinning one then holds a host core
// the other waits for, where a halted one would have given it up).
func Spin(p Platform, n int, pins [2]int) (time.Duration, [2]int, error) {
	var turn atomic.Int64
	const stop = -1
	return pair(p, pins, func() {
		for i := range int64(n / 2) {
			turn.Store(2*i + 1)
			for turn.Load() != 2*i+2 {
				pause()
			}
		}
		turn.Store(stop)
	}, func() {
		for {
			switch v := turn.Load(); {
			case v == stop:
				return
			case v%2 == 1:
				turn.Store(v + 1)
			default:
				pause()
			}
		}
	}, func() { turn.Store(stop) }, n, nil)
}

// pause is a call, so that a spinning loop reaches a preemption point
// (the prologue's stack check) when the runtime stops the world: Aero's
// runtime cannot preempt a loop without calls.
//
//go:noinline
func pause() {}

// pair runs lead and follow on two goroutines, each locked to a thread of
// its own for good (it exits locked, so a pinned thread is not handed back
// to the runtime) and pinned to pins[i] unless it is -1, and times lead,
// which must make follow return: n hand-offs. If either fails to pin, lead
// does not run and abort must make follow return. *bad, if not nil, is an
// error lead found.
func pair(p Platform, pins [2]int, lead, follow, abort func(), n int, bad *error) (time.Duration, [2]int, error) {
	var (
		cpus    [2]int
		errs    [2]error
		elapsed time.Duration
	)
	ready := make(chan struct{})
	done := make(chan struct{})
	setup := func(i int) {
		runtime.LockOSThread()
		if pins[i] >= 0 {
			errs[i] = p.Pin(pins[i])
		}
		cpus[i] = p.CPU()
	}
	// stayed checks that goroutine i's thread is still on its CPU.
	stayed := func(i int) {
		if now := p.CPU(); errs[i] == nil && now != cpus[i] {
			errs[i] = fmt.Errorf("schedbench: thread %d of the pair ran on CPU %d, then on %d", i, cpus[i], now)
		}
	}
	go func() {
		defer func() { done <- struct{}{} }()
		setup(1)
		ready <- struct{}{}
		follow()
		stayed(1)
	}()
	go func() {
		defer func() { done <- struct{}{} }()
		setup(0)
		<-ready
		if errs[0] != nil || errs[1] != nil {
			abort()
			return
		}
		start := time.Now()
		lead()
		elapsed = time.Since(start)
		stayed(0)
	}()
	<-done
	<-done
	if bad != nil && *bad != nil {
		errs[0] = errors.Join(errs[0], *bad)
	}
	if err := errors.Join(errs[0], errs[1]); err != nil {
		return 0, cpus, err
	}
	for i, want := range pins {
		if want >= 0 && cpus[i] != want {
			return 0, cpus, fmt.Errorf("schedbench: thread %d of the pair, pinned to CPU %d, runs on %d", i, want, cpus[i])
		}
	}
	return elapsed / time.Duration(n), cpus, nil
}

// Marker starts a bench line; everything before it is ignored (a ktest
// log prefix, a program's name).
const Marker = "schedbench: "

// Line formats r as the one line the host parses:
//
//	schedbench: os=linux cpus=2 gomaxprocs=2 rounds=5 create_join_ns=41234 creates=60 ended=50/50 wake_ns=9876 spin_ns=1234 handoffs=800 on_cpus=0,1
//
// with switch_ns in place of wake_ns and spin_ns when r measured a switch.
func (r Result) Line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%sos=%s cpus=%d gomaxprocs=%d rounds=%d create_join_ns=%d creates=%d ended=%d/%d",
		Marker, r.OS, r.CPUs, r.GOMAXPROCS, r.Rounds, r.CreateJoin.Nanoseconds(), r.Creates, r.Ended, r.Checks)
	if r.Switch > 0 {
		fmt.Fprintf(&b, " switch_ns=%d", r.Switch.Nanoseconds())
	}
	if r.Wake > 0 {
		fmt.Fprintf(&b, " wake_ns=%d spin_ns=%d", r.Wake.Nanoseconds(), r.Spin.Nanoseconds())
	}
	fmt.Fprintf(&b, " handoffs=%d on_cpus=%d,%d", r.Handoffs, r.OnCPUs[0], r.OnCPUs[1])
	return b.String()
}

// failed follows Marker in the line Report prints for a run that failed.
const failed = "FAIL "

// Report is the line an entry prints for Run's result: r.Line(), or, if
// err is not nil, Marker, "FAIL" and the error, which ParseLine returns as
// an error.
func Report(r Result, err error) string {
	if err != nil {
		return Marker + failed + strings.ReplaceAll(err.Error(), "\n", "; ")
	}
	return r.Line()
}

// ParseLine reads back a line made by Line, from Marker on. Every field
// is required but switch_ns, or wake_ns and spin_ns, and no other may
// appear.
// A failed run's line (Report) is an error saying what failed.
func ParseLine(s string) (Result, error) {
	_, rest, ok := strings.Cut(s, Marker)
	if !ok {
		return Result{}, fmt.Errorf("schedbench: not a bench line: %q", s)
	}
	if why, ok := strings.CutPrefix(rest, failed); ok {
		return Result{}, fmt.Errorf("schedbench: the run failed: %s", why)
	}
	var r Result
	var seen []string
	for _, f := range strings.Fields(rest) {
		k, v, ok := strings.Cut(f, "=")
		if !ok || v == "" {
			return Result{}, fmt.Errorf("schedbench: field %q is not key=value in %q", f, s)
		}
		if slices.Contains(seen, k) {
			return Result{}, fmt.Errorf("schedbench: field %s twice in %q", k, s)
		}
		seen = append(seen, k)
		var err error
		switch k {
		case "os":
			r.OS = v
		case "cpus":
			r.CPUs, err = count(v)
		case "gomaxprocs":
			r.GOMAXPROCS, err = count(v)
		case "rounds":
			r.Rounds, err = count(v)
		case "create_join_ns":
			r.CreateJoin, err = nanoseconds(v)
		case "creates":
			r.Creates, err = count(v)
		case "ended":
			a, b, _ := strings.Cut(v, "/")
			if r.Ended, err = count(a); err == nil {
				r.Checks, err = count(b)
			}
		case "switch_ns":
			r.Switch, err = nanoseconds(v)
		case "wake_ns":
			r.Wake, err = nanoseconds(v)
		case "spin_ns":
			r.Spin, err = nanoseconds(v)
		case "handoffs":
			r.Handoffs, err = count(v)
		case "on_cpus":
			a, b, _ := strings.Cut(v, ",")
			if r.OnCPUs[0], err = count(a); err == nil {
				r.OnCPUs[1], err = count(b)
			}
		default:
			return Result{}, fmt.Errorf("schedbench: unknown field %s in %q", k, s)
		}
		if err != nil {
			return Result{}, fmt.Errorf("schedbench: field %q: %v", f, err)
		}
	}
	for _, k := range []string{"os", "cpus", "gomaxprocs", "rounds", "create_join_ns", "creates", "ended", "handoffs", "on_cpus"} {
		if !slices.Contains(seen, k) {
			return Result{}, fmt.Errorf("schedbench: no %s in %q", k, s)
		}
	}
	if (r.Switch > 0) == (r.Wake > 0) {
		return Result{}, fmt.Errorf("schedbench: want one of switch_ns and wake_ns in %q", s)
	}
	if (r.Wake > 0) != (r.Spin > 0) {
		return Result{}, fmt.Errorf("schedbench: want spin_ns with wake_ns, and only then, in %q", s)
	}
	return r, nil
}

func count(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err == nil && n < 0 {
		err = errors.New("negative")
	}
	return n, err
}

func nanoseconds(s string) (time.Duration, error) {
	n, err := count(s)
	if err == nil && n == 0 {
		err = errors.New("zero")
	}
	return time.Duration(n), err
}
