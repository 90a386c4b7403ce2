package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// SleepFor is how long checkSleep sleeps in each of SleepWindows windows;
// the host times the same intervals between the sleep-start and sleep-end
// lines.
const SleepFor = 2 * time.Second

// SleepWindows is how many timed sleeps checkSleep makes. The host sees a
// line when it reads it, so a loaded host can see one late (a soak boot's
// window once measured outside the tolerance on the host while the kernel
// measured 2.0003 s): a clock that is wrong is wrong in every window,
// a late line spoils one.
const SleepWindows = 2

// SleepTolerance is the allowed relative error of a timed sleep.
const SleepTolerance = 0.10

// checkSleep sleeps SleepFor between two printed lines, SleepWindows
// times. The kernel checks its own clock here in every window; the host
// checks the same intervals against its clock, which catches a clock that
// is consistently wrong.
func checkSleep(env *Env) (string, error) {
	var took []string
	for w := range SleepWindows {
		env.Printf("sleep-start w=%d", w)
		start := time.Now()
		time.Sleep(SleepFor)
		elapsed := time.Since(start)
		env.Printf("sleep-end w=%d elapsed=%d", w, elapsed.Nanoseconds())
		if err := within(elapsed, SleepFor, SleepTolerance); err != nil {
			return "", fmt.Errorf("time.Sleep(%v), window %d: %v", SleepFor, w, err)
		}
		took = append(took, fmt.Sprint(elapsed.Nanoseconds()))
	}
	return "elapsed=" + strings.Join(took, ","), nil
}

func within(got, want time.Duration, tol float64) error {
	lo := time.Duration(float64(want) * (1 - tol))
	hi := time.Duration(float64(want) * (1 + tol))
	if got < lo || got > hi {
		return fmt.Errorf("took %v, want %v ± %.0f%%", got, want, tol*100)
	}
	return nil
}

// atLeast fails if d is shorter than min (a timer fired early) or absurdly
// long (a timer was lost and something else woke us).
func atLeast(what string, d, min time.Duration) error {
	if d < min {
		return fmt.Errorf("%s fired after %v, before its %v", what, d, min)
	}
	if d > min+5*time.Second {
		return fmt.Errorf("%s fired after %v, want about %v", what, d, min)
	}
	return nil
}

// checkTimers covers time.Timer (fire, Stop, Reset), time.After, AfterFunc,
// Ticker, context deadlines and the monotonic clock.
func checkTimers(*Env) (string, error) {
	prev := time.Now()
	for i := range 10_000 {
		now := time.Now()
		if now.Before(prev) {
			return "", fmt.Errorf("time.Now went backwards at %d: %v after %v", i, now, prev)
		}
		prev = now
	}

	start := time.Now()
	t := time.NewTimer(100 * time.Millisecond)
	<-t.C
	if err := atLeast("Timer(100ms)", time.Since(start), 100*time.Millisecond); err != nil {
		return "", err
	}

	stopped := time.NewTimer(50 * time.Millisecond)
	if !stopped.Stop() {
		return "", errors.New("Stop of a pending timer returned false")
	}
	reset := time.NewTimer(time.Hour)
	start = time.Now()
	reset.Reset(30 * time.Millisecond)
	<-reset.C
	if err := atLeast("Reset(30ms)", time.Since(start), 30*time.Millisecond); err != nil {
		return "", err
	}
	time.Sleep(50 * time.Millisecond) // past when the stopped timer was due
	select {
	case <-stopped.C:
		return "", errors.New("a stopped timer fired")
	default:
	}

	start = time.Now()
	never := make(chan int)
	select {
	case <-never:
		return "", errors.New("received from a channel nobody sends on")
	case <-time.After(40 * time.Millisecond):
	}
	if err := atLeast("time.After(40ms)", time.Since(start), 40*time.Millisecond); err != nil {
		return "", err
	}

	fired := make(chan time.Duration, 1)
	armed := time.Now()
	time.AfterFunc(20*time.Millisecond, func() { fired <- time.Since(armed) })
	if err := atLeast("AfterFunc(20ms)", <-fired, 20*time.Millisecond); err != nil {
		return "", err
	}

	start = time.Now()
	tick := time.NewTicker(20 * time.Millisecond)
	for range 5 {
		<-tick.C
	}
	tick.Stop()
	if err := atLeast("5 ticks of 20ms", time.Since(start), 100*time.Millisecond); err != nil {
		return "", err
	}

	// The clock starts before the deadline is set, as for every timer
	// above: started after, a goroutine descheduled in between (a loaded
	// host's vCPU) measured less than the deadline's 50 ms although it
	// fired on time (a soak boot saw 41.9 ms against a 45 ms floor).
	start = time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	<-ctx.Done()
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return "", fmt.Errorf("context: %v, want deadline exceeded", ctx.Err())
	}
	if err := atLeast("context deadline 50ms", time.Since(start), 50*time.Millisecond); err != nil {
		return "", err
	}
	return "timer,stop,reset,after,afterfunc,ticker,context", nil
}
