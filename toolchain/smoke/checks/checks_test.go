package checks

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestChecksOnHost runs every kernel check on the host, where the standard
// library is known to work: a failure here is a bug in the check.
func TestChecksOnHost(t *testing.T) {
	env := &Env{
		Printf: func(format string, args ...any) { t.Logf(format, args...) },
		Dir:    t.TempDir(),
		CPUs:   runtime.GOMAXPROCS(0),
		CPUID:  hostCPUID,
	}
	for _, c := range All() {
		t.Run(c.Name, func(t *testing.T) {
			if testing.Short() && (c.Name == "sleep" || c.Name == "gc" || c.Name == "gcstw") {
				t.Skip("slow")
			}
			r := Run(c, env)
			t.Log(r.Line())
			if r.Outcome == Fail {
				t.Fatal(r.Detail)
			}
		})
	}
}

func TestRunCatchesPanicAndTimeout(t *testing.T) {
	env := &Env{Timeout: 100 * time.Millisecond}
	r := Run(Check{"boom", func(*Env) (string, error) { panic("kaput") }}, env)
	if r.Outcome != Fail || !strings.Contains(r.Detail, "panic: kaput") {
		t.Errorf("panic: %+v", r)
	}
	if strings.Contains(r.Line(), "\n") {
		t.Errorf("result line spans lines: %q", r.Line())
	}
	r = Run(Check{"hang", func(*Env) (string, error) { select {} }}, env)
	if r.Outcome != Fail || !strings.Contains(r.Detail, "did not finish") {
		t.Errorf("timeout: %+v", r)
	}
	r = Run(Check{"skip", func(*Env) (string, error) { return "", fmt.Errorf("%w: why", ErrSkip) }}, env)
	if r.Outcome != Skip || r.Line() != "SKIP skip: skipped: why" {
		t.Errorf("skip: %+v %q", r, r.Line())
	}
	r = Run(Check{"ok", func(*Env) (string, error) { return "x=1", nil }}, env)
	if r.Line() != "PASS ok x=1" {
		t.Errorf("pass line %q", r.Line())
	}
	r = Run(Check{"bad", func(*Env) (string, error) { return "", errors.New("a\nb") }}, env)
	if r.Line() != "FAIL bad: a | b" {
		t.Errorf("fail line %q", r.Line())
	}
}

// TestSMPFailsWithTooFewProcessors: asking for more processors than exist
// must fail rather than hang or pass: by the deadline without preemption,
// or on the IDs where the runtime time-slices the spinning goroutines.
func TestSMPFailsWithTooFewProcessors(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the SMP deadline")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	_, err := smpRound(2, func() uint64 { return 0 })
	if err == nil {
		t.Fatalf("smpRound(2) on one P passed")
	}
}

func TestSMPFailsOnSameID(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("needs two Ps")
	}
	_, err := smpRound(2, func() uint64 { return 7 })
	if err == nil || !strings.Contains(err.Error(), "distinct") {
		t.Fatalf("smpRound with one id = %v, want a distinct-ids failure", err)
	}
}

// TestRunOverrunPrintsStacks: an overrun says so before it stops the world
// for the stacks (which a stalled collection could hold up), then prints
// them, the stalled check's goroutine among them.
func TestRunOverrunPrintsStacks(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	env := &Env{Timeout: 50 * time.Millisecond, Printf: func(f string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, fmt.Sprintf(f, a...))
	}}
	r := Run(Check{"stuck", func(*Env) (string, error) { select {} }}, env)
	if r.Outcome != Fail {
		t.Fatalf("overrun: %+v", r)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(lines) < 2 || lines[0] != "stacks stuck: overran 50ms; stopping the world for every goroutine's stack" {
		t.Fatalf("first lines %q", lines[:min(len(lines), 2)])
	}
	all := strings.Join(lines, "\n")
	if !strings.Contains(all, "stacks stuck: goroutine ") || !strings.Contains(all, "TestRunOverrunPrintsStacks") {
		t.Errorf("no goroutine stack of the stuck check in:\n%s", all)
	}
}
