package numa

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/acpi"
)

// RemoteDistance is the distance Discover assumes between two nodes when
// the firmware gives none (no SLIT, or one that fails acpi.SLIT.Check):
// twice the local distance, as QEMU's -numa assumes too.
const RemoteDistance = 2 * acpi.LocalDistance

// defaultDistances is what the warnings say Discover fell back to.
var defaultDistances = fmt.Sprintf("distance %d local, %d remote", acpi.LocalDistance, RemoteDistance)

// Discover builds the topology of the machine k describes: its ACPI
// tables (k.ACPI), usable RAM (k.RAM) and the CPUs that are up (k.CPUs).
// It never fails; what it could not use is in Warnings.
//
// Nodes come from the SRAT's enabled affinity structures (disabled ones are
// ignored, as ACPI 6.5 §5.2.16 says): a proximity domain is a node when a CPU
// that is up belongs to it (Processor Local APIC and x2APIC Affinity, by APIC
// ID) or usable RAM does (Memory Affinity ranges clipped to k.RAM). Domains
// are renumbered 0.. in ascending order; Node.Domain keeps the firmware's
// number. So a node may have CPUs and no memory, or memory and no CPUs.
// Hot-pluggable ranges, as far as they lie outside k.RAM, are not node
// memory: HotPlug lists them. RAM that no range covers goes to node 0, a CPU
// the SRAT does not name to the lowest domain with memory, and RAM claimed
// by two domains to the first; each with a warning. Without an SRAT, or with
// one that puts no memory inside RAM (warned), there is one node holding
// every CPU and all RAM.
//
// Distances are the SLIT's. Without one (warned when there are two or
// more nodes), or when it fails acpi.SLIT.Check or does not cover every
// node's domain (warned, naming what is wrong), they are LocalDistance to
// the node itself and RemoteDistance to every other.
func Discover(k *core.Kernel) *Topology {
	t := &Topology{}
	var srat *acpi.SRAT
	var slit *acpi.SLIT
	if k.ACPI != nil {
		srat, slit = k.ACPI.SRAT, k.ACPI.SLIT
	}
	if srat == nil || !t.fromSRAT(srat, k.RAM, k.CPUs) {
		t.single(k.RAM, len(k.CPUs))
	}
	t.distances(slit)
	for i := range t.nodes {
		t.nearest = append(t.nearest, core.NearestNodes(t, i))
	}
	return t
}

func (t *Topology) warn(format string, args ...any) {
	t.warnings = append(t.warnings, fmt.Sprintf(format, args...))
}

// single makes the one node of a machine without usable affinity.
func (t *Topology) single(ram []core.Range, cpus int) {
	n := core.Node{ID: 0, Memory: slices.Clone(ram)}
	t.cpuNode = make([]int, cpus)
	for i := range cpus {
		n.CPUs = append(n.CPUs, i)
	}
	t.nodes = []core.Node{n}
	for i := range t.hotPlug {
		t.hotPlug[i].Node = 0
	}
}

