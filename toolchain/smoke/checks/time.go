package checks

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// SleepFor is how long checkSleep sleeps; the host times the same interval
// between the sleep-start and sleep-end lines.
const SleepFor = 2 * time.Second

// SleepTolerance is the allowed relative error of a timed sleep.
const SleepTolerance = 0.10

// checkSleep sleeps SleepFor between two printed lines. The kernel checks
// its own clock here; the host checks the same interval against its clock,
// which catches a clock that is consistently wrong.
func checkSleep(env *Env) (string, error) {
	env.Printf("sleep-start")
	start := time.Now()
	time.Sleep(SleepFor)
	elapsed := time.Since(start)
	env.Printf("sleep-end elapsed=%d", elapsed.Nanoseconds())
	if err := within(elapsed, SleepFor, SleepTolerance); err != nil {
		return "", fmt.Errorf("time.Sleep(%v): %v", SleepFor, err)
	}
	return fmt.Sprintf("elapsed=%d", elapsed.Nanoseconds()), nil
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

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start = time.Now()
	<-ctx.Done()
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return "", fmt.Errorf("context: %v, want deadline exceeded", ctx.Err())
	}
	if err := atLeast("context deadline 50ms", time.Since(start), 45*time.Millisecond); err != nil {
		return "", err
	}
	return "timer,stop,reset,after,afterfunc,ticker,context", nil
}
