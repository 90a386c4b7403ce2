//go:build tamago && amd64

package mmtest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unsafe"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/hw"
	"github.com/aerokernel/aero/core/ktest"
	"github.com/aerokernel/aero/mm"
)

func init() {
	ktest.Register("mm/placement", testPlacement)
	ktest.Register("mm/exhaust", testExhaust)
	ktest.Register("mm/badfree", testBadFree)
	ktest.Register("mm/bench", benchmark)
}

// setup returns the kernel's mm and its node 1, or ends the test.
func setup(t *ktest.T) (*mm.Memory, core.Node) {
	t.Helper()
	m := mm.Running()
	if m == nil {
		t.Fatalf("the kernel's Memory is %q, not mm", core.Running().Memory.Name())
	}
	nodes := core.Running().Topology.Nodes()
	if len(nodes) < 2 || len(nodes[1].Memory) == 0 {
		t.Fatalf("want two nodes, node 1 with memory; have %d nodes", len(nodes))
	}
	return m, nodes[1]
}

func addr(b []byte) uint64 { return uint64(uintptr(unsafe.Pointer(&b[0]))) }

// on reports whether [a, a+n) lies in one of node's memory ranges.
func on(node core.Node, a, n uint64) bool {
	return slices.ContainsFunc(node.Memory, func(r core.Range) bool { return r.Contains(a, n) })
}

// testPlacement: memory asked for on node 1 (Alloc, AllocStrict,
// AllocDMA) lies in node 1's physical range; a DMA buffer's Phys is its
// address and as aligned as asked.
func testPlacement(t *ktest.T) {
	m, n1 := setup(t)
	for _, f := range []struct {
		name  string
		alloc func(size, node int) ([]byte, error)
	}{{"Alloc", mm.Alloc}, {"AllocStrict", mm.AllocStrict}} {
		b, err := f.alloc(1<<20, 1)
		if err != nil {
			t.Fatalf("%s(1 MiB, node 1): %v", f.name, err)
		}
		if !on(n1, addr(b), uint64(len(b))) {
			t.Errorf("%s(1 MiB, node 1) = [%#x, +1 MiB), outside node 1's %v", f.name, addr(b), n1.Memory)
		}
		if err := m.Free(b); err != nil {
			t.Error(err)
		}
	}
	d, err := mm.AllocDMA(3*hw.PageSize, 2<<20, 1)
	if err != nil {
		t.Fatal(err)
	}
	if d.Phys != addr(d.Bytes) || d.Phys%(2<<20) != 0 || len(d.Bytes) != 3*hw.PageSize || !on(n1, d.Phys, uint64(len(d.Bytes))) {
		t.Errorf("AllocDMA(3 pages, 2 MiB, node 1) = %d bytes at %#x (Phys %#x), want 2 MiB-aligned on node 1", len(d.Bytes), addr(d.Bytes), d.Phys)
	}
	if err := m.Free(d.Bytes); err != nil {
		t.Error(err)
	}
	t.Logf("node 1 is %v; a 1 MiB allocation and a 2 MiB-aligned DMA buffer landed there", n1.Memory)
}

// nodeStats returns the statistics of node's zones.
func nodeStats(m *mm.Memory, node int) []core.ZoneStats {
	var out []core.ZoneStats
	for _, z := range m.Stats() {
		if z.Node == node {
			out = append(out, z)
		}
	}
	return out
}

