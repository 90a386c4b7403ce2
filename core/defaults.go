package core

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"github.com/aerokernel/aero/core/hw"
)

func init() {
	RegisterTopology(DefaultName, func() Topology { return &singleNode{} })
	RegisterMemory(DefaultName, func() Memory { return &heapMemory{} })
	RegisterScheduler(DefaultName, func() Scheduler { return runtimeScheduler{} })
}

// heapMemory is the default Memory: slices from the Go heap. It does not
// place memory on a node. The Go heap does not move objects and Aero is
// identity-mapped, so a slice's virtual address is its physical address:
// AllocDMA over-allocates to align, and every allocation is kept (the map
// holds its backing array) until Free, so the collector cannot reuse
// memory a device may still hold.
type heapMemory struct {
	total uint64 // bytes of the Go heap region

	mu                      sync.Mutex
	blocks                  map[uintptr]heapBlock // by address of the first byte handed out
	allocs, frees, failures uint64
}

// heapBlock is one allocation: what was handed out and what keeps it alive.
type heapBlock struct {
	n       int    // length handed out
	backing []byte // the whole allocation, alignment padding included
}

// physAddr translates a Go heap address to a physical one; nil where there
// is no identity map to trust (host builds), which AllocDMA then refuses.
// defaults_tamago.go sets it to the platform's.
var physAddr func(virt uintptr) (uint64, error)

func (m *heapMemory) Name() string { return DefaultName }

func (m *heapMemory) Init(k *Kernel) error {
	m.total = k.Heap.Size
	return nil
}

func (m *heapMemory) Alloc(size, node int) ([]byte, error) {
	if size <= 0 {
		return nil, m.fail(fmt.Errorf("core: Alloc(%d): %w: size must be positive", size, hw.ErrBadRequest))
	}
	b, err := m.make(size)
	if err != nil {
		return nil, err
	}
	m.keep(b, b)
	return b, nil
}

func (m *heapMemory) AllocDMA(size, align, node int) (hw.DMABuffer, error) {
	n, a, err := hw.DMASize(size, align)
	if err != nil {
		return hw.DMABuffer{}, m.fail(fmt.Errorf("core: AllocDMA: %w", err))
	}
	if physAddr == nil {
		return hw.DMABuffer{}, m.fail(fmt.Errorf("core: AllocDMA: no physical addresses on this build: %w", errors.ErrUnsupported))
	}
	backing, err := m.make(int(n + a - 1))
	if err != nil {
		return hw.DMABuffer{}, err
	}
	virt := uintptr(unsafe.Pointer(&backing[0]))
	off := (a - uint64(virt)%a) % a
	b := backing[off : off+n : off+n]
	phys, err := physAddr(virt + uintptr(off))
	if err != nil {
		return hw.DMABuffer{}, m.fail(fmt.Errorf("core: AllocDMA: %w", err))
	}
	m.keep(b, backing)
	return hw.DMABuffer{Bytes: b, Phys: phys, Align: a}, nil
}

// make allocates from the Go heap, turning the runtime's panic when the
// heap cannot grow into an error.
func (m *heapMemory) make(size int) (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, m.fail(fmt.Errorf("core: allocating %d bytes: %w: %v", size, hw.ErrNoMemory, r))
		}
	}()
	return make([]byte, size), nil
}

func (m *heapMemory) keep(b, backing []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.blocks == nil {
		m.blocks = map[uintptr]heapBlock{}
	}
	m.blocks[uintptr(unsafe.Pointer(&b[0]))] = heapBlock{n: len(b), backing: backing}
	m.allocs++
}

func (m *heapMemory) fail(err error) error {
	m.mu.Lock()
	m.failures++
	m.mu.Unlock()
	return err
}

func (m *heapMemory) Free(b []byte) error {
	if len(b) == 0 {
		return fmt.Errorf("core: Free of an empty slice: %w", hw.ErrBadFree)
	}
	addr := uintptr(unsafe.Pointer(&b[0]))
	m.mu.Lock()
	defer m.mu.Unlock()
	blk, ok := m.blocks[addr]
	switch {
	case !ok:
		return fmt.Errorf("core: Free of %d bytes at %#x: %w: not an allocation of this Memory, or freed already", len(b), addr, hw.ErrBadFree)
	case blk.n != len(b):
		return fmt.Errorf("core: Free of %d bytes at %#x: %w: %d bytes were allocated there", len(b), addr, hw.ErrBadFree, blk.n)
	}
	delete(m.blocks, addr)
	m.frees++
	return nil
}

// Stats reports the Go heap region as one zone. The runtime takes memory
// from the region's start up (heap, stacks, its own metadata: MemStats.Sys);
// what it has not taken yet is one free block, and Largest is that block:
// a lower bound, since idle heap spans may be larger.
func (m *heapMemory) Stats() []ZoneStats {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	var untaken uint64
	if m.total > ms.Sys {
		untaken = m.total - ms.Sys
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return []ZoneStats{{Node: -1, Total: m.total, Free: untaken + ms.HeapIdle, Largest: untaken,
		Allocs: m.allocs, Frees: m.frees, Failures: m.failures}}
}

// runtimeScheduler is the default Scheduler: the Go runtime's own, one M
// per CPU, no policy beneath the goroutine scheduler. It installs no hooks
// and no AP entry: the runtime starts its Ms through goos.Task (the
// trampoline's mailbox and an NMI) and wakes them with goos.Wake. So it
// runs no sysmon (nothing preempts a goroutine that runs long) and a timed
// sleep polls; a kernel that needs either links sched/rr. (Installing the
// platform's one-M-per-CPU hooks instead, which start sysmon on idle Ms'
// time and halt timed sleeps, froze 2 of about 35 -smp 4 soak boots of the
// smoke kernel in its gc checks, before toolchain patch 0018 fixed the race
// behind it; it stays without them until they have soaked: see
// toolchain/README.md.)
type runtimeScheduler struct{}

func (runtimeScheduler) Name() string       { return DefaultName }
func (runtimeScheduler) Init(*Kernel) error { return nil }

func (runtimeScheduler) Threads(int) (*ThreadHooks, APEntry, error) { return nil, nil, nil }
