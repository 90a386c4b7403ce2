package numa_test

import (
	"testing"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/acpi"
	"github.com/aerokernel/aero/core/acpi/acpitest"
	"github.com/aerokernel/aero/numa"
)

// FuzzDiscover feeds arbitrary SRAT and SLIT bodies (after the 36-byte
// header, which the target adds so that the parsers get past it) to
// Discover: it must never panic, and what it builds must hold together
// whatever the tables say. Run it with
// go test -run '^$' -fuzz FuzzDiscover -fuzztime 30s; plain go test runs
// the seeds.
func FuzzDiscover(f *testing.F) {
	f.Add(uint8(1), acpitest.SRAT(1, acpitest.APIC(0, 0, on), acpitest.APIC(1, 1, on),
		acpitest.Memory(0, 0, gib, on), acpitest.Memory(1, gib, gib, on|acpitest.HotPluggable))[36:],
		acpitest.SLIT([][]uint8{{10, 20}, {20, 10}})[36:])
	f.Add(uint8(3), acpitest.SRAT(3, acpitest.X2APIC(7, 2, on), acpitest.Memory(9, 0, 8*gib, on))[36:],
		acpitest.SLIT(fourNodes)[36:])
	f.Add(uint8(3), []byte{}, []byte{})
	ram := []core.Range{{Base: 0x1000, Size: 0x9f000}, {Base: mib, Size: 3*gib - mib}, {Base: 4 * gib, Size: 2 * gib}}
	f.Fuzz(func(t *testing.T, rev uint8, srat, slit []byte) {
		k := &core.Kernel{ACPI: &acpi.Tables{}, RAM: ram}
		for i := range 4 {
			k.CPUs = append(k.CPUs, core.CPU{Index: i, APICID: uint32(i)})
		}
		if s, err := acpi.ParseSRAT(acpitest.Table("SRAT", rev, srat)); err == nil {
			k.ACPI.SRAT = s
		}
		if s, err := acpi.ParseSLIT(acpitest.Table("SLIT", 1, slit)); err == nil {
			k.ACPI.SLIT = s
		}
		topo := numa.Discover(k)
		nodes := topo.Nodes()
		if len(nodes) == 0 {
			t.Fatal("no nodes")
		}
		var mem uint64
		for i, n := range nodes {
			if n.ID != i {
				t.Fatalf("node %d has ID %d", i, n.ID)
			}
			for _, c := range n.CPUs {
				if topo.NodeOf(c) != i {
					t.Fatalf("node %d lists CPU %d, NodeOf says %d", i, c, topo.NodeOf(c))
				}
			}
			for _, r := range n.Memory {
				if !inside(r, ram) {
					t.Fatalf("node %d memory %v outside RAM", i, r)
				}
			}
			mem += n.MemoryBytes()
			for j := range nodes {
				if d := topo.Distance(i, j); d < acpi.LocalDistance || (i == j && d != acpi.LocalDistance) {
					t.Fatalf("distance %d->%d is %d", i, j, d)
				}
			}
			if got := topo.Nearest(i); len(got) != len(nodes) || got[0] != i {
				t.Fatalf("Nearest(%d) = %v", i, got)
			}
		}
		if mem != (&core.Kernel{RAM: ram}).RAMBytes() {
			t.Fatalf("nodes hold %d bytes of the %d of RAM", mem, (&core.Kernel{RAM: ram}).RAMBytes())
		}
		for c := range k.CPUs {
			if n := topo.NodeOf(c); n < 0 || n >= len(nodes) {
				t.Fatalf("CPU %d on node %d of %d", c, n, len(nodes))
			}
		}
		for _, h := range topo.HotPlug() {
			if h.Node < -1 || h.Node >= len(nodes) {
				t.Fatalf("hot-plug %+v: no such node", h)
			}
			for _, r := range ram {
				if lo, hi := max(r.Base, h.Base), min(r.End(), h.End()); lo < hi {
					t.Fatalf("hot-plug %+v overlaps RAM %v", h, r)
				}
			}
		}
	})
}
