// Package numa is Aero's NUMA topology: nodes, their CPUs and memory, and
// the distances between them, from the ACPI SRAT and SLIT (see Discover for
// exactly how). It implements core.Topology; linking it chooses it over
// core's default, which is one node holding everything:
//
//	topology  numa        # in a kernel config (configs/defconfig does)
//
// and the boot summary then says topology=numa, with one "aero: node" line
// per node. Without an SRAT the machine is one node here too.
//
// An HRT reads the topology through core.Running().Topology, or as this
// package's type through Running:
//
//	t := numa.Running()
//	here := t.Current()           // the node of the CPU this code runs on
//	for _, n := range t.Nearest(here) {
//		// here first, then the other nodes, nearest first
//	}
//	d := t.Distance(here, 1)      // SLIT units: 10 is local
//	cpus := t.Nodes()[here].CPUs  // indexes into core.Running().CPUs
//
// (Running and Current exist in kernel builds, GOOS=tamago: they read the
// running kernel and the CPU.)
//
// Nodes are numbered 0.. in the order of the firmware's proximity domains
// (Node.Domain keeps the domain). A node may have CPUs and no memory, or
// memory and no CPUs. Hot-pluggable memory outside the boot memory map is in
// HotPlug, not in any node's Memory. What the tables got wrong (no SLIT on a
// machine with several nodes, a malformed SLIT, RAM or CPUs the SRAT does not
// place) is a boot warning, and Discover carries on with defaults it names.
//
// Nearest is core.NearestNodes, the one fallback order of the tree: a
// Memory module falling back by distance and an HRT placing work see the
// same order.
//
// The in-kernel tests of the module are in numa/numatest; numa's boot tests
// (boot_test.go) link them through configs/ktest.
package numa
