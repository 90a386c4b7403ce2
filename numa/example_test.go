package numa_test

import (
	"fmt"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/acpi"
	"github.com/aerokernel/aero/core/acpi/acpitest"
	"github.com/aerokernel/aero/numa"
)

// A machine with three nodes: node 1 has a CPU and no memory, node 2
// memory and no CPU. In a kernel, Boot calls Init with the real machine;
// here the tables are built by hand.
func ExampleDiscover() {
	srat, _ := acpi.ParseSRAT(acpitest.SRAT(3,
		acpitest.APIC(0, 0, acpitest.Enabled), acpitest.APIC(1, 1, acpitest.Enabled),
		acpitest.Memory(0, 0, 1<<30, acpitest.Enabled), acpitest.Memory(2, 1<<30, 1<<30, acpitest.Enabled)))
	slit, _ := acpi.ParseSLIT(acpitest.SLIT([][]uint8{{10, 30, 20}, {30, 10, 25}, {20, 25, 10}}))
	k := &core.Kernel{
		ACPI: &acpi.Tables{SRAT: srat, SLIT: slit},
		RAM:  []core.Range{{Base: 0, Size: 2 << 30}},
		CPUs: []core.CPU{{Index: 0, APICID: 0}, {Index: 1, APICID: 1}},
	}
	t := numa.Discover(k)
	for _, n := range t.Nodes() {
		fmt.Printf("node %d: cpus %v, %d MiB, nearest first %v\n", n.ID, n.CPUs, n.MemoryBytes()>>20, t.Nearest(n.ID))
	}
	fmt.Println("CPU 1 is on node", t.NodeOf(1), "at distance", t.Distance(t.NodeOf(1), 0), "from node 0")
	// Output:
	// node 0: cpus [0], 1024 MiB, nearest first [0 2 1]
	// node 1: cpus [1], 0 MiB, nearest first [1 2 0]
	// node 2: cpus [], 1024 MiB, nearest first [2 0 1]
	// CPU 1 is on node 1 at distance 30 from node 0
}