// testExhaust takes every free page of node 1 (strictly, in the largest
// blocks there are), writes each page's address into its first and last
// word and reads them all back; then, node 1 empty, the default Alloc
// falls back to node 0 and AllocStrict fails with ErrNoMemory; freeing
// everything gives back exactly the statistics before, counters aside.
func testExhaust(t *ktest.T) {
	m, n1 := setup(t)
	n0 := core.Running().Topology.Nodes()[0]
	var free0 uint64
	for _, z := range nodeStats(m, 0) {
		free0 += z.Free
	}
	if free0 == 0 {
		t.Fatal("node 0 has no free memory for node 1's allocations to fall back to")
	}
	before := m.Stats()
	var blocks [][]byte
	defer func() {
		for _, b := range blocks {
			if err := m.Free(b); err != nil {
				t.Error(err)
			}
		}
	}()
	var want uint64
	for _, z := range nodeStats(m, 1) {
		want += z.Free
	}
	var got uint64
	for {
		var largest uint64
		for _, z := range nodeStats(m, 1) {
			largest = max(largest, z.Largest)
		}
		if largest == 0 {
			break
		}
		b, err := mm.AllocStrict(int(largest), 1)
		if err != nil {
			t.Fatalf("AllocStrict(%d, node 1) with that much free in one block: %v", largest, err)
		}
		blocks = append(blocks, b)
		got += uint64(len(b))
	}
	if got != want {
		t.Fatalf("allocated %d bytes of node 1, it had %d free", got, want)
	}
	const word = 8
	for _, b := range blocks {
		if !on(n1, addr(b), uint64(len(b))) {
			t.Fatalf("block [%#x, +%#x) is not on node 1", addr(b), len(b))
		}
		for off := 0; off < len(b); off += hw.PageSize {
			a := addr(b) + uint64(off)
			*(*uint64)(unsafe.Pointer(&b[off])) = a
			*(*uint64)(unsafe.Pointer(&b[off+hw.PageSize-word])) = ^a
		}
	}
	pages := 0
	for _, b := range blocks {
		for off := 0; off < len(b); off += hw.PageSize {
			a := addr(b) + uint64(off)
			if v, w := *(*uint64)(unsafe.Pointer(&b[off])), *(*uint64)(unsafe.Pointer(&b[off+hw.PageSize-word])); v != a || w != ^a {
				t.Fatalf("page %#x reads back %#x, %#x", a, v, w)
			}
			pages++
		}
	}
	t.Logf("node 1: %d pages (%d MiB) in %d blocks allocated, written and read back", pages, got>>20, len(blocks))

	b, err := mm.Alloc(hw.PageSize, 1)
	if err != nil {
		t.Fatalf("Alloc(4 KiB, node 1) with node 1 full: %v, want memory of node 0", err)
	}
	blocks = append(blocks, b)
	if !on(n0, addr(b), hw.PageSize) {
		t.Errorf("Alloc(4 KiB, node 1) with node 1 full = %#x, not on node 0 (%v)", addr(b), n0.Memory)
	}
	if _, err := mm.AllocStrict(hw.PageSize, 1); !errors.Is(err, hw.ErrNoMemory) {
		t.Errorf("AllocStrict(4 KiB, node 1) with node 1 full: %v, want an error wrapping ErrNoMemory", err)
	} else {
		t.Logf("AllocStrict: %v", err)
	}

	for _, b := range blocks {
		if err := m.Free(b); err != nil {
			t.Error(err)
		}
	}
	ops := uint64(len(blocks))
	blocks = nil
	after := m.Stats()
	for i := range after {
		a, b := after[i], before[i]
		if a.Node != b.Node || a.Total != b.Total || a.Free != b.Free || a.Largest != b.Largest || a.Allocs-b.Allocs != a.Frees-b.Frees {
			t.Errorf("zone %d after freeing everything: %+v, before: %+v", i, a, b)
		}
	}
	var allocs, failures uint64
	for i := range after {
		allocs += after[i].Allocs - before[i].Allocs
		failures += after[i].Failures - before[i].Failures
	}
	if allocs != ops || failures != 1 {
		t.Errorf("%d allocations and %d failures counted, want %d and 1", allocs, failures, ops)
	}
}

// testBadFree: wrong frees on the machine are errors naming the address.
func testBadFree(t *ktest.T) {
	m, _ := setup(t)
	b, err := mm.Alloc(hw.PageSize, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Free(b); err != nil {
		t.Fatal(err)
	}
	heap := make([]byte, hw.PageSize)
	for _, c := range []struct {
		name string
		b    []byte
	}{{"double free", b}, {"Go heap", heap}} {
		err := m.Free(c.b)
		if !errors.Is(err, hw.ErrBadFree) || !strings.Contains(err.Error(), fmt.Sprintf("%#x", addr(c.b))) {
			t.Errorf("%s: %v, want ErrBadFree naming %#x", c.name, err, addr(c.b))
		}
	}
}
