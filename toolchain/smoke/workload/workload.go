// Package workload is the benchmark both the smoke kernel and the Linux
// baseline guest run, so that their figures come from the same code.
package workload

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// N is how many goroutines SpawnJoin starts and how many round trips
// ChanRoundTrip makes.
const N = 100_000

// Result holds the per-operation costs.
type Result struct {
	SpawnJoin  time.Duration // one goroutine started and joined
	ChanRTT    time.Duration // one round trip over two unbuffered channels
	GOMAXPROCS int
}

// Line formats r as the bench line the host parses, after a prefix such as
// "smoke" or "linuxguest".
func (r Result) Line(prefix string) string {
	return fmt.Sprintf("%s: bench spawn_join_ns=%d chan_rtt_ns=%d gomaxprocs=%d",
		prefix, r.SpawnJoin.Nanoseconds(), r.ChanRTT.Nanoseconds(), r.GOMAXPROCS)
}

// ParseLine reads back a line made by Line; the prefix is ignored.
func ParseLine(s string) (Result, error) {
	_, rest, ok := strings.Cut(s, ": bench ")
	if !ok {
		return Result{}, fmt.Errorf("not a bench line: %q", s)
	}
	var r Result
	seen := 0
	for _, f := range strings.Fields(rest) {
		k, v, _ := strings.Cut(f, "=")
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return Result{}, fmt.Errorf("bench field %q: %v", f, err)
		}
		switch k {
		case "spawn_join_ns":
			r.SpawnJoin, seen = time.Duration(n), seen|1
		case "chan_rtt_ns":
			r.ChanRTT, seen = time.Duration(n), seen|2
		case "gomaxprocs":
			r.GOMAXPROCS = int(n)
		}
	}
	if seen != 3 {
		return Result{}, fmt.Errorf("bench line lacks fields: %q", s)
	}
	return r, nil
}

// Run measures both figures with n operations each.
func Run(n int) (Result, error) {
	sj, err := SpawnJoin(n)
	if err != nil {
		return Result{}, err
	}
	rtt, err := ChanRoundTrip(n)
	if err != nil {
		return Result{}, err
	}
	return Result{SpawnJoin: sj, ChanRTT: rtt, GOMAXPROCS: runtime.GOMAXPROCS(0)}, nil
}

// SpawnJoin starts n goroutines, waits for all, and returns the cost of one.
func SpawnJoin(n int) (time.Duration, error) {
	var wg sync.WaitGroup
	var sum atomic.Int64
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			sum.Add(int64(i))
			wg.Done()
		}()
	}
	wg.Wait()
	d := time.Since(start)
	if want := int64(n) * int64(n-1) / 2; sum.Load() != want {
		return 0, fmt.Errorf("spawn-join: sum %d, want %d", sum.Load(), want)
	}
	return d / time.Duration(n), nil
}

// ChanRoundTrip sends a value to an echo goroutine and waits for it back, n
// times, over unbuffered channels, and returns the cost of one round trip.
func ChanRoundTrip(n int) (time.Duration, error) {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
		close(pong)
	}()
	start := time.Now()
	for i := range n {
		ping <- i
		if v := <-pong; v != i+1 {
			close(ping)
			return 0, fmt.Errorf("chan round trip %d: got %d", i, v)
		}
	}
	d := time.Since(start)
	close(ping)
	<-pong
	return d / time.Duration(n), nil
}
