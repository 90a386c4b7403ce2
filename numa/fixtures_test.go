package numa_test

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/acpi"
	"github.com/aerokernel/aero/core/acpi/acpitest"
	"github.com/aerokernel/aero/core/report"
	"github.com/aerokernel/aero/numa"
)

// loadMachine builds the Kernel fields Discover reads from one of
// core/acpi's QEMU fixtures: the tables (through acpi.Discover), the RAM
// the Linux guest saw and one CPU per enabled MADT processor.
func loadMachine(t *testing.T, name string) *core.Kernel {
	t.Helper()
	f := acpitest.LoadFixture(t, filepath.Join("..", "core", "acpi", "testdata", name))
	tables, err := acpi.Discover(f.Memory(), f.RSDP)
	if err != nil {
		t.Fatal(err)
	}
	k := &core.Kernel{ACPI: tables, RAM: f.RAM(t)}
	for i, p := range tables.MADT.EnabledProcessors() {
		k.CPUs = append(k.CPUs, core.CPU{Index: i, APICID: p.APICID})
	}
	return k
}

type wantNode struct {
	cpus string // report's CPU list ("-" for none)
	mib  uint64
	dist string
}

// checkTopology runs the module's Init on k and compares its nodes with
// want; it returns the topology.
func checkTopology(t *testing.T, k *core.Kernel, want []wantNode) *numa.Topology {
	t.Helper()
	topo := &numa.Topology{}
	if err := topo.Init(k); err != nil {
		t.Fatal(err)
	}
	nodes := topo.Nodes()
	if len(nodes) != len(want) {
		t.Fatalf("%d nodes, want %d: %+v", len(nodes), len(want), nodes)
	}
	for i, n := range nodes {
		w := want[i]
		if n.ID != i {
			t.Errorf("node %d has ID %d", i, n.ID)
		}
		if got := report.FormatCPUList(n.CPUs); got != strings.TrimPrefix(w.cpus, "-") {
			t.Errorf("node %d cpus %q, want %q", i, got, w.cpus)
		}
		// Within 1% of what QEMU was given (firmware reserves a little).
		got := n.MemoryBytes() >> 20
		if got > w.mib || got*100 < w.mib*99 {
			t.Errorf("node %d has %d MiB, want %d within 1%%", i, got, w.mib)
		}
		var d []string
		for j := range nodes {
			d = append(d, strconv.Itoa(topo.Distance(i, j)))
		}
		if got := strings.Join(d, ","); got != w.dist {
			t.Errorf("node %d distances %s, want %s", i, got, w.dist)
		}
		for _, c := range n.CPUs {
			if topo.NodeOf(c) != i {
				t.Errorf("CPU %d: NodeOf %d, want %d", c, topo.NodeOf(c), i)
			}
		}
		for _, r := range n.Memory {
			if !inside(r, k.RAM) {
				t.Errorf("node %d memory %v is not inside RAM %v", i, r, k.RAM)
			}
		}
	}
	return topo
}

// inside reports whether r lies within one range of ram.
func inside(r core.Range, ram []core.Range) bool {
	for _, m := range ram {
		if r.Base >= m.Base && r.End() <= m.End() {
			return true
		}
	}
	return false
}

func TestFixtures(t *testing.T) {
	t.Run("q35-numa3", func(t *testing.T) {
		// cpus 0-2 / 3 / 4-5, memory 2G/1G/1G, distances 0-1:20 0-2:30 1-2:25
		k := loadMachine(t, "q35-numa3")
		topo := checkTopology(t, k, []wantNode{
			{"0-2", 2048, "10,20,30"},
			{"3", 1024, "20,10,25"},
			{"4-5", 1024, "30,25,10"},
		})
		if len(k.Warnings) != 0 || len(topo.HotPlug()) != 0 {
			t.Errorf("warnings %q, hot-plug %v", k.Warnings, topo.HotPlug())
		}
		for node, want := range [][]int{{0, 1, 2}, {1, 0, 2}, {2, 1, 0}} {
			if got := topo.Nearest(node); !slices.Equal(got, want) {
				t.Errorf("Nearest(%d) = %v, want %v", node, got, want)
			}
		}
	})
	t.Run("q35-numa2-no-slit", func(t *testing.T) {
		k := loadMachine(t, "q35-numa2")
		checkTopology(t, k, []wantNode{
			{"0-1", 1024, "10,20"},
			{"2-3", 1024, "20,10"},
		})
		if !slices.Equal(k.Warnings, []string{"no SLIT: assuming distance 10 local, 20 remote"}) {
			t.Errorf("warnings %q, want the one for no SLIT", k.Warnings)
		}
	})
	t.Run("q35-smp4-no-srat", func(t *testing.T) {
		k := loadMachine(t, "q35-smp4")
		if k.ACPI.SRAT != nil {
			t.Fatal("fixture unexpectedly has an SRAT")
		}
		checkTopology(t, k, []wantNode{{"0-3", 2048, "10"}})
		if len(k.Warnings) != 0 {
			t.Errorf("warnings %q", k.Warnings)
		}
	})
	t.Run("pc-smp2-no-srat", func(t *testing.T) {
		checkTopology(t, loadMachine(t, "pc-smp2"), []wantNode{{"0-1", 1024, "10"}})
	})
	t.Run("q35-hotplug", func(t *testing.T) {
		// -smp 2,maxcpus=4 -m 2G,slots=2,maxmem=4G, nodes cpus 0-1 / 2-3:
		// CPUs 2-3 are not present, so node 1 has memory and no CPU;
		// its hot-pluggable 4-8 GiB is not in the memory map.
		k := loadMachine(t, "q35-hotplug")
		topo := checkTopology(t, k, []wantNode{
			{"0-1", 1024, "10,20"},
			{"-", 1024, "20,10"},
		})
		want := []numa.HotPlug{{Range: core.Range{Base: 4 << 30, Size: 4 << 30}, Domain: 1, Node: 1}}
		if got := topo.HotPlug(); !slices.Equal(got, want) {
			t.Errorf("hot-plug %+v, want %+v", got, want)
		}
	})
}
