package numa_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aerokernel/aero/numa"
	"github.com/aerokernel/aero/numa/numatest"
	"github.com/aerokernel/aero/qemu"
	"github.com/aerokernel/aero/qemu/qemutest"
)

// bootTimeout bounds one boot: TCG on a loaded 2-core host is slow (these
// boots take 2-5 s when idle).
const bootTimeout = 3 * time.Minute

// numaKTests are the in-kernel tests each boot runs: numa's own and core's
// that check the topology against the CPUs.
const numaKTests = "numa/cpus,numa/order,topology/consistent,cpus/identity,memory/alloc"

// The machines: the summary must show exactly QEMU's nodes
// (qemu.CheckSummary), and order is each node's expected fallback order,
// worked out by hand from the distances and checked against them below.
var bootCases = []struct {
	name  string
	opts  qemu.Options
	order [][]int
}{
	{
		// No node's order is the numeric one, and 0->1 (40) differs
		// from 1->0 (45): QEMU takes the asymmetric table as all 12
		// directions are given.
		name: "q35-smp4-numa4-dist",
		opts: qemu.Options{CPUs: 4, Memory: "2G",
			Numa:      []qemu.Node{{CPUs: "0", Mem: "512M"}, {CPUs: "1", Mem: "512M"}, {CPUs: "2", Mem: "512M"}, {CPUs: "3", Mem: "512M"}},
			Distances: distances([][]int{{10, 40, 20, 30}, {45, 10, 25, 15}, {20, 25, 10, 35}, {30, 15, 35, 10}})},
		order: [][]int{{0, 2, 3, 1}, {1, 3, 2, 0}, {2, 0, 1, 3}, {3, 1, 0, 2}},
	},
	{
		// Node 1 has CPUs and no memory, node 2 memory and no CPUs.
		name: "q35-smp4-numa3-memoryless-cpuless",
		opts: qemu.Options{CPUs: 4,
			Numa:      []qemu.Node{{CPUs: "0-1", Mem: "1G"}, {CPUs: "2-3", Mem: qemu.NoMemory}, {Mem: "512M"}},
			Distances: []qemu.Distance{{Src: 0, Dst: 1, Val: 30}, {Src: 0, Dst: 2, Val: 20}, {Src: 1, Dst: 2, Val: 25}}},
		order: [][]int{{0, 2, 1}, {1, 2, 0}, {2, 0, 1}},
	},
}

// distances gives QEMU every off-diagonal entry of m.
func distances(m [][]int) []qemu.Distance {
	var d []qemu.Distance
	for i := range m {
		for j := range m[i] {
			if i != j {
				d = append(d, qemu.Distance{Src: i, Dst: j, Val: m[i][j]})
			}
		}
	}
	return d
}

// TestBoot boots configs/ktest (which links numa and numatest) on each
// machine: one boot per machine runs all of numaKTests, with each node's
// expected order on the command line for numa/order.
func TestBoot(t *testing.T) {
	qemutest.NeedQEMU(t)
	elf := qemutest.BuildConfig(t, "configs/ktest")
	for _, c := range bootCases {
		t.Run(c.name, func(t *testing.T) {
			l, err := c.opts.Layout()
			if err != nil {
				t.Fatal(err)
			}
			args := []string{"test=" + numaKTests}
			for n, order := range c.order {
				if err := checkOrder(l.Nodes[n].Dist, n, order); err != nil {
					t.Fatalf("the test's order for node %d: %v", n, err)
				}
				args = append(args, numatest.OrderOption+"="+joinInts(order))
			}
			o := c.opts
			o.Kernel, o.Append = elf, strings.Join(args, " ")
			vm := qemutest.Boot(t, o).FailOnPanic()
			if s := vm.CheckSummary(bootTimeout, 1); s.Boot.Topology != numa.Name {
				t.Errorf("boot line: topology=%s, want %s", s.Boot.Topology, numa.Name)
			}
			run := qemutest.RunKTests(t, vm, bootTimeout)
			// Every one ran and passed: none may skip (numa/order would
			// without its command line).
			for _, name := range strings.Split(numaKTests, ",") {
				i := slices.IndexFunc(run.Tests, func(k *qemutest.KTest) bool { return k.Name == name })
				if i < 0 || run.Tests[i].Verdict != "PASS" {
					t.Errorf("in-kernel test %s did not run and pass", name)
				}
			}
		})
	}
}

// joinInts writes a list as the command line takes it: "0,2,3,1".
func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ",")
}

// checkOrder says whether order is a fallback order for node n by the
// distances dist (node n's row of QEMU's table): n first, then every other
// node once, distances never decreasing, equal ones by node number.
func checkOrder(dist []int, n int, order []int) error {
	if len(order) != len(dist) || order[0] != n {
		return fmt.Errorf("%v: want all %d nodes, %d first", order, len(dist), n)
	}
	seen := make([]bool, len(dist))
	for _, m := range order {
		if m < 0 || m >= len(dist) || seen[m] {
			return fmt.Errorf("%v is not a permutation of the nodes", order)
		}
		seen[m] = true
	}
	for i := 2; i < len(order); i++ {
		a, b := order[i-1], order[i]
		if dist[a] > dist[b] || dist[a] == dist[b] && a > b {
			return fmt.Errorf("%v: node %d (distance %d) before node %d (distance %d)", order, a, dist[a], b, dist[b])
		}
	}
	return nil
}
