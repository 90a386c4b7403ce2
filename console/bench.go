package console

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/aerokernel/aero/core"
)

// A microbenchmark of the bench command: op runs n times.
type benchmark struct {
	name, what string
	op         func(n int)
}

var benchmarks = []benchmark{
	{"goroutine", "spawn and join a goroutine", func(n int) {
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go wg.Done()
			wg.Wait()
		}
	}},
	{"chan", "unbuffered channel round trip to another goroutine", func(n int) {
		ping, pong := make(chan int), make(chan int)
		go func() {
			for v := range ping {
				pong <- v
			}
		}()
		for i := range n {
			ping <- i
			<-pong
		}
		close(ping)
	}},
	{"mutex", "sync.Mutex lock and unlock, uncontended", func(n int) {
		var mu sync.Mutex
		for range n {
			mu.Lock()
			mu.Unlock()
		}
	}},
	{"alloc", "allocate 64 bytes on the heap", func(n int) {
		for range n {
			benchSink = make([]byte, 64)
		}
	}},
	{"now", "time.Now", func(n int) {
		for range n {
			benchTime = time.Now()
		}
	}},
}

var (
	benchSink []byte
	benchTime time.Time
)

// benchBudget is how long a benchmark runs at least, once it has grown n.
var benchBudget = 50 * time.Millisecond

// measure runs op with n doubling until one run takes benchBudget, and
// returns the time per op of that run.
func measure(op func(int)) (time.Duration, int) {
	for n := 1; ; n *= 2 {
		start := time.Now()
		op(n)
		if d := time.Since(start); d >= benchBudget || n >= 1<<30 {
			return d / time.Duration(n), n
		}
	}
}

func bench(args []string, w io.Writer) error {
	run := benchmarks
	if len(args) > 0 {
		run = nil
		for _, a := range args {
			found := false
			for _, b := range benchmarks {
				if b.name == a {
					run, found = append(run, b), true
				}
			}
			if !found {
				var names []string
				for _, b := range benchmarks {
					names = append(names, b.name)
				}
				return core.UsageError("no benchmark %q (there are %s)", a, strings.Join(names, ", "))
			}
		}
	}
	for _, b := range run {
		per, n := measure(b.op)
		fmt.Fprintf(w, "%-10s %10d ops %12v/op  %s\n", b.name, n, per, b.what)
	}
	return nil
}