// fromSRAT builds the nodes from the SRAT; false when it gives no memory
// inside RAM (and single should be used).
func (t *Topology) fromSRAT(s *acpi.SRAT, ram []core.Range, cpus []core.CPU) bool {
	type piece struct {
		domain uint32
		r      core.Range
	}
	var mem []piece
	var taken []core.Range
	for _, ma := range s.Memory {
		if !ma.Enabled || ma.Size == 0 {
			continue
		}
		for _, r := range ram {
			lo, hi := max(r.Base, ma.Base), min(r.End(), ma.End())
			if lo >= hi {
				continue
			}
			in := core.Range{Base: lo, Size: hi - lo}
			free := uncovered(in, taken)
			if len(free) != 1 || free[0] != in {
				t.warn("SRAT: RAM in %v is in two memory affinity ranges; it stays with the first (domain %d's claim is ignored)", in, ma.Domain)
			}
			for _, f := range free {
				mem = append(mem, piece{ma.Domain, f})
				taken = append(taken, f)
			}
		}
		if ma.HotPluggable {
			for _, out := range uncovered(ma.Range, ram) {
				t.hotPlug = append(t.hotPlug, HotPlug{Range: out, Domain: ma.Domain, Node: -1})
			}
		}
	}
	if len(mem) == 0 {
		t.warn("SRAT gives no memory affinity inside usable RAM; assuming one node")
		return false
	}

	var domains []uint32
	add := func(d uint32) {
		if !slices.Contains(domains, d) {
			domains = append(domains, d)
		}
	}
	lowest := mem[0].domain
	for _, m := range mem {
		add(m.domain)
		lowest = min(lowest, m.domain)
	}
	cpuDomain := make([]uint32, len(cpus))
	for i, c := range cpus {
		d, ok := s.DomainOfAPIC(c.APICID)
		if !ok {
			d = lowest
			t.warn("SRAT has no affinity for CPU %d (APIC ID %d); placing it in domain %d", i, c.APICID, d)
		}
		cpuDomain[i] = d
		add(d)
	}
	slices.Sort(domains)
	index := func(d uint32) int { i, _ := slices.BinarySearch(domains, d); return i }
	for i, d := range domains {
		t.nodes = append(t.nodes, core.Node{ID: i, Domain: d})
	}
	t.cpuNode = make([]int, len(cpus))
	for i, d := range cpuDomain {
		n := index(d)
		t.cpuNode[i] = n
		t.nodes[n].CPUs = append(t.nodes[n].CPUs, i)
	}
	for _, m := range mem {
		n := &t.nodes[index(m.domain)]
		n.Memory = append(n.Memory, m.r)
	}
	// RAM no affinity range covers still exists: count it on node 0
	// rather than lose it.
	for _, r := range ram {
		if gaps := uncovered(r, taken); len(gaps) > 0 {
			t.warn("RAM %#x-%#x is not fully covered by the SRAT; counting the rest on node 0", r.Base, r.End())
			t.nodes[0].Memory = append(t.nodes[0].Memory, gaps...)
		}
	}
	for i := range t.nodes {
		slices.SortFunc(t.nodes[i].Memory, func(a, b core.Range) int { return cmp.Compare(a.Base, b.Base) })
	}
	for i, h := range t.hotPlug {
		if n := index(h.Domain); n < len(domains) && domains[n] == h.Domain {
			t.hotPlug[i].Node = n
		}
	}
	return true
}

// distances fills t.dist from slit, or with the defaults.
func (t *Topology) distances(slit *acpi.SLIT) {
	n := len(t.nodes)
	t.dist = make([][]int, n)
	for i := range t.dist {
		t.dist[i] = make([]int, n)
		for j := range t.dist[i] {
			t.dist[i][j] = RemoteDistance
		}
		t.dist[i][i] = acpi.LocalDistance
	}
	if slit == nil {
		if n > 1 {
			t.warn("no SLIT: assuming %s", defaultDistances)
		}
		return
	}
	if err := slit.Check(); err != nil {
		t.warn("%v; assuming %s", err, defaultDistances)
		return
	}
	for _, nd := range t.nodes {
		if uint64(nd.Domain) >= uint64(slit.Localities) {
			t.warn("acpi: SLIT: %d localities, but node %d is proximity domain %d; assuming %s", slit.Localities, nd.ID, nd.Domain, defaultDistances)
			return
		}
	}
	for i, a := range t.nodes {
		for j, b := range t.nodes {
			t.dist[i][j] = int(slit.Distance(int(a.Domain), int(b.Domain)))
		}
	}
}

// uncovered returns the parts of r that no range of pieces covers, in
// ascending order.
func uncovered(r core.Range, pieces []core.Range) []core.Range {
	var in []core.Range
	for _, p := range pieces {
		if lo, hi := max(r.Base, p.Base), min(r.End(), p.End()); lo < hi {
			in = append(in, core.Range{Base: lo, Size: hi - lo})
		}
	}
	slices.SortFunc(in, func(a, b core.Range) int { return cmp.Compare(a.Base, b.Base) })
	var gaps []core.Range
	at := r.Base
	for _, p := range in {
		if p.Base > at {
			gaps = append(gaps, core.Range{Base: at, Size: p.Base - at})
		}
		at = max(at, p.End())
	}
	if at < r.End() {
		gaps = append(gaps, core.Range{Base: at, Size: r.End() - at})
	}
	return gaps
}
