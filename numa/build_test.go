package numa_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/acpi"
	"github.com/aerokernel/aero/core/acpi/acpitest"
	"github.com/aerokernel/aero/numa"
)

const (
	mib = 1 << 20
	gib = 1 << 30
	on  = acpitest.Enabled
)

// ram2G is a q35-like memory map: low RAM below the legacy hole, then up
// to 2 GiB.
var ram2G = []core.Range{{Base: 0x1000, Size: 0x9f000}, {Base: mib, Size: 2*gib - mib}}

// machine is a Kernel with an SRAT from entries (nil: no SRAT), a SLIT from
// slit (nil: none), RAM ram and CPUs with the given APIC IDs.
func machine(t *testing.T, entries [][]byte, slit []byte, ram []core.Range, apicIDs ...uint32) *core.Kernel {
	t.Helper()
	k := &core.Kernel{ACPI: &acpi.Tables{}, RAM: ram}
	if entries != nil {
		s, err := acpi.ParseSRAT(acpitest.SRAT(3, entries...))
		if err != nil {
			t.Fatal(err)
		}
		k.ACPI.SRAT = s
	}
	if slit != nil {
		s, err := acpi.ParseSLIT(slit)
		if err != nil {
			t.Fatal(err)
		}
		k.ACPI.SLIT = s
	}
	for i, id := range apicIDs {
		k.CPUs = append(k.CPUs, core.CPU{Index: i, APICID: id})
	}
	return k
}

// warned fails t unless the warnings are exactly as many as want and each
// contains its entry of want, in order.
func warned(t *testing.T, k *core.Kernel, want ...string) {
	t.Helper()
	ok := len(k.Warnings) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = strings.Contains(k.Warnings[i], want[i])
	}
	if !ok {
		t.Errorf("warnings %q, want %q", k.Warnings, want)
	}
}

var slit2 = acpitest.SLIT([][]uint8{{10, 21}, {21, 10}})

func TestMemorylessNode(t *testing.T) {
	k := machine(t, [][]byte{
		acpitest.APIC(0, 0, on), acpitest.APIC(0, 1, on), acpitest.APIC(1, 2, on), acpitest.APIC(1, 3, on),
		acpitest.Memory(0, 0, 2*gib, on),
	}, slit2, ram2G, 0, 1, 2, 3)
	topo := checkTopology(t, k, []wantNode{{"0-1", 2047, "10,21"}, {"2-3", 0, "21,10"}})
	if m := topo.Nodes()[1].Memory; len(m) != 0 {
		t.Errorf("memoryless node has memory %v", m)
	}
	warned(t, k)
}

func TestCPUlessNode(t *testing.T) {
	k := machine(t, [][]byte{
		acpitest.APIC(0, 0, on), acpitest.APIC(0, 1, on),
		acpitest.Memory(0, 0, gib, on), acpitest.Memory(1, gib, gib, on),
	}, slit2, ram2G, 0, 1)
	topo := checkTopology(t, k, []wantNode{{"0-1", 1023, "10,21"}, {"-", 1024, "21,10"}})
	if got := topo.Nodes()[1].Memory; !slices.Equal(got, []core.Range{{Base: gib, Size: gib}}) {
		t.Errorf("CPU-less node memory %v", got)
	}
	warned(t, k)
}

// TestSparseDomains: domains 0, 4 and 9 become nodes 0-2 (one memoryless,
// one CPU-less), and the SLIT is read by domain.
func TestSparseDomains(t *testing.T) {
	m := make([][]uint8, 10)
	for i := range m {
		m[i] = make([]uint8, 10)
		for j := range m[i] {
			m[i][j] = 99 // domains that are no node: never read
		}
		m[i][i] = 10
	}
	m[0][4], m[4][0] = 17, 18
	m[0][9], m[9][0] = 31, 32
	m[4][9], m[9][4] = 44, 45
	k := machine(t, [][]byte{
		acpitest.APIC(9, 0, on), acpitest.APIC(4, 1, on),
		acpitest.Memory(9, 0, gib, on), acpitest.Memory(0, gib, gib, on),
	}, acpitest.SLIT(m), ram2G, 0, 1)
	topo := checkTopology(t, k, []wantNode{{"-", 1024, "10,17,31"}, {"1", 0, "18,10,44"}, {"0", 1023, "32,45,10"}})
	for i, d := range []uint32{0, 4, 9} {
		if got := topo.Nodes()[i].Domain; got != d {
			t.Errorf("node %d is domain %d, want %d", i, got, d)
		}
	}
	warned(t, k)
}

func TestDisabledEntries(t *testing.T) {
	k := machine(t, [][]byte{
		acpitest.APIC(1, 0, 0), // disabled: CPU 0 is not domain 1's
		acpitest.APIC(0, 0, on),
		acpitest.APIC(2, 1, 0),          // disabled and the only entry for APIC ID 1
		acpitest.APIC(3, 7, 0),          // a disabled CPU that is not up either
		acpitest.Memory(2, 0, 2*gib, 0), // disabled: not domain 2's RAM
		acpitest.Memory(0, 0, 2*gib, on),
		acpitest.Memory(4, 0, 0, 0), // QEMU's all-zero padding entry
	}, nil, ram2G, 0, 1)
	checkTopology(t, k, []wantNode{{"0-1", 2047, "10"}})
	warned(t, k, "SRAT has no affinity for CPU 1 (APIC ID 1); placing it in domain 0")
}

