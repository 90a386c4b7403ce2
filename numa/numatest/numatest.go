//go:build tamago && amd64

package numatest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/ktest"
	"github.com/aerokernel/aero/core/platform"
	"github.com/aerokernel/aero/numa"
)

func init() {
	ktest.Register("numa/cpus", testCPUs)
	ktest.Register("numa/order", testOrder)
}

// topology returns the running numa topology, failing t when the kernel
// chose another.
func topology(t *ktest.T) *numa.Topology {
	topo := numa.Running()
	if topo == nil {
		t.Fatalf("the kernel's topology is %q, not numa's", core.Running().Topology.Name())
	}
	return topo
}

// testCPUs checks, on every CPU at once, that the node Current gives code
// running there is the one the SRAT gives its APIC ID (node 0 without an
// SRAT), and the one Kernel.CPUs and the node's CPU list say.
func testCPUs(t *ktest.T) {
	k := core.Running()
	topo := topology(t)
	type seen struct {
		id, again   uint64
		index, node int
	}
	var got []seen
	// OnEveryCPU runs the round again when a goroutine moved while f
	// ran; again, read after the node, shows a move inside f.
	got = make([]seen, len(k.CPUs))
	_, err := core.OnEveryCPU(func(i int) {
		id := platform.ProcessorID()
		got[i] = seen{id, 0, platform.CPUIndex(), topo.Current()}
		got[i].again = platform.ProcessorID()
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range got {
		if s.again != s.id {
			t.Fatalf("a goroutine moved from APIC ID %d to %d while it read its node", s.id, s.again)
		}
	}
	nodes := topo.Nodes()
	byIndex := make([]int, len(k.CPUs))
	for i := range byIndex {
		byIndex[i] = -1
	}
	for _, s := range got {
		want := 0
		if k.ACPI != nil && k.ACPI.SRAT != nil {
			srat := k.ACPI.SRAT
			d, ok := srat.DomainOfAPIC(uint32(s.id))
			if !ok {
				t.Errorf("APIC ID %d has no SRAT affinity", s.id)
				continue
			}
			want = slices.IndexFunc(nodes, func(n core.Node) bool { return n.Domain == d })
		}
		if s.index < 0 || s.index >= len(k.CPUs) {
			t.Errorf("APIC ID %d has CPU index %d", s.id, s.index)
			continue
		}
		if byIndex[s.index] != -1 {
			t.Errorf("CPU %d sampled twice", s.index)
		}
		byIndex[s.index] = s.node
		if s.node != want || k.CPUs[s.index].Node != want || want < 0 || !slices.Contains(nodes[want].CPUs, s.index) {
			t.Errorf("CPU %d (APIC ID %d): Current says node %d, Kernel.CPUs %d; the SRAT's domain for the ID is node %d", s.index, s.id, s.node, k.CPUs[s.index].Node, want)
		}
	}
	t.Logf("nodes by CPU index, as each CPU sees its own: %v", byIndex)
}

// testOrder checks every node's fallback order (Nearest) against the one
// the host derived from the distances it gave QEMU (numatest.order=).
func testOrder(t *ktest.T) {
	k := core.Running()
	topo := topology(t)
	wants := k.Cmdline.Values(OrderOption)
	if len(wants) == 0 {
		t.Skipf("no %s= on the command line", OrderOption)
	}
	nodes := topo.Nodes()
	if len(wants) != len(nodes) {
		t.Fatalf("%d nodes, but the command line gives %d orders (%q)", len(nodes), len(wants), wants)
	}
	for n, w := range wants {
		want, err := parseOrder(w)
		if err != nil {
			t.Fatalf("%s=%s: %v", OrderOption, w, err)
		}
		got := topo.Nearest(n)
		var dist []string
		for _, m := range got {
			dist = append(dist, strconv.Itoa(topo.Distance(n, m)))
		}
		if !slices.Equal(got, want) {
			t.Errorf("node %d: Nearest %v (distances %s), want %v", n, got, strings.Join(dist, ","), want)
			continue
		}
		t.Logf("node %d: %v at distances %s", n, got, strings.Join(dist, ","))
	}
}

func parseOrder(s string) ([]int, error) {
	var order []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("bad node %q", f)
		}
		order = append(order, n)
	}
	return order, nil
}
