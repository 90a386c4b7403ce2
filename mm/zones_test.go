package mm

import (
	"encoding/binary"
	"slices"
	"strings"
	"testing"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/hw"
)

const (
	mib = 1 << 20
	gib = 1 << 30
)

// kernelCached is what platform.CachedRAM says today (mapTop 64 GiB).
var kernelCached = []hw.Range{{Base: 0, Size: 3 * gib}, {Base: 4 * gib, Size: 60 * gib}}

func r(base, size uint64) hw.Range { return hw.Range{Base: base, Size: size} }

func TestBuildZones(t *testing.T) {
	// q35 -m 8G, two nodes of 4 GiB: RAM below the PCI hole ends at 2 GiB
	// (the last 128 KiB reserved for ACPI), the rest is 4-10 GiB.
	q35RAM := []hw.Range{r(0, 0x9fc00), r(mib, 2*gib-mib-0x20000), r(4*gib, 6*gib)}
	q35Reserved := []hw.Range{r(0, mib), r(mib, 1791*mib)} // first MiB; image + Go heap
	for _, c := range []struct {
		name     string
		l        layout
		want     []zoneRange
		warnings []string // substrings, one per warning, in order
	}{{
		name: "q35 8G two nodes",
		l: layout{
			Nodes:    []core.Node{{ID: 0, CPUs: []int{0, 1}, Memory: []hw.Range{r(0, 0x9fc00), r(mib, 2*gib-mib-0x20000), r(4*gib, 2*gib)}}, {ID: 1, CPUs: []int{2, 3}, Memory: []hw.Range{r(6*gib, 4*gib)}}},
			RAM:      q35RAM,
			Reserved: q35Reserved,
			Cached:   kernelCached,
		},
		want: []zoneRange{{0, r(1792*mib, 2*gib-1792*mib-0x20000)}, {0, r(4*gib, 2*gib)}, {1, r(6*gib, 4*gib)}},
	}, {
		name: "holes, unaligned edges and a boot module",
		l: layout{
			Nodes:    []core.Node{{ID: 0, CPUs: []int{0}, Memory: []hw.Range{r(16*mib+100, 8*mib), r(32*mib, 8*mib), r(40*mib, 8*mib)}}},
			RAM:      []hw.Range{r(16*mib, 16*mib), r(32*mib, 16*mib)},
			Reserved: []hw.Range{r(20*mib+10, 10), r(44*mib, 1*mib)},
			Cached:   kernelCached,
		},
		// The first range starts mid-page; the module's page is kept out;
		// 32-48 MiB, given as two touching ranges, is one stretch until
		// the reserved MiB at 44.
		want: []zoneRange{{0, r(16*mib+PageSize, 4*mib-PageSize)}, {0, r(20*mib+PageSize, 4*mib-PageSize)}, {0, r(32*mib, 12*mib)}, {0, r(45*mib, 3*mib)}},
	}, {
		name: "a node without memory and one without CPUs",
		l: layout{
			Nodes:  []core.Node{{ID: 0, CPUs: []int{0, 1}}, {ID: 1, Memory: []hw.Range{r(4*gib, gib)}}, {ID: 2, CPUs: []int{2}, Memory: []hw.Range{r(5*gib, gib)}}},
			RAM:    []hw.Range{r(4*gib, 2*gib)},
			Cached: kernelCached,
		},
		want: []zoneRange{{1, r(4*gib, gib)}, {2, r(5*gib, gib)}},
	}, {
		name: "RAM crossing 4 GiB, in the uncached hole and past the map",
		l: layout{
			Nodes:  []core.Node{{ID: 0, CPUs: []int{0}, Memory: []hw.Range{r(2*gib, 3*gib)}}, {ID: 1, CPUs: []int{1}, Memory: []hw.Range{r(60*gib, 8*gib)}}},
			RAM:    []hw.Range{r(2*gib, 3*gib), r(60*gib, 8*gib)},
			Cached: kernelCached,
		},
		want:     []zoneRange{{0, r(2*gib, gib)}, {0, r(4*gib, gib)}, {1, r(60*gib, 4*gib)}},
		warnings: []string{"node 0 RAM [0xc0000000-0xffffffff] is not mapped cacheable", "node 1 RAM [0x1000000000-0x10ffffffff] is not mapped cacheable"},
	}, {
		// Node 1's upper GiB is outside the memory map: a hot-pluggable
		// SRAT range with nothing plugged in, or a bad table.
		name: "node memory outside RAM (hot-plug), and two nodes claiming one range",
		l: layout{
			Nodes:  []core.Node{{ID: 0, Memory: []hw.Range{r(0, 2*gib)}}, {ID: 1, Memory: []hw.Range{r(gib, 2*gib)}}},
			RAM:    []hw.Range{r(0, 2*gib)},
			Cached: kernelCached,
		},
		want: []zoneRange{{0, r(0, 2*gib)}},
		warnings: []string{"node 1 memory [0x80000000-0xbfffffff] is not usable RAM",
			"node 1 memory [0x40000000-0x7fffffff] is claimed by an earlier node"},
	}} {
		t.Run(c.name, func(t *testing.T) {
			got, warnings := buildZones(c.l)
			if !slices.Equal(got, c.want) {
				t.Errorf("zones\n got %v\nwant %v", got, c.want)
			}
			if len(warnings) != len(c.warnings) {
				t.Fatalf("warnings %q, want %d", warnings, len(c.warnings))
			}
			for i, w := range c.warnings {
				if !strings.Contains(warnings[i], w) {
					t.Errorf("warning %d is %q, want one with %q", i, warnings[i], w)
				}
			}
			checkZones(t, c.l, got)
		})
	}
}

