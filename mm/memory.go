package mm

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/hw"
)

// Name is mm's name in configs and on the command line (memory=mm).
const Name = "mm"

func init() { core.RegisterMemory(Name, func() core.Memory { return &Memory{} }) }

// Memory is mm's core.Memory: a buddy allocator per zone, zones per NUMA
// node. Its methods are safe for concurrent use from goroutines on every
// CPU (a sync.Mutex per zone); none may be called from interrupt context.
type Memory struct {
	zones  []*zone   // ascending by address
	byNode [][]*zone // each node's zones, ascending
	order  [][]int   // each node's fallback order (core.NearestNodes)
	here   func() int
	space  addressSpace
}

// zone is one stretch of one node's RAM and its allocator.
type zone struct {
	mu   sync.Mutex
	node int
	base uint64 // physical address of the first page
	size uint64
	b    *buddy

	allocs, frees, failures uint64
}

// addressSpace turns physical addresses into memory and back: the
// kernel's identity map (memory_tamago.go), or a host test's buffer.
type addressSpace interface {
	bytes(phys uint64, n int) []byte
	phys(p *byte) uint64
}

// running is the Memory Boot initialised, for the package's functions.
var running atomic.Pointer[Memory]

// ErrNotRunning is the error of the package's functions when the kernel's
// Memory is not mm (memory= chose another, or Boot has not got there).
var ErrNotRunning = errors.New("mm: not the kernel's Memory")

func (m *Memory) Name() string { return Name }

// Init builds the zones from the kernel's topology and memory map: each
// node's memory minus Kernel.Reserved, where the identity map maps RAM
// cacheable. RAM it leaves out is a boot warning.
func (m *Memory) Init(k *core.Kernel) error {
	if k.Topology == nil {
		return errors.New("mm: no topology")
	}
	l := layout{Nodes: k.Topology.Nodes(), RAM: k.RAM, Reserved: k.Reserved, Cached: cachedRAM()}
	cpuNode := func() int {
		if i := currentCPU(); i >= 0 && i < len(k.CPUs) {
			return k.CPUs[i].Node
		}
		return 0
	}
	for _, w := range m.setUp(l, k.Topology, cpuNode, kernelSpace{}) {
		k.Warnings = append(k.Warnings, "mm: "+w)
	}
	running.Store(m)
	return nil
}

// setUp builds m's zones from l; t gives the fallback order, here the
// node of the calling CPU (for node < 0). No zones at all is a warning:
// Alloc then fails with ErrNoMemory.
func (m *Memory) setUp(l layout, t core.Topology, here func() int, space addressSpace) (warnings []string) {
	zs, warnings := buildZones(l)
	if len(zs) == 0 {
		// The Go heap may have all RAM there is (on q35 at -m 2G it takes
		// everything below the PCI hole): boot, and say so.
		warnings = append(warnings, "no RAM to manage (every node's memory is reserved, the Go heap's, unmapped or absent): every allocation will fail")
	}
	m.here, m.space = here, space
	m.byNode = make([][]*zone, len(l.Nodes))
	m.order = make([][]int, len(l.Nodes))
	for i := range l.Nodes {
		m.order[i] = core.NearestNodes(t, i)
	}
	for _, z := range zs {
		zn := &zone{node: z.Node, base: z.Base, size: z.Size, b: newBuddy(z.Base/PageSize, z.Size/PageSize)}
		m.zones = append(m.zones, zn)
		if z.Node >= 0 && z.Node < len(m.byNode) {
			m.byNode[z.Node] = append(m.byNode[z.Node], zn)
		}
	}
	return warnings
}

// request is one allocation: pages and the alignment of their first
// frame, the length handed out, where it may go.
type request struct {
	op         string // for errors: Alloc, AllocStrict, AllocDMA
	size       int    // as asked
	length     uint64 // bytes handed out
	alignOrder int
	node       int
	strict     bool
}

// Alloc returns size bytes of zeroed memory on node, or, when node has no
// free block that large, on the nearest node that has (core.NearestNodes:
// by distance, ties by node number). node < 0 means the calling CPU's
// node. The memory is len(b) == cap(b) == size bytes at the start of
// whole pages, physically contiguous and page-aligned; it stays allocated
// until Free(b).
//
// Errors: size <= 0 or a node the topology does not have wraps
// hw.ErrBadRequest; no node with a free run that large wraps
// hw.ErrNoMemory. Either is counted as a failure of the node's first zone.
func (m *Memory) Alloc(size, node int) ([]byte, error) {
	return m.alloc(request{op: "Alloc", size: size, node: node})
}

// AllocStrict is Alloc without the fallback: memory on node or an error
// wrapping hw.ErrNoMemory, never memory of another node.
func (m *Memory) AllocStrict(size, node int) ([]byte, error) {
	return m.alloc(request{op: "AllocStrict", size: size, node: node, strict: true})
}

// AllocDMA returns a DMA buffer of size bytes rounded up to whole pages,
// zeroed, physically contiguous, at a physical address that is a
// multiple of align (0: PageSize; else a power of two of at least
// PageSize), preferring node and falling back as Alloc does. Free takes
// its Bytes. Errors as for Alloc (a bad align wraps hw.ErrBadRequest).
func (m *Memory) AllocDMA(size, align, node int) (hw.DMABuffer, error) {
	n, a, err := hw.DMASize(size, align)
	if err != nil {
		m.countFailure(node)
		return hw.DMABuffer{}, fmt.Errorf("mm: AllocDMA(%d, %#x, node %d): %w", size, align, node, err)
	}
	b, err := m.alloc(request{op: "AllocDMA", size: size, length: n, alignOrder: bits.TrailingZeros64(a / PageSize), node: node})
	if err != nil {
		return hw.DMABuffer{}, err
	}
	return hw.DMABuffer{Bytes: b, Phys: m.space.phys(&b[0]), Align: a}, nil
}

