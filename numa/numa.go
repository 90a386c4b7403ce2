package numa

import "github.com/aerokernel/aero/core"

// Name is the module's registry name: topology=numa on the command line,
// "topology numa" in a config.
const Name = "numa"

func init() {
	core.RegisterTopology(Name, func() core.Topology { return &Topology{} })
}

// Topology is the machine's NUMA layout, from the ACPI SRAT and SLIT (see
// Discover). Boot makes the one registered under Name the kernel's
// Topology; an HRT reaches it as core.Running().Topology, or through
// Running. It does not change after Init, and its methods are safe to call
// from any goroutine; the slices they return are shared and must not be
// modified.
type Topology struct {
	nodes    []core.Node
	dist     [][]int
	cpuNode  []int   // by CPU index
	nearest  [][]int // by node: core.NearestNodes, worked out once
	hotPlug  []HotPlug
	warnings []string
}

// HotPlug is a hot-pluggable range of the SRAT that lies outside the boot
// memory map: memory that may be added later, not usable at boot and so in
// no node's Memory.
type HotPlug struct {
	core.Range
	Domain uint32 // the firmware's proximity domain
	Node   int    // the node of that domain; -1 when the domain is no node
}

// Name returns Name.
func (t *Topology) Name() string { return Name }

// Init discovers the topology of k (Discover) and adds its warnings to
// k.Warnings.
func (t *Topology) Init(k *core.Kernel) error {
	*t = *Discover(k)
	k.Warnings = append(k.Warnings, t.warnings...)
	return nil
}

// Nodes returns the nodes, by ID (Nodes()[i].ID == i).
func (t *Topology) Nodes() []core.Node { return t.nodes }

// NodeOf returns the node of the CPU with index cpu (core.CPU.Index), or
// -1 when no such CPU is up.
func (t *Topology) NodeOf(cpu int) int {
	if cpu < 0 || cpu >= len(t.cpuNode) {
		return -1
	}
	return t.cpuNode[cpu]
}

// Distance returns the distance from node a to node b in SLIT units
// (acpi.LocalDistance, 10, is a node to itself; acpi.Unreachable, 255,
// cannot be reached), or 0 when either node does not exist. It need not be
// symmetric: it is the SLIT's row a, column b.
func (t *Topology) Distance(a, b int) int {
	if a < 0 || b < 0 || a >= len(t.dist) || b >= len(t.dist) {
		return 0
	}
	return t.dist[a][b]
}

// Nearest returns every node in the order memory for node is best taken
// from: node itself, then the others by Distance(node, n), nearest first,
// ties by node number (core.NearestNodes). nil when node does not exist.
// The order is worked out once, by Discover: Nearest does not allocate.
func (t *Topology) Nearest(node int) []int {
	if node < 0 || node >= len(t.nearest) {
		return nil
	}
	return t.nearest[node]
}

// HotPlug returns the hot-pluggable ranges outside the memory map, in
// the SRAT's order.
func (t *Topology) HotPlug() []HotPlug { return t.hotPlug }

// Warnings returns what Discover could not use, as Init adds it to
// Kernel.Warnings.
func (t *Topology) Warnings() []string { return t.warnings }
