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
	free, perNode := nodeFree(k.Memory, len(nodes))
	for _, n := range nodes {
		d := make([]int, len(nodes))
		for j := range nodes {
			d[j] = k.Topology.Distance(n.ID, nodes[j].ID)
		}
		line := report.Node{ID: n.ID, CPUs: n.CPUs, MemMiB: int(n.MemoryBytes() / mib), Dist: d}
		if perNode {
			line.FreeMiB, line.HasFree = int(free[n.ID]/mib), true
		}
		s.Nodes = append(s.Nodes, line)
	}
	return s.Lines()
}

// nodeFree sums m's free bytes per node from its zone statistics; perNode
// is false when a zone belongs to no node (Node < 0: core's Go heap
// Memory), and the summary then has no free= field. A Memory without
// zones has 0 free on every node.
func nodeFree(m Memory, nodes int) (free []uint64, perNode bool) {
	free = make([]uint64, nodes)
	if m == nil {
		return free, false
	}
	for _, z := range m.Stats() {
		if z.Node < 0 {
			return free, false
		}
		if z.Node < nodes {
			free[z.Node] += z.Free
		}
	}
	return free, true
}
