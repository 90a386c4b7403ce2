package checks

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Goroutines is how many goroutines checkGoroutines spawns and joins.
const Goroutines = 100_000

// checkGoroutines spawns and joins many goroutines, flat and as a tree, and
// checks every one of them ran exactly once.
func checkGoroutines(*Env) (string, error) {
	var wg sync.WaitGroup
	var sum, count atomic.Int64
	start := time.Now()
	for i := range Goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sum.Add(int64(i))
			count.Add(1)
		}()
	}
	wg.Wait()
	flat := time.Since(start)
	if want := int64(Goroutines) * (Goroutines - 1) / 2; sum.Load() != want || count.Load() != Goroutines {
		return "", fmt.Errorf("flat: %d goroutines ran with sum %d, want %d with sum %d", count.Load(), sum.Load(), Goroutines, want)
	}

	// A tree: each goroutine spawns the next level and waits for it, so
	// goroutines block in Wait while others are created.
	var nodes atomic.Int64
	var spawn func(depth int)
	spawn = func(depth int) {
		nodes.Add(1)
		if depth == 0 {
			return
		}
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() { spawn(depth - 1) })
		}
		wg.Wait()
	}
	spawn(4)
	if n := nodes.Load(); n != 11111 {
		return "", fmt.Errorf("tree: %d nodes ran, want 11111", n)
	}
	return fmt.Sprintf("n=%d per_goroutine=%v", Goroutines, flat/Goroutines), nil
}

// checkChannels covers unbuffered and buffered channels, close, select and
// a fan-out/fan-in pipeline whose sum is known in closed form.
func checkChannels(*Env) (string, error) {
	// Unbuffered ping-pong.
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v * 2
		}
		close(pong)
	}()
	for i := range 1000 {
		ping <- i
		if v := <-pong; v != 2*i {
			return "", fmt.Errorf("ping-pong %d: got %d", i, v)
		}
	}
	close(ping)
	if _, ok := <-pong; ok {
		return "", fmt.Errorf("pong not closed after ping closed")
	}

	// Buffered: fills without blocking, refuses one more, drains FIFO.
	buf := make(chan int, 64)
	for i := range 64 {
		select {
		case buf <- i:
		default:
			return "", fmt.Errorf("buffered send %d blocked with len %d", i, len(buf))
		}
	}
	select {
	case buf <- 64:
		return "", fmt.Errorf("send to a full buffered channel succeeded")
	default:
	}
	if len(buf) != 64 || cap(buf) != 64 {
		return "", fmt.Errorf("len/cap = %d/%d, want 64/64", len(buf), cap(buf))
	}
	close(buf)
	next := 0
	for v := range buf {
		if v != next {
			return "", fmt.Errorf("buffered receive got %d, want %d", v, next)
		}
		next++
	}
	if v, ok := <-buf; ok || v != 0 || next != 64 {
		return "", fmt.Errorf("closed channel: got %d, %v after %d values", v, ok, next)
	}

	// Select over two producers until both close (nil channels drop out).
	a, b := make(chan int), make(chan int, 8)
	produce := func(c chan int, from int) {
		for i := range 500 {
			c <- from + i
		}
		close(c)
	}
	go produce(a, 0)
	go produce(b, 1000)
	var fromA, fromB, total int
	for a != nil || b != nil {
		select {
		case v, ok := <-a:
			if !ok {
				a = nil
				continue
			}
			fromA++
			total += v
		case v, ok := <-b:
			if !ok {
				b = nil
				continue
			}
			fromB++
			total += v
		}
	}
	if want := 500*499/2 + 500*1000 + 500*499/2; fromA != 500 || fromB != 500 || total != want {
		return "", fmt.Errorf("select: %d from a, %d from b, total %d; want 500, 500, %d", fromA, fromB, total, want)
	}

	// Pipeline: generator -> 4 squarers -> merger -> sum.
	const n = 10_000
	src := make(chan int64)
	sq := make(chan int64, 16)
	go func() {
		for i := int64(1); i <= n; i++ {
			src <- i
		}
		close(src)
	}()
	var workers sync.WaitGroup
	for range 4 {
		workers.Go(func() {
			for v := range src {
				sq <- v * v
			}
		})
	}
	go func() { workers.Wait(); close(sq) }()
	var sum, items int64
	for v := range sq {
		sum += v
		items++
	}
	if want := int64(n) * (n + 1) * (2*n + 1) / 6; sum != want || items != n {
		return "", fmt.Errorf("pipeline: %d items summing to %d, want %d summing to %d", items, sum, n, want)
	}
	return fmt.Sprintf("pipeline_sum=%d", sum), nil
}

