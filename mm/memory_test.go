package mm

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/hw"
)

// bufferSpace is a host test's physical memory: the bytes of buf stand
// for [base, base+len(buf)).
type bufferSpace struct {
	base uint64
	buf  []byte
}

func (s bufferSpace) bytes(phys uint64, n int) []byte {
	return s.buf[phys-s.base:][:n:n]
}

func (s bufferSpace) phys(p *byte) uint64 {
	off := uintptr(unsafe.Pointer(p)) - uintptr(unsafe.Pointer(&s.buf[0]))
	if off < uintptr(len(s.buf)) {
		return s.base + uint64(off)
	}
	return uint64(uintptr(unsafe.Pointer(p))) // somewhere no zone is
}

// topology is a fixed Topology for host tests.
type topology struct {
	nodes []core.Node
	dist  [][]int
}

func (t *topology) Name() string            { return "test" }
func (t *topology) Init(*core.Kernel) error { return nil }
func (t *topology) Nodes() []core.Node      { return t.nodes }
func (t *topology) NodeOf(int) int          { return 0 }
func (t *topology) Distance(a, b int) int   { return t.dist[a][b] }

// testBase is where a test's physical memory starts: above any host
// heap address, so a foreign slice never falls in a zone.
const testBase = 1 << 44

// newTestMemory returns a Memory of three nodes, each with perNode bytes
// of RAM at testBase + node*perNode, node 2 nearest to node 0 (distances
// 10, 30, 20), and node 1 without CPUs.
func newTestMemory(t testing.TB, perNode uint64) (*Memory, *topology) {
	t.Helper()
	space := bufferSpace{base: testBase, buf: make([]byte, 3*perNode)}
	top := &topology{dist: [][]int{{10, 30, 20}, {30, 10, 20}, {20, 20, 10}}}
	for i := range 3 {
		n := core.Node{ID: i, Memory: []hw.Range{{Base: testBase + uint64(i)*perNode, Size: perNode}}}
		if i != 1 {
			n.CPUs = []int{i}
		}
		top.nodes = append(top.nodes, n)
	}
	m := &Memory{}
	l := layout{Nodes: top.nodes, RAM: []hw.Range{{Base: testBase, Size: 3 * perNode}}, Cached: []hw.Range{{Size: 1 << 52}}}
	if w := m.setUp(l, top, func() int { return 2 }, space); len(w) != 0 {
		t.Fatalf("warnings: %q", w)
	}
	return m, top
}

// TestMemoryNoZones: with all RAM reserved mm still sets up, says so, and
// every allocation fails with ErrNoMemory.
func TestMemoryNoZones(t *testing.T) {
	top := &topology{nodes: []core.Node{{ID: 0, CPUs: []int{0}, Memory: []hw.Range{{Base: 0, Size: 2 * gib}}}}, dist: [][]int{{10}}}
	m := &Memory{}
	l := layout{Nodes: top.nodes, RAM: top.nodes[0].Memory, Reserved: top.nodes[0].Memory, Cached: kernelCached}
	if w := m.setUp(l, top, func() int { return 0 }, bufferSpace{}); len(w) != 1 || !strings.Contains(w[0], "no RAM to manage") {
		t.Errorf("warnings %q, want one saying there is no RAM to manage", w)
	}
	if _, err := m.Alloc(PageSize, 0); !errors.Is(err, hw.ErrNoMemory) {
		t.Errorf("Alloc without zones: %v, want ErrNoMemory", err)
	}
	if _, err := m.AllocDMA(PageSize, 0, -1); !errors.Is(err, hw.ErrNoMemory) {
		t.Errorf("AllocDMA without zones: %v, want ErrNoMemory", err)
	}
	if st := m.Stats(); len(st) != 0 {
		t.Errorf("Stats without zones: %+v", st)
	}
}

func physOf(m *Memory, b []byte) uint64 { return m.space.phys(&b[0]) }

