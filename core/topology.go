package core

import (
	"cmp"
	"fmt"
	"slices"
)

// acpiTopology is the default Topology: from the ACPI SRAT and SLIT when
// present, one node otherwise.
type acpiTopology struct {
	nodes []Node
	dist  [][]int
}

func (t *acpiTopology) Name() string { return DefaultName }

func (t *acpiTopology) Init(k *Kernel) error {
	nodes, dist, warnings := buildTopology(k)
	t.nodes, t.dist = nodes, dist
	k.Warnings = append(k.Warnings, warnings...)
	for _, n := range nodes {
		for _, c := range n.CPUs {
			k.CPUs[c].Node = n.ID
		}
	}
	return nil
}

func (t *acpiTopology) Nodes() []Node { return t.nodes }

func (t *acpiTopology) NodeOf(cpu int) int {
	for _, n := range t.nodes {
		if slices.Contains(n.CPUs, cpu) {
			return n.ID
		}
	}
	return 0
}

func (t *acpiTopology) Distance(a, b int) int {
	if a < 0 || b < 0 || a >= len(t.dist) || b >= len(t.dist) {
		return 0
	}
	return t.dist[a][b]
}

// Default SLIT distances (ACPI 6.5 §5.2.17): 10 local; QEMU uses 20 for
// remote when it is not told otherwise.
const (
	localDistance  = 10
	remoteDistance = 20
)

// buildTopology derives nodes from k.ACPI's SRAT (domains of the CPUs that
// are up, memory affinity ranges clipped to usable RAM) and distances from
// its SLIT. Domains are renumbered 0.. in ascending order. Without an SRAT
// (or one that names no memory) there is one node with every CPU and all
// RAM.
func buildTopology(k *Kernel) (nodes []Node, dist [][]int, warnings []string) {
	var srat = k.ACPI
	single := func() ([]Node, [][]int, []string) {
		n := Node{ID: 0, Memory: slices.Clone(k.RAM)}
		for i := range k.CPUs {
			n.CPUs = append(n.CPUs, i)
		}
		return []Node{n}, [][]int{{localDistance}}, warnings
	}
	if srat == nil || srat.SRAT == nil {
		return single()
	}
	s := srat.SRAT

	// Domains that own usable memory or a running CPU.
	index := map[uint32]int{}
	var domains []uint32
	add := func(d uint32) {
		if _, ok := index[d]; !ok {
			index[d] = -1
			domains = append(domains, d)
		}
	}
	type clipped struct {
		domain uint32
		r      Range
	}
	var mem []clipped
	for _, ma := range s.Memory {
		if !ma.Enabled {
			continue
		}
		for _, r := range k.RAM {
			lo, hi := max(r.Base, ma.Base), min(r.End(), ma.End())
			if lo < hi {
				mem = append(mem, clipped{ma.Domain, Range{Base: lo, Size: hi - lo}})
				add(ma.Domain)
			}
		}
	}
	if len(mem) == 0 {
		warnings = append(warnings, "SRAT gives no memory affinity inside usable RAM; assuming one node")
		return single()
	}
	cpuDomain := make([]uint32, len(k.CPUs))
	for i, c := range k.CPUs {
		d, ok := s.DomainOfAPIC(c.APICID)
		if !ok {
			d = domains[0]
			warnings = append(warnings, fmt.Sprintf("SRAT has no affinity for CPU %d (APIC ID %d); placing it in domain %d", i, c.APICID, d))
		}
		cpuDomain[i] = d
		add(d)
	}
	slices.Sort(domains)
	for i, d := range domains {
		index[d] = i
		nodes = append(nodes, Node{ID: i, Domain: d})
	}
	for i, d := range cpuDomain {
		n := &nodes[index[d]]
		n.CPUs = append(n.CPUs, i)
	}
	for _, m := range mem {
		n := &nodes[index[m.domain]]
		n.Memory = append(n.Memory, m.r)
	}
	// RAM that no affinity range covers still exists: give it to the
	// first node rather than lose it.
	var pieces []Range
	for _, m := range mem {
		pieces = append(pieces, m.r)
	}
	for _, r := range k.RAM {
		if gaps := uncovered(r, pieces); len(gaps) > 0 {
			warnings = append(warnings, fmt.Sprintf("RAM %#x-%#x is not fully covered by the SRAT; counting the rest on node 0", r.Base, r.End()))
			nodes[0].Memory = append(nodes[0].Memory, gaps...)
		}
	}
	for i := range nodes {
		slices.SortFunc(nodes[i].Memory, func(a, b Range) int { return cmp.Compare(a.Base, b.Base) })
	}

	dist = make([][]int, len(nodes))
	for i := range nodes {
		dist[i] = make([]int, len(nodes))
		for j := range nodes {
			dist[i][j] = remoteDistance
			if i == j {
				dist[i][j] = localDistance
			}
			if sl := srat.SLIT; sl != nil && int(nodes[i].Domain) < sl.Localities && int(nodes[j].Domain) < sl.Localities {
				dist[i][j] = int(sl.Distance(int(nodes[i].Domain), int(nodes[j].Domain)))
			}
		}
	}
	if srat.SLIT == nil && len(nodes) > 1 {
		warnings = append(warnings, "no SLIT: assuming distance 10 local, 20 remote")
	}
	return nodes, dist, warnings
}

// uncovered returns the parts of r that no range of pieces covers, in
// ascending order.
func uncovered(r Range, pieces []Range) []Range {
	var in []Range
	for _, p := range pieces {
		if lo, hi := max(r.Base, p.Base), min(r.End(), p.End()); lo < hi {
			in = append(in, Range{Base: lo, Size: hi - lo})
		}
	}
	slices.SortFunc(in, func(a, b Range) int { return cmp.Compare(a.Base, b.Base) })
	var gaps []Range
	at := r.Base
	for _, p := range in {
		if p.Base > at {
			gaps = append(gaps, Range{Base: at, Size: p.Base - at})
		}
		at = max(at, p.End())
	}
	if at < r.End() {
		gaps = append(gaps, Range{Base: at, Size: r.End() - at})
	}
	return gaps
}