func TestX2APICAffinity(t *testing.T) {
	k := machine(t, [][]byte{
		acpitest.APIC(0, 0, on),
		acpitest.X2APIC(1, 5, on), // the only entry for APIC ID 5
		acpitest.X2APIC(0, 6, 0),  // disabled
		acpitest.APIC(1, 6, on),
		acpitest.Memory(0, 0, gib, on), acpitest.Memory(1, gib, gib, on),
	}, slit2, ram2G, 0, 5, 6)
	checkTopology(t, k, []wantNode{{"0", 1023, "10,21"}, {"1-2", 1024, "21,10"}})
	warned(t, k)
}

func TestHotPlug(t *testing.T) {
	k := machine(t, [][]byte{
		acpitest.APIC(0, 0, on), acpitest.APIC(1, 1, on),
		acpitest.Memory(0, 0, gib, on),
		// Present at boot up to 2 GiB, hot-pluggable to 3 GiB.
		acpitest.Memory(1, gib, 2*gib, on|acpitest.HotPluggable),
		// All outside the memory map, on a domain that is no node.
		acpitest.Memory(5, 4*gib, 4*gib, on|acpitest.HotPluggable),
		// Outside the memory map but not hot-pluggable: dropped.
		acpitest.Memory(1, 8*gib, gib, on),
		// Disabled: not even hot-pluggable.
		acpitest.Memory(1, 12*gib, gib, acpitest.HotPluggable),
	}, slit2, ram2G, 0, 1)
	topo := checkTopology(t, k, []wantNode{{"0", 1023, "10,21"}, {"1", 1024, "21,10"}})
	want := []numa.HotPlug{
		{Range: core.Range{Base: 2 * gib, Size: gib}, Domain: 1, Node: 1},
		{Range: core.Range{Base: 4 * gib, Size: 4 * gib}, Domain: 5, Node: -1},
	}
	if got := topo.HotPlug(); !slices.Equal(got, want) {
		t.Errorf("hot-plug %+v, want %+v", got, want)
	}
	warned(t, k)
}

// TestBadSLIT: a SLIT that is malformed, or does not fit the SRAT, is
// warned about by what is wrong, and the default distances are used.
func TestBadSLIT(t *testing.T) {
	entries := [][]byte{
		acpitest.APIC(0, 0, on), acpitest.APIC(1, 1, on),
		acpitest.Memory(0, 0, gib, on), acpitest.Memory(1, gib, gib, on),
	}
	for _, c := range []struct {
		name, want string
		slit       []byte
	}{
		{"too few localities", "acpi: SLIT: 1 localities, but node 1 is proximity domain 1", acpitest.SLIT([][]uint8{{10}})},
		{"trailing bytes", "acpi: SLIT: length 49, but 2 localities need 48 bytes",
			acpitest.Table("SLIT", 1, acpitest.LE(uint64(2)), []byte{10, 20, 20, 10, 0})},
		{"local not 10", "acpi: SLIT: distance 1->1 is 12: want 10 to itself", acpitest.SLIT([][]uint8{{10, 20}, {20, 12}})},
		{"distance below 10", "acpi: SLIT: distance 0->1 is 5: below 10, a reserved value", acpitest.SLIT([][]uint8{{10, 5}, {20, 10}})},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := machine(t, entries, c.slit, ram2G, 0, 1)
			checkTopology(t, k, []wantNode{{"0", 1023, "10,20"}, {"1", 1024, "20,10"}})
			warned(t, k, c.want)
			if !strings.HasSuffix(k.Warnings[0], "; assuming distance 10 local, 20 remote") {
				t.Errorf("warning %q does not name the default distances", k.Warnings[0])
			}
		})
	}
}

func TestNoMemoryAffinityInRAM(t *testing.T) {
	k := machine(t, [][]byte{
		acpitest.APIC(0, 0, on), acpitest.APIC(1, 1, on),
		acpitest.Memory(1, 8*gib, gib, on),
	}, slit2, ram2G, 0, 1)
	checkTopology(t, k, []wantNode{{"0-1", 2047, "10"}})
	warned(t, k, "SRAT gives no memory affinity inside usable RAM; assuming one node")
}

