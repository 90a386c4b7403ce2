package core

import (
	"slices"

	"github.com/aerokernel/aero/core/acpi"
)

// singleNode is the default Topology: one node holding every CPU and all
// RAM, whatever the firmware says. NUMA topology from the ACPI SRAT and SLIT
// is the numa module's (github.com/aerokernel/aero/numa).
type singleNode struct {
	nodes []Node // the one
}

func (t *singleNode) Name() string { return DefaultName }

func (t *singleNode) Init(k *Kernel) error {
	n := Node{ID: 0, Memory: slices.Clone(k.RAM)}
	for i := range k.CPUs {
		n.CPUs = append(n.CPUs, i)
	}
	t.nodes = []Node{n}
	return nil
}

func (t *singleNode) Nodes() []Node { return t.nodes }

// NodeOf is 0 for every CPU that is up, -1 for any other index.
func (t *singleNode) NodeOf(cpu int) int {
	if cpu < 0 || cpu >= len(t.nodes[0].CPUs) {
		return -1
	}
	return 0
}

// Distance is the local distance from node 0 to itself, 0 for nodes that
// do not exist.
func (t *singleNode) Distance(a, b int) int {
	if a != 0 || b != 0 {
		return 0
	}
	return acpi.LocalDistance
}