// checkZones checks what every zone list must be: page-aligned, disjoint,
// ascending, each zone inside its node's memory, RAM and Cached, and
// outside Reserved.
func checkZones(t *testing.T, l layout, zones []zoneRange) {
	t.Helper()
	inside := func(z hw.Range, rs []hw.Range) bool { return len(subtract([]hw.Range{z}, normalize(rs))) == 0 }
	for i, z := range zones {
		if z.Size == 0 || z.Base%PageSize != 0 || z.Size%PageSize != 0 || z.Size/PageSize > maxZoneFrames {
			t.Fatalf("zone %v: empty, not whole pages, or too large", z)
		}
		if i > 0 && zones[i-1].End() > z.Base {
			t.Fatalf("zones %v and %v overlap or are out of order", zones[i-1], z)
		}
		var node []hw.Range
		for _, n := range l.Nodes {
			if n.ID == z.Node {
				node = n.Memory
			}
		}
		if !inside(z.Range, node) || !inside(z.Range, l.RAM) || !inside(z.Range, l.Cached) {
			t.Fatalf("zone %v of node %d is outside its node's memory, RAM or the cached map", z.Range, z.Node)
		}
		if len(intersect([]hw.Range{z.Range}, normalize(l.Reserved))) != 0 {
			t.Fatalf("zone %v overlaps reserved RAM %v", z.Range, l.Reserved)
		}
	}
}

// FuzzBuildZones builds zones from arbitrary ranges: nodes' memory, RAM,
// reserved and cached ranges, each 16 bytes of the input (base, size),
// picked in turn by a selector byte. Whatever the input, the zones must be
// what checkZones says.
func FuzzBuildZones(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00"))
	f.Add(make([]byte, 17*8))
	f.Fuzz(func(t *testing.T, data []byte) {
		var l layout
		l.Nodes = make([]core.Node, 3)
		for i := range l.Nodes {
			l.Nodes[i].ID = i
		}
		for len(data) >= 17 {
			sel := data[0]
			rg := hw.Range{Base: binary.LittleEndian.Uint64(data[1:]), Size: binary.LittleEndian.Uint64(data[9:])}
			data = data[17:]
			switch sel % 6 {
			case 0, 1, 2:
				l.Nodes[sel%3].Memory = append(l.Nodes[sel%3].Memory, rg)
			case 3:
				l.RAM = append(l.RAM, rg)
			case 4:
				l.Reserved = append(l.Reserved, rg)
			case 5:
				l.Cached = append(l.Cached, rg)
			}
		}
		zones, _ := buildZones(l)
		checkZones(t, l, zones)
	})
}