// checkSync covers Mutex, RWMutex, Once, Cond, WaitGroup, sync.Map and
// atomics under contention.
func checkSync(*Env) (string, error) {
	const workers, iters = 8, 10_000

	var mu sync.Mutex
	counter := 0
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range iters {
				mu.Lock()
				counter++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if counter != workers*iters {
		return "", fmt.Errorf("mutex: counter %d, want %d", counter, workers*iters)
	}

	// RWMutex: the writer keeps x == y; readers must never see them differ.
	var rw sync.RWMutex
	var x, y int
	var torn atomic.Int64
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 4 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				rw.RLock()
				if x != y {
					torn.Add(1)
				}
				rw.RUnlock()
			}
		})
	}
	for i := range 2000 {
		rw.Lock()
		x = i
		y = i
		rw.Unlock()
	}
	close(stop)
	readers.Wait()
	if torn.Load() != 0 {
		return "", fmt.Errorf("rwmutex: readers saw %d torn writes", torn.Load())
	}

	var once sync.Once
	var onceRuns atomic.Int64
	for range 100 {
		wg.Go(func() { once.Do(func() { onceRuns.Add(1) }) })
	}
	wg.Wait()
	if onceRuns.Load() != 1 {
		return "", fmt.Errorf("once: ran %d times", onceRuns.Load())
	}

	// Cond: waiters block until ready, then all wake on Broadcast.
	var cmu sync.Mutex
	cond := sync.NewCond(&cmu)
	ready := false
	var waiting, woke atomic.Int64
	for range 16 {
		wg.Go(func() {
			cmu.Lock()
			waiting.Add(1)
			for !ready {
				cond.Wait()
			}
			cmu.Unlock()
			woke.Add(1)
		})
	}
	deadline := time.Now().Add(10 * time.Second)
	for waiting.Load() < 16 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if woke.Load() != 0 {
		return "", fmt.Errorf("cond: %d waiters woke before Broadcast", woke.Load())
	}
	cmu.Lock()
	ready = true
	cond.Broadcast()
	cmu.Unlock()
	wg.Wait()
	if woke.Load() != 16 {
		return "", fmt.Errorf("cond: %d of 16 waiters woke", woke.Load())
	}

	var m sync.Map
	for w := range workers {
		wg.Go(func() {
			for i := range 500 {
				m.Store(w*1000+i, i)
			}
		})
	}
	wg.Wait()
	keys := 0
	m.Range(func(k, v any) bool {
		if k.(int)%1000 != v.(int) {
			keys = -1 << 30
		}
		keys++
		return true
	})
	if keys != workers*500 {
		return "", fmt.Errorf("sync.Map: %d good keys, want %d", keys, workers*500)
	}

	var cas atomic.Int64
	for range workers {
		wg.Go(func() {
			for range iters {
				for {
					old := cas.Load()
					if cas.CompareAndSwap(old, old+1) {
						break
					}
				}
			}
		})
	}
	wg.Wait()
	if cas.Load() != workers*iters {
		return "", fmt.Errorf("atomic CAS: %d, want %d", cas.Load(), workers*iters)
	}
	return "mutex,rwmutex,once,cond,map,atomic", nil
}
