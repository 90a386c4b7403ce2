package core

import (
	"fmt"
	"strconv"
	"strings"
)

const mib = 1 << 20

// SummaryLines returns the boot summary: the "aero: boot" line and one
// "aero: node" line per node (see the package documentation).
func (k *Kernel) SummaryLines() []string {
	var b strings.Builder
	nodes := k.Topology.Nodes()
	clock := "none@0"
	if k.Clock != nil {
		clock = fmt.Sprintf("%s@%d", k.Clock.Source(), (k.Clock.Hz()+500_000)/1_000_000)
	}
	fmt.Fprintf(&b, "aero: boot cpus=%d nodes=%d mem=%d clock=%s sched=%s",
		len(k.CPUs), len(nodes), k.RAMBytes()/mib, clock, k.Scheduler.Name())
	if k.Clock != nil && k.Clock.Reference() != "" {
		fmt.Fprintf(&b, " clockref=%s", k.Clock.Reference())
	}
	fmt.Fprintf(&b, " memory=%s topology=%s console=%s loader=%s heap=%d",
		k.Memory.Name(), k.Topology.Name(), k.Console.Name(), k.Loader, k.Heap.Size/mib)
	lines := []string{b.String()}
	for _, n := range nodes {
		d := make([]string, len(nodes))
		for j := range nodes {
			d[j] = strconv.Itoa(k.Topology.Distance(n.ID, nodes[j].ID))
		}
		lines = append(lines, fmt.Sprintf("aero: node %d cpus=%s mem=%d dist=%s",
			n.ID, FormatCPUList(n.CPUs), n.MemoryBytes()/mib, strings.Join(d, ",")))
	}
	return lines
}

// FormatCPUList writes ascending CPU numbers as a list of ranges, the
// syntax QEMU and Linux use: "0-2,4". An empty list is "-".
func FormatCPUList(cpus []int) string {
	if len(cpus) == 0 {
		return "-"
	}
	var parts []string
	for i := 0; i < len(cpus); {
		j := i
		for j+1 < len(cpus) && cpus[j+1] == cpus[j]+1 {
			j++
		}
		if i == j {
			parts = append(parts, strconv.Itoa(cpus[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", cpus[i], cpus[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}