func TestUncoveredRAMGoesToNode0(t *testing.T) {
	ram := append(slices.Clone(ram2G), core.Range{Base: 4 * gib, Size: mib})
	k := machine(t, [][]byte{
		acpitest.APIC(0, 0, on), acpitest.APIC(1, 1, on),
		acpitest.Memory(0, 0, gib, on), acpitest.Memory(1, gib, gib, on),
	}, slit2, ram, 0, 1)
	topo := checkTopology(t, k, []wantNode{{"0", 1024, "10,21"}, {"1", 1024, "21,10"}})
	if n0 := topo.Nodes()[0]; !slices.Contains(n0.Memory, ram[2]) {
		t.Errorf("node 0 memory %v lacks the uncovered range %v", n0.Memory, ram[2])
	}
	warned(t, k, "RAM 0x100000000-0x100100000 is not fully covered by the SRAT; counting the rest on node 0")
}

func TestOverlappingRanges(t *testing.T) {
	k := machine(t, [][]byte{
		acpitest.APIC(0, 0, on), acpitest.APIC(1, 1, on),
		acpitest.Memory(0, 0, gib+512*mib, on), acpitest.Memory(1, gib, gib, on),
	}, slit2, ram2G, 0, 1)
	topo := checkTopology(t, k, []wantNode{{"0", 1535, "10,21"}, {"1", 512, "21,10"}})
	if got := topo.Nodes()[1].Memory; !slices.Equal(got, []core.Range{{Base: gib + 512*mib, Size: 512 * mib}}) {
		t.Errorf("node 1 memory %v", got)
	}
	warned(t, k, "SRAT: RAM in")
}

// fourNodes is the SLIT the boot test gives QEMU (boot_test.go): no node's
// order is the numeric one, and 1->0 differs from 0->1.
var fourNodes = [][]uint8{
	{10, 40, 20, 30},
	{45, 10, 25, 15},
	{20, 25, 10, 35},
	{30, 15, 35, 10},
}

func TestDistancesAndNearest(t *testing.T) {
	var entries [][]byte
	for d := range uint32(4) {
		entries = append(entries, acpitest.APIC(d, uint8(d), on), acpitest.Memory(d, uint64(d)*512*mib, 512*mib, on))
	}
	k := machine(t, entries, acpitest.SLIT(fourNodes), []core.Range{{Base: 0, Size: 2 * gib}}, 0, 1, 2, 3)
	topo := checkTopology(t, k, []wantNode{
		{"0", 512, "10,40,20,30"}, {"1", 512, "45,10,25,15"}, {"2", 512, "20,25,10,35"}, {"3", 512, "30,15,35,10"},
	})
	for node, want := range [][]int{{0, 2, 3, 1}, {1, 3, 2, 0}, {2, 0, 1, 3}, {3, 1, 0, 2}} {
		if got := topo.Nearest(node); !slices.Equal(got, want) {
			t.Errorf("Nearest(%d) = %v, want %v", node, got, want)
		}
	}
	// Ties go by node number.
	tie := [][]uint8{{10, 30, 20, 20}, {30, 10, 20, 20}, {20, 20, 10, 20}, {20, 20, 20, 10}}
	k = machine(t, entries, acpitest.SLIT(tie), []core.Range{{Base: 0, Size: 2 * gib}}, 0, 1, 2, 3)
	topo = &numa.Topology{}
	topo.Init(k)
	if got := topo.Nearest(1); !slices.Equal(got, []int{1, 2, 3, 0}) {
		t.Errorf("Nearest(1) with ties = %v, want [1 2 3 0]", got)
	}
	for _, bad := range []int{-1, 4} {
		if topo.Nearest(bad) != nil || topo.Distance(bad, 0) != 0 || topo.Distance(0, bad) != 0 || topo.NodeOf(bad) != -1 {
			t.Errorf("node or CPU %d: Nearest %v, Distance %d/%d, NodeOf %d; want nil, 0, 0, -1",
				bad, topo.Nearest(bad), topo.Distance(bad, 0), topo.Distance(0, bad), topo.NodeOf(bad))
		}
	}
}

func TestNoACPI(t *testing.T) {
	k := &core.Kernel{RAM: ram2G, CPUs: []core.CPU{{Index: 0}, {Index: 1, APICID: 1}}}
	checkTopology(t, k, []wantNode{{"0-1", 2047, "10"}})
	warned(t, k)
}

// TestNearestIsCoreOrder: Nearest is core.NearestNodes, whatever the
// distances, worked out once and handed out without allocating.
func TestNearestIsCoreOrder(t *testing.T) {
	var entries [][]byte
	for d := range uint32(4) {
		entries = append(entries, acpitest.APIC(d, uint8(d), on), acpitest.Memory(d, uint64(d)*512*mib, 512*mib, on))
	}
	k := machine(t, entries, acpitest.SLIT(fourNodes), []core.Range{{Base: 0, Size: 2 * gib}}, 0, 1, 2, 3)
	topo := numa.Discover(k)
	for n := range 4 {
		if got, want := topo.Nearest(n), core.NearestNodes(topo, n); !slices.Equal(got, want) {
			t.Errorf("Nearest(%d) = %v, core.NearestNodes %v", n, got, want)
		}
	}
	if a := testing.AllocsPerRun(100, func() { topo.Nearest(2) }); a != 0 {
		t.Errorf("Nearest allocates %v times a call", a)
	}
}
