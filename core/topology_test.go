package core

import (
	"slices"
	"testing"

	"github.com/aerokernel/aero/core/acpi"
	"github.com/aerokernel/aero/core/acpi/acpitest"
)

// TestSingleNode: the default topology is one node with every CPU and all
// RAM, even on a machine whose SRAT and SLIT give two nodes.
func TestSingleNode(t *testing.T) {
	const gib = 1 << 30
	srat, err := acpi.ParseSRAT(acpitest.SRAT(1,
		acpitest.APIC(0, 0, acpitest.Enabled), acpitest.APIC(1, 1, acpitest.Enabled),
		acpitest.Memory(0, 0, gib, acpitest.Enabled), acpitest.Memory(1, gib, gib, acpitest.Enabled)))
	if err != nil {
		t.Fatal(err)
	}
	slit, err := acpi.ParseSLIT(acpitest.SLIT([][]uint8{{10, 20}, {20, 10}}))
	if err != nil {
		t.Fatal(err)
	}
	k := &Kernel{
		ACPI: &acpi.Tables{SRAT: srat, SLIT: slit},
		RAM:  []Range{{Base: 0x1000, Size: 0x9f000}, {Base: 0x100000, Size: 2*gib - 0x100000}},
		CPUs: []CPU{{Index: 0, APICID: 0, Node: -1}, {Index: 1, APICID: 1, Node: -1}},
	}
	topo := &singleNode{}
	if err := topo.Init(k); err != nil {
		t.Fatal(err)
	}
	if err := k.adopt(KindTopology, topo); err != nil {
		t.Fatal(err)
	}
	nodes := topo.Nodes()
	if len(nodes) != 1 || !slices.Equal(nodes[0].CPUs, []int{0, 1}) || !slices.Equal(nodes[0].Memory, k.RAM) || nodes[0].ID != 0 {
		t.Fatalf("nodes %+v, want one with CPUs 0-1 and RAM %v", nodes, k.RAM)
	}
	if topo.Distance(0, 0) != 10 || topo.Distance(0, 1) != 0 || topo.Distance(-1, 0) != 0 {
		t.Errorf("distances 0-0 %d, 0-1 %d, -1-0 %d; want 10, 0, 0", topo.Distance(0, 0), topo.Distance(0, 1), topo.Distance(-1, 0))
	}
	if topo.NodeOf(1) != 0 || topo.NodeOf(2) != -1 || topo.NodeOf(-1) != -1 || k.CPUs[1].Node != 0 {
		t.Errorf("NodeOf(1) %d, NodeOf(2) %d, NodeOf(-1) %d, Kernel.CPUs[1].Node %d; want 0, -1, -1, 0", topo.NodeOf(1), topo.NodeOf(2), topo.NodeOf(-1), k.CPUs[1].Node)
	}
	if len(k.Warnings) != 0 {
		t.Errorf("warnings %q", k.Warnings)
	}
}
