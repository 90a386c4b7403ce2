package core

import (
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
)

func init() {
	RegisterTopology(DefaultName, func() Topology { return &acpiTopology{} })
	RegisterMemory(DefaultName, func() Memory { return &heapMemory{} })
	RegisterScheduler(DefaultName, func() Scheduler { return runtimeScheduler{} })
}

// heapMemory is the default Memory: slices from the Go heap. It does not
// place memory on a node; it counts what it hands out.
type heapMemory struct {
	allocs, failures, live atomic.Uint64
	total                  uint64
}

func (m *heapMemory) Name() string { return DefaultName }

func (m *heapMemory) Init(k *Kernel) error {
	m.total = k.Heap.Size
	return nil
}

// ErrBadSize is Alloc's error for a size that is not positive.
var ErrBadSize = errors.New("core: allocation size must be positive")

func (m *heapMemory) Alloc(size, node int) (b []byte, err error) {
	if size <= 0 {
		m.failures.Add(1)
		return nil, ErrBadSize
	}
	defer func() {
		// make panics when the heap cannot grow: report it as an error.
		if r := recover(); r != nil {
			m.failures.Add(1)
			b, err = nil, fmt.Errorf("core: allocating %d bytes: %v", size, r)
		}
	}()
	b = make([]byte, size)
	m.allocs.Add(1)
	m.live.Add(uint64(size))
	return b, nil
}

func (m *heapMemory) Free(b []byte) {
	// The garbage collector reclaims it; keep the count honest.
	m.live.Add(^uint64(len(b) - 1))
}

func (m *heapMemory) Stats() []ZoneStats {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	free := uint64(0)
	if m.total > ms.HeapSys {
		free = m.total - ms.HeapSys + ms.HeapIdle
	}
	return []ZoneStats{{Node: -1, Total: m.total, Free: free, Allocs: m.allocs.Load(), Failures: m.failures.Load()}}
}

// runtimeScheduler is the default Scheduler: the Go runtime's own, one M
// per CPU, no policy beneath the goroutine scheduler. It installs no hooks
// and no AP entry: the runtime starts its Ms through goos.Task (the
// trampoline's mailbox and an NMI) and wakes them with goos.Wake.
type runtimeScheduler struct{}

func (runtimeScheduler) Name() string       { return DefaultName }
func (runtimeScheduler) Init(*Kernel) error { return nil }

func (runtimeScheduler) Threads(int) (*ThreadHooks, APEntry, error) { return nil, nil, nil }