func (m *Memory) alloc(r request) ([]byte, error) {
	if r.node < 0 && m.here != nil {
		r.node = m.here()
	}
	fail := func(kind error, format string, args ...any) ([]byte, error) {
		m.countFailure(r.node)
		return nil, fmt.Errorf("mm: %s(%d bytes, node %d): %w: %s", r.op, r.size, r.node, kind, fmt.Sprintf(format, args...))
	}
	switch {
	case r.size <= 0:
		return fail(hw.ErrBadRequest, "size must be positive")
	case r.node < 0 || r.node >= len(m.order):
		return fail(hw.ErrBadRequest, "the topology has %d nodes", len(m.order))
	}
	if r.length == 0 {
		r.length = uint64(r.size)
	}
	frames := (r.length + PageSize - 1) / PageSize
	nodes := m.order[r.node]
	if r.strict {
		nodes = nodes[:1]
	}
	for _, n := range nodes {
		for _, z := range m.byNode[n] {
			if b := z.alloc(m.space, frames, r.alignOrder, r.length); b != nil {
				return b, nil
			}
		}
	}
	where := fmt.Sprintf("node %d", r.node)
	if !r.strict && len(nodes) > 1 {
		where = fmt.Sprintf("nodes %v", nodes)
	}
	aligned := ""
	if r.alignOrder > 0 {
		aligned = fmt.Sprintf(" aligned to %#x", uint64(PageSize)<<r.alignOrder)
	}
	return fail(hw.ErrNoMemory, "no free run of %d pages%s on %s", frames, aligned, where)
}

// alloc takes frames pages from z, zeroed, or returns nil.
func (z *zone) alloc(space addressSpace, frames uint64, alignOrder int, length uint64) []byte {
	z.mu.Lock()
	off, ok := z.b.alloc(frames, alignOrder, length)
	if ok {
		z.allocs++
	}
	z.mu.Unlock()
	if !ok {
		return nil
	}
	b := space.bytes(z.base+uint64(off)*PageSize, int(length))
	clear(b)
	return b
}

// countFailure counts a failed allocation for node (< 0: the calling
// CPU's; out of range or without zones: the first zone's) on its first
// zone.
func (m *Memory) countFailure(node int) {
	if node < 0 && m.here != nil {
		node = m.here()
	}
	if node < 0 || node >= len(m.byNode) || len(m.byNode[node]) == 0 {
		if len(m.zones) == 0 {
			return
		}
		z := m.zones[0]
		z.mu.Lock()
		z.failures++
		z.mu.Unlock()
		return
	}
	z := m.byNode[node][0]
	z.mu.Lock()
	z.failures++
	z.mu.Unlock()
}

// Free gives back b, which must be exactly what Alloc, AllocStrict or
// AllocDMA (its Bytes) returned: the same first byte and length, once.
// Anything else returns an error wrapping hw.ErrBadFree that names the
// address and changes nothing:
//   - an empty or nil slice;
//   - memory mm does not manage (the Go heap, another zone's gap, a
//     stack): "not memory mm manages";
//   - an address inside an allocation, or one freed already: "not the
//     start of an allocation", "freed already";
//   - the right start with another length: "N bytes were allocated there".
func (m *Memory) Free(b []byte) error {
	if len(b) == 0 {
		return fmt.Errorf("mm: Free of an empty slice: %w", hw.ErrBadFree)
	}
	addr := m.space.phys(&b[0])
	bad := func(format string, args ...any) error {
		return fmt.Errorf("mm: Free of %d bytes at %#x: %w: %s", len(b), addr, hw.ErrBadFree, fmt.Sprintf(format, args...))
	}
	z := m.zoneOf(addr)
	if z == nil {
		return bad("not memory mm manages")
	}
	if addr%PageSize != 0 {
		return bad("not the start of an allocation (not page-aligned)")
	}
	off := uint32((addr - z.base) / PageSize)
	z.mu.Lock()
	defer z.mu.Unlock()
	if err := z.b.allocation(off, uint64(len(b))); err != nil {
		return bad("%v", err)
	}
	z.b.freeAlloc(off, (uint64(len(b))+PageSize-1)/PageSize)
	z.frees++
	return nil
}

// zoneOf returns the zone holding physical address addr, or nil.
func (m *Memory) zoneOf(addr uint64) *zone {
	i, found := slices.BinarySearchFunc(m.zones, addr, func(z *zone, a uint64) int {
		switch {
		case a < z.base:
			return 1
		case a-z.base >= z.size:
			return -1
		}
		return 0
	})
	if !found {
		return nil
	}
	return m.zones[i]
}

// Stats returns every zone's statistics, ascending by address.
func (m *Memory) Stats() []core.ZoneStats {
	out := make([]core.ZoneStats, len(m.zones))
	for i, z := range m.zones {
		out[i] = z.stats()
	}
	return out
}

func (z *zone) stats() core.ZoneStats {
	z.mu.Lock()
	defer z.mu.Unlock()
	return core.ZoneStats{Node: z.node, Total: z.size, Free: z.b.free * PageSize, Largest: z.b.largest() * PageSize,
		Allocs: z.allocs, Frees: z.frees, Failures: z.failures}
}

// Zones returns each zone's physical range, in Stats order.
func (m *Memory) Zones() []hw.Range {
	out := make([]hw.Range, len(m.zones))
	for i, z := range m.zones {
		out[i] = hw.Range{Base: z.base, Size: z.size}
	}
	return out
}
