// Package checks holds the smoke kernel's checks of the Go runtime and
// standard library. They are plain Go, so the same code also runs as a host
// test; what only a kernel can say (which processor am I on?) comes in
// through Env.
package checks

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Env is what a check may use from the machine it runs on.
type Env struct {
	// Printf prints one line for the host to read (the runner adds the
	// prefix and the line ending is added by the caller's Printf).
	Printf func(format string, args ...any)
	// Dir is a scratch directory the fs check fills and removes.
	Dir string
	// CPUs is how many processors the smp check must see at once.
	CPUs int
	// CPUID returns a hardware ID of the processor the caller runs on
	// (the local APIC ID on amd64); nil skips the smp check.
	CPUID func() uint64
	// Timeout bounds each check; zero means DefaultTimeout.
	Timeout time.Duration
	// NoSysmon says the runtime runs no sysmon here (a tamago kernel
	// without thread hooks: core's default scheduler), so nothing
	// preempts a goroutine that runs long; the preempt check skips.
	NoSysmon bool
}

// DefaultTimeout bounds a check when Env.Timeout is zero. It is generous
// because the smoke kernel runs under an emulator.
const DefaultTimeout = 2 * time.Minute

// A Check exercises one area and says what it saw.
type Check struct {
	Name string
	// Run returns a short detail for the PASS line, or an error; an error
	// wrapping ErrSkip makes the check a SKIP.
	Run func(env *Env) (detail string, err error)
}

// ErrSkip marks a check that does not apply to this machine.
var ErrSkip = errors.New("skipped")

// All returns every check in the order the kernel runs them.
func All() []Check {
	return []Check{
		{"fmt", checkFmt},
		{"goroutines", checkGoroutines},
		{"channels", checkChannels},
		{"sync", checkSync},
		{"timers", checkTimers},
		{"sleep", checkSleep},
		{"gc", checkGC},
		{"gcstw", checkGCSTW},
		{"preempt", checkPreempt},
		{"rand", checkRand},
		{"fs", checkFS},
		{"smp", checkSMP},
	}
}

// kernelChecks run only in the kernel, after All: what needs GOOS=tamago
// APIs (net.SetStack) registers itself here.
var kernelChecks []Check

// Kernel returns every check the smoke kernel runs: All, then the
// kernel-only ones.
func Kernel() []Check {
	return append(All(), kernelChecks...)
}

// Outcome is how a check ended.
type Outcome string

const (
	Pass Outcome = "PASS"
	Fail Outcome = "FAIL"
	Skip Outcome = "SKIP"
)

// Result is one check's outcome.
type Result struct {
	Name    string
	Outcome Outcome
	Detail  string // the detail on PASS, the reason otherwise
}

// Line is how the result is printed: "PASS name detail",
// "FAIL name: reason" or "SKIP name: reason", always on one line.
func (r Result) Line() string {
	d := strings.ReplaceAll(strings.TrimSpace(r.Detail), "\n", " | ")
	if r.Outcome == Pass {
		if d == "" {
			return fmt.Sprintf("PASS %s", r.Name)
		}
		return fmt.Sprintf("PASS %s %s", r.Name, d)
	}
	return fmt.Sprintf("%s %s: %s", r.Outcome, r.Name, d)
}

// Run runs c, turning a panic or an overrun of the timeout into a failure;
// on an overrun it prints every goroutine's stack through env.Printf
// ("stacks <check>: <line>"; see printStacks).
func Run(c Check, env *Env) Result {
	timeout := env.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	type ret struct {
		detail string
		err    error
	}
	done := make(chan ret, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- ret{err: fmt.Errorf("panic: %v\n%s", p, debug.Stack())}
			}
		}()
		d, err := c.Run(env)
		done <- ret{d, err}
	}()
	var r ret
	select {
	case r = <-done:
	case <-time.After(timeout):
		r.err = fmt.Errorf("did not finish within %v", timeout)
		// Where every goroutine waits is what explains a stall.
		if env.Printf != nil {
			printStacks(env, c.Name, timeout)
		}
	}
	switch {
	case r.err == nil:
		return Result{c.Name, Pass, r.detail}
	case errors.Is(r.err, ErrSkip):
		return Result{c.Name, Skip, r.err.Error()}
	default:
		return Result{c.Name, Fail, r.err.Error()}
	}
}

// RunAll runs checks in order and prints each result through env.Printf.
func RunAll(checks []Check, env *Env) (results []Result) {
	for _, c := range checks {
		r := Run(c, env)
		env.Printf("%s", r.Line())
		results = append(results, r)
	}
	return results
}

// Count tallies results by outcome.
func Count(results []Result) (pass, fail, skip int) {
	for _, r := range results {
		switch r.Outcome {
		case Pass:
			pass++
		case Fail:
			fail++
		default:
			skip++
		}
	}
	return
}

// StacksWait bounds how long printStacks waits for the stop-the-world that
// runtime.Stack needs.
const StacksWait = 10 * time.Second

// printStacks prints every goroutine's stack after check name overran
// timeout: first a line saying so, since the stacks need a stop-the-world,
// which what stalled the check can hold up for ever (a collection stuck in
// its mark termination holds worldsema); then the stacks, or, when the
// world does not stop within StacksWait, a line saying that instead, so
// that the check's failure still gets printed after it.
func printStacks(env *Env, name string, timeout time.Duration) {
	env.Printf("stacks %s: overran %v; stopping the world for every goroutine's stack", name, timeout)
	got := make(chan []byte, 1)
	go func() {
		buf := make([]byte, 1<<20)
		got <- buf[:runtime.Stack(buf, true)]
	}()
	select {
	case buf := <-got:
		for _, l := range strings.Split(strings.TrimSpace(string(buf)), "\n") {
			env.Printf("stacks %s: %s", name, l)
		}
	case <-time.After(StacksWait):
		env.Printf("stacks %s: none: the world did not stop within %v (a collection or another stop-the-world holds it)", name, StacksWait)
	}
}
