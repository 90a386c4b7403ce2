package core

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aerokernel/aero/core/acpi"
	"github.com/aerokernel/aero/core/report"
)

// fixtureMemory places a core/acpi fixture's tables where QEMU's firmware
// had them.
type fixtureMemory map[uint64][]byte

func (m fixtureMemory) ReadAt(p []byte, addr uint64) (int, error) {
	for base, b := range m {
		if addr >= base && addr+uint64(len(p)) <= base+uint64(len(b)) {
			return copy(p, b[addr-base:]), nil
		}
	}
	return 0, os.ErrNotExist
}

// loadMachine builds the Kernel fields buildTopology reads from a fixture:
// the ACPI tables (through acpi.Discover), the RAM Linux saw
// (iomem.txt), and one CPU per enabled MADT processor.
func loadMachine(t *testing.T, name string) *Kernel {
	t.Helper()
	dir := filepath.Join("acpi", "testdata", name)
	mem := fixtureMemory{}
	var rsdp uint64
	f, err := os.Open(filepath.Join(dir, "memmap.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) != 4 || fs[0][0] == '#' {
			continue
		}
		addr, err := strconv.ParseUint(fs[2], 0, 64)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, fs[1]))
		if err != nil {
			t.Fatal(err)
		}
		mem[addr] = b
		if fs[0] == "RSDP" {
			rsdp = addr
		}
	}
	tables, err := acpi.Discover(mem, rsdp)
	if err != nil {
		t.Fatal(err)
	}
	k := &Kernel{ACPI: tables}
	io, err := os.ReadFile(filepath.Join(dir, "iomem.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(io), "\n") {
		if !strings.HasSuffix(line, ": System RAM") || strings.HasPrefix(line, " ") {
			continue
		}
		lo, hi, _ := strings.Cut(strings.Fields(line)[0], "-")
		a, _ := strconv.ParseUint(lo, 16, 64)
		b, _ := strconv.ParseUint(hi, 16, 64)
		k.RAM = append(k.RAM, Range{Base: a, Size: b + 1 - a})
	}
	for i, p := range tables.MADT.EnabledProcessors() {
		k.CPUs = append(k.CPUs, CPU{Index: i, APICID: p.APICID})
	}
	return k
}

type wantNode struct {
	cpus string
	mib  uint64
	dist string
}

func checkTopology(t *testing.T, k *Kernel, want []wantNode) {
	t.Helper()
	topo := &acpiTopology{}
	if err := topo.Init(k); err != nil {
		t.Fatal(err)
	}
	if err := k.adopt(KindTopology, topo); err != nil {
		t.Fatal(err)
	}
	nodes := topo.Nodes()
	if len(nodes) != len(want) {
		t.Fatalf("%d nodes, want %d: %+v", len(nodes), len(want), nodes)
	}
	for i, n := range nodes {
		w := want[i]
		if got := report.FormatCPUList(n.CPUs); got != w.cpus {
			t.Errorf("node %d cpus %s, want %s", i, got, w.cpus)
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
			if topo.NodeOf(c) != i || k.CPUs[c].Node != i {
				t.Errorf("CPU %d: NodeOf %d, Kernel.CPUs says %d, want %d", c, topo.NodeOf(c), k.CPUs[c].Node, i)
			}
		}
	}
}

func TestTopologyFixtures(t *testing.T) {
	t.Run("q35-numa3", func(t *testing.T) {
		// cpus 0-2 / 3 / 4-5, memory 2G/1G/1G, distances 0-1:20 0-2:30 1-2:25
		checkTopology(t, loadMachine(t, "q35-numa3"), []wantNode{
			{"0-2", 2048, "10,20,30"},
			{"3", 1024, "20,10,25"},
			{"4-5", 1024, "30,25,10"},
		})
	})
	t.Run("q35-numa2", func(t *testing.T) {
		checkTopology(t, loadMachine(t, "q35-numa2"), []wantNode{
			{"0-1", 1024, "10,20"},
			{"2-3", 1024, "20,10"},
		})
	})
	t.Run("q35-smp4-no-srat", func(t *testing.T) {
		k := loadMachine(t, "q35-smp4")
		if k.ACPI.SRAT != nil {
			t.Fatal("fixture unexpectedly has an SRAT")
		}
		checkTopology(t, k, []wantNode{{"0-3", 2048, "10"}})
	})
}

func TestTopologyCPUWithoutAffinity(t *testing.T) {
	k := loadMachine(t, "q35-numa2")
	k.CPUs = append(k.CPUs, CPU{Index: 4, APICID: 77})
	topo := &acpiTopology{}
	if err := topo.Init(k); err != nil {
		t.Fatal(err)
	}
	if topo.NodeOf(4) != 0 {
		t.Errorf("CPU without SRAT affinity is on node %d, want 0", topo.NodeOf(4))
	}
	if len(k.Warnings) == 0 || !strings.Contains(strings.Join(k.Warnings, "\n"), "APIC ID 77") {
		t.Errorf("no warning naming APIC ID 77: %q", k.Warnings)
	}
}

func TestUncovered(t *testing.T) {
	r := Range{Base: 0x1000, Size: 0x9000} // 0x1000-0xa000
	got := uncovered(r, []Range{{Base: 0x3000, Size: 0x1000}, {Base: 0x0, Size: 0x2000}, {Base: 0x3800, Size: 0x1000}, {Base: 0x8000, Size: 0x10000}})
	want := []Range{{Base: 0x2000, Size: 0x1000}, {Base: 0x4800, Size: 0x3800}}
	if !slices.Equal(got, want) {
		t.Errorf("uncovered = %v, want %v", got, want)
	}
	if got := uncovered(r, []Range{{Base: 0, Size: 0x10000}}); len(got) != 0 {
		t.Errorf("fully covered: %v", got)
	}
	if got := uncovered(r, nil); !slices.Equal(got, []Range{r}) {
		t.Errorf("no pieces: %v", got)
	}
}

func TestTopologyUncoveredRAMGoesToNode0(t *testing.T) {
	k := loadMachine(t, "q35-numa2")
	extra := Range{Base: 0x200000000, Size: 0x100000} // RAM no SRAT range covers
	k.RAM = append(k.RAM, extra)
	topo := &acpiTopology{}
	if err := topo.Init(k); err != nil {
		t.Fatal(err)
	}
	if n0 := topo.Nodes()[0]; !slices.Contains(n0.Memory, extra) {
		t.Errorf("node 0 memory %v lacks the uncovered range %v", n0.Memory, extra)
	}
	if !strings.Contains(strings.Join(k.Warnings, "\n"), "not fully covered") {
		t.Errorf("no warning: %q", k.Warnings)
	}
}
