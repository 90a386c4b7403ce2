package core

import "github.com/aerokernel/aero/core/report"

const mib = 1 << 20

// SummaryLines returns the boot summary: the "aero: boot" line and one
// "aero: node" line per node (see the package documentation; the format
// is package report's).
func (k *Kernel) SummaryLines() []string {
	nodes := k.Topology.Nodes()
	s := report.Summary{Boot: report.Boot{
		CPUs:     len(k.CPUs),
		Nodes:    len(nodes),
		MemMiB:   int(k.RAMBytes() / mib),
		Clock:    "none",
		Sched:    k.Scheduler.Name(),
		Memory:   k.Memory.Name(),
		Topology: k.Topology.Name(),
		Console:  k.Console.Name(),
		Loader:   k.Loader,
		HeapMiB:  int(k.Heap.Size / mib),
	}}
	if k.Clock != nil {
		s.Boot.Clock = k.Clock.Source()
		s.Boot.ClockMHz = int((k.Clock.Hz() + 500_000) / 1_000_000)
		s.Boot.ClockRef = k.Clock.Reference()
	}
	for _, n := range nodes {
		d := make([]int, len(nodes))
		for j := range nodes {
			d[j] = k.Topology.Distance(n.ID, nodes[j].ID)
		}
		s.Nodes = append(s.Nodes, report.Node{ID: n.ID, CPUs: n.CPUs, MemMiB: int(n.MemoryBytes() / mib), Dist: d})
	}
	return s.Lines()
}
