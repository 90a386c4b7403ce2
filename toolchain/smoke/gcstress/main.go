//go:build tamago

// Command gcstress runs the smoke kernel's gc check again and again, to
// catch a collection that stalls (issue 8: once in about 20 boots the gc
// check waited its whole timeout). The kernel command line sets the
// rounds, the per-round timeout and the check (gcstress.check, default gc;
// gcstw is the one that found the cause); a round that overruns its timeout is
// a FAIL, and the kernel goes on with the next round.
//
// Output, one line each:
//
//	gcstress: round <i> PASS|FAIL took=<duration> <detail>
//	gcstress: DONE rounds=N fail=N worst=<duration>
//
// It exits through isa-debug-exit, status 1 when every round passed.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/toolchain/smoke/checks"
)

// Rounds and Timeout are what a round count and timeout default to.
const (
	Rounds  = 10
	Timeout = checks.DefaultTimeout
)

func main() {
	core.Boot(run)
}

func run() {
	cl := core.Running().Cmdline
	rounds, err := cl.Int("gcstress.rounds", Rounds)
	if err != nil || rounds < 1 {
		fmt.Printf("gcstress: bad gcstress.rounds: %v (want a positive count)\n", err)
		os.Exit(1)
	}
	secs, err := cl.Int("gcstress.timeout", int(Timeout/time.Second))
	if err != nil || secs < 1 {
		fmt.Printf("gcstress: bad gcstress.timeout: %v (want seconds, at least 1)\n", err)
		os.Exit(1)
	}
	timeout := time.Duration(secs) * time.Second
	name := cl.String("gcstress.check", "gc")
	var gc checks.Check
	for _, c := range checks.All() {
		if c.Name == name {
			gc = c
		}
	}
	if gc.Run == nil {
		fmt.Printf("gcstress: no check %q in checks.All\n", name)
		os.Exit(1)
	}
	env := &checks.Env{Printf: func(format string, args ...any) { fmt.Printf("gcstress: "+format+"\n", args...) }, Timeout: timeout}
	fail := 0
	var worst time.Duration
	for i := range rounds {
		start := time.Now()
		r := checks.Run(gc, env)
		took := time.Since(start)
		worst = max(worst, took)
		if r.Outcome != checks.Pass {
			fail++
		}
		fmt.Printf("gcstress: round %d %s took=%v %s\n", i+1, r.Outcome, took.Round(time.Millisecond), r.Detail)
	}
	fmt.Printf("gcstress: DONE rounds=%d fail=%d worst=%v\n", rounds, fail, worst.Round(time.Millisecond))
	if fail > 0 {
		os.Exit(1)
	}
	os.Exit(0)
}