func nodeOf(top *topology, addr uint64) int {
	for _, n := range top.nodes {
		for _, r := range n.Memory {
			if r.Contains(addr, 1) {
				return n.ID
			}
		}
	}
	return -1
}

func TestMemoryPlacementAndFallback(t *testing.T) {
	const perNode = 4 * mib
	m, top := newTestMemory(t, perNode)
	for i, z := range m.Zones() {
		if st := m.Stats()[i]; z != top.nodes[i].Memory[0] || st.Node != i || st.Total != perNode || st.Free != perNode || st.Largest != perNode {
			t.Errorf("zone %d: %v, %+v; want node %d's %v, all free", i, z, st, i, top.nodes[i].Memory[0])
		}
	}
	b, err := m.Alloc(100, 1)
	if err != nil || len(b) != 100 || cap(b) != 100 || nodeOf(top, physOf(m, b)) != 1 {
		t.Fatalf("Alloc(100, 1) = len %d cap %d on node %d, %v", len(b), cap(b), nodeOf(top, physOf(m, b)), err)
	}
	if err := m.Free(b); err != nil {
		t.Fatal(err)
	}
	if here, _ := m.Alloc(PageSize, -1); nodeOf(top, physOf(m, here)) != 2 {
		t.Errorf("Alloc(node -1) went to node %d, want the calling CPU's, 2", nodeOf(top, physOf(m, here)))
	}
	// Exhaust node 0: the next allocation goes to node 2 (distance 20),
	// then node 1 (30); the strict one fails.
	all, err := m.AllocStrict(perNode, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.AllocStrict(PageSize, 0); !errors.Is(err, hw.ErrNoMemory) {
		t.Errorf("AllocStrict on an exhausted node: %v, want ErrNoMemory", err)
	}
	fb, err := m.Alloc(PageSize, 0)
	if err != nil || nodeOf(top, physOf(m, fb)) != 2 {
		t.Fatalf("fallback from node 0 went to node %d (%v), want 2", nodeOf(top, physOf(m, fb)), err)
	}
	big, err := m.Alloc(perNode, 0) // node 2 has less than that left
	if err != nil || nodeOf(top, physOf(m, big)) != 1 {
		t.Fatalf("fallback for a block node 2 cannot give went to node %d (%v), want 1", nodeOf(top, physOf(m, big)), err)
	}
	if _, err := m.Alloc(perNode, 0); !errors.Is(err, hw.ErrNoMemory) || !strings.Contains(err.Error(), "nodes [0 2 1]") {
		t.Errorf("Alloc with no room anywhere: %v, want ErrNoMemory naming nodes [0 2 1]", err)
	}
	for _, x := range [][]byte{all, fb, big} {
		if err := m.Free(x); err != nil {
			t.Error(err)
		}
	}
	st := m.Stats()
	// Allocations count where the memory came from, failures on the
	// asked node's zone.
	if st[0].Allocs != 1 || st[0].Failures != 2 || st[1].Allocs != 2 || st[2].Allocs != 2 || st[1].Failures+st[2].Failures != 0 {
		t.Errorf("stats %+v: want node 0 with 1 allocation and 2 failures, nodes 1 and 2 with 2 allocations each", st)
	}
}

func TestMemoryZeroedAndDMA(t *testing.T) {
	m, _ := newTestMemory(t, 4*mib)
	b, _ := m.Alloc(3*PageSize, 0)
	for i := range b {
		b[i] = 0xa5
	}
	if err := m.Free(b); err != nil {
		t.Fatal(err)
	}
	b, _ = m.Alloc(3*PageSize, 0)
	for i, v := range b {
		if v != 0 {
			t.Fatalf("reused memory not zeroed at %d", i)
		}
	}
	for _, align := range []int{0, PageSize, 64 << 10, 1 << 20} {
		d, err := m.AllocDMA(5000, align, 2)
		if err != nil {
			t.Fatal(err)
		}
		want := max(uint64(align), PageSize)
		if len(d.Bytes) != 2*PageSize || d.Phys%want != 0 || d.Align != want || d.Phys != physOf(m, d.Bytes) {
			t.Errorf("AllocDMA(5000, %#x) = %d bytes at %#x align %#x", align, len(d.Bytes), d.Phys, d.Align)
		}
		if err := m.Free(d.Bytes); err != nil {
			t.Error(err)
		}
	}
	for _, c := range []struct{ size, align int }{{0, 0}, {100, 100}, {100, 2048}} {
		if _, err := m.AllocDMA(c.size, c.align, 0); !errors.Is(err, hw.ErrBadRequest) {
			t.Errorf("AllocDMA(%d, %d): %v, want ErrBadRequest", c.size, c.align, err)
		}
	}
	if _, err := m.Alloc(0, 0); !errors.Is(err, hw.ErrBadRequest) {
		t.Errorf("Alloc(0): %v", err)
	}
	if _, err := m.Alloc(1, 3); !errors.Is(err, hw.ErrBadRequest) {
		t.Errorf("Alloc on node 3 of 3: %v", err)
	}
}

// TestMemoryBadFree: every wrong Free is an error wrapping hw.ErrBadFree
// that names the address, and leaves the statistics as they were.
func TestMemoryBadFree(t *testing.T) {
	m, _ := newTestMemory(t, 4*mib)
	a, _ := m.Alloc(2*PageSize+10, 0)
	gone, _ := m.Alloc(PageSize, 0)
	if err := m.Free(gone); err != nil {
		t.Fatal(err)
	}
	heap := make([]byte, PageSize)
	before := m.Stats()
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"nil", nil, "empty slice"},
		{"double free", gone, "freed already"},
		{"Go heap", heap, "not memory mm manages"},
		{"resliced start", a[1:], "not page-aligned"},
		{"inside", a[PageSize:], "not the start of an allocation"},
		{"shorter", a[:10], "8202 bytes were allocated there"},
		{"longer", m.space.bytes(physOf(m, a), len(a)+1), "8202 bytes were allocated there"},
	} {
		err := m.Free(c.b)
		if !errors.Is(err, hw.ErrBadFree) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want ErrBadFree saying %q", c.name, err, c.want)
			continue
		}
		if len(c.b) > 0 && !strings.Contains(err.Error(), "0x") {
			t.Errorf("%s: %v names no address", c.name, err)
		}
	}
	if after := m.Stats(); !slices.Equal(before, after) {
		t.Errorf("wrong frees changed the statistics:\n%+v\n%+v", before, after)
	}
	if err := m.Free(a); err != nil {
		t.Errorf("the right free after wrong ones: %v", err)
	}
}

// TestMemoryConcurrent allocates and frees from many goroutines at once
// (run with -race): no two live allocations overlap, and freeing
// everything restores the statistics but for the counters.
func TestMemoryConcurrent(t *testing.T) {
	m, _ := newTestMemory(t, 8*mib)
	before := m.Stats()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var live [][]byte
			for i := range 1000 {
				size := PageSize * (1 + (i*7+g)%5)
				b, err := m.Alloc(size, g%3)
				if err == nil {
					b[0], b[len(b)-1] = byte(g), byte(g)
					live = append(live, b)
				}
				if len(live) > 20 || (err != nil && len(live) > 0) {
					x := live[0]
					if x[0] != byte(g) || x[len(x)-1] != byte(g) {
						t.Errorf("goroutine %d: its memory was overwritten", g)
						return
					}
					if err := m.Free(x); err != nil {
						t.Error(err)
					}
					live = live[1:]
				}
			}
			for _, x := range live {
				if err := m.Free(x); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	after := m.Stats()
	for i := range after {
		if after[i].Free != before[i].Free || after[i].Largest != before[i].Largest || after[i].Allocs != after[i].Frees {
			t.Errorf("zone %d: %+v after, %+v before", i, after[i], before[i])
		}
	}
}
