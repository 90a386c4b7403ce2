package qemu_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aerokernel/aero/qemu"
	"github.com/aerokernel/aero/qemu/qemutest"
)

// mmOptions is the machine of mm's boot test (issue 9): q35, 4 CPUs, 8 GiB
// in two nodes of 4 GiB, so node 1 lies wholly above 4 GiB.
func mmOptions(elf, cmdline string) qemu.Options {
	return qemu.Options{Kernel: elf, CPUs: 4, Memory: "8G", Nodes: 2, Append: cmdline}
}

// TestMM boots configs/mm (memory=mm and its in-kernel tests) once: the
// summary must name mm and give each node's free memory, and mm's tests
// (placement on node 1, node 1 exhausted page by page, fallback and the
// strict failure, statistics restored, wrong frees) must pass.
func TestMM(t *testing.T) {
	qemutest.NeedQEMU(t)
	elf := qemutest.BuildConfig(t, "configs/mm")
	vm := qemutest.Boot(t, mmOptions(elf, "test=all")).FailOnPanic()
	s := vm.CheckSummary(bootTimeout, 1)
	if s.Boot.Memory != "mm" {
		t.Errorf("boot line: memory=%s, want mm", s.Boot.Memory)
	}
	for _, n := range s.Nodes {
		// Node 1 (6-10 GiB physical) must have memory for mm's tests;
		// node 0's RAM below 4 GiB is mostly the Go heap's.
		if !n.HasFree || n.FreeMiB > n.MemMiB || n.ID == 1 && n.FreeMiB == 0 {
			t.Errorf("node %d: free=%d (given: %v) of mem=%d; want free= on every node, some of node 1 free", n.ID, n.FreeMiB, n.HasFree, n.MemMiB)
		}
		t.Logf("node %d: mem=%d free=%d", n.ID, n.MemMiB, n.FreeMiB)
	}
	run := qemutest.RunKTests(t, vm, bootTimeout)
	want := map[string]string{"mm/placement": "PASS", "mm/exhaust": "PASS", "mm/badfree": "PASS", "mm/bench": "SKIP"}
	for _, k := range run.Tests {
		if w, ok := want[k.Name]; ok && k.Verdict == w {
			delete(want, k.Name)
		}
	}
	if len(want) > 0 {
		t.Errorf("in-kernel tests missing or with another verdict: %v", want)
	}
}

// MMBenchEnv, when set, makes TestMMBench boot configs/mm with
// test=mm/bench and log mm's figures beside the Go heap's. Unset, the test
// skips: a benchmark is not part of make test.
const MMBenchEnv = "AERO_MM_BENCH"

// TestMMBench prints ns per Alloc+Free of 4 KiB and 2 MiB from mm and per
// make([]byte, n) from the Go heap, on one CPU and on all four at once,
// in one kernel (AERO_MM_BENCH=1 go test -run TestMMBench -v ./qemu).
func TestMMBench(t *testing.T) {
	if os.Getenv(MMBenchEnv) == "" {
		t.Skip(MMBenchEnv + " unset: a benchmark, not a test")
	}
	qemutest.NeedQEMU(t)
	elf := qemutest.BuildConfig(t, "configs/mm")
	vm := qemutest.Boot(t, mmOptions(elf, "test=mm/bench")).FailOnPanic()
	run := qemutest.RunKTests(t, vm, 10*time.Minute)
	n := 0
	for _, k := range run.Tests {
		for _, l := range k.Log {
			if i := strings.Index(l, "mm-bench:"); i >= 0 {
				t.Log(l[i:])
				n++
			}
		}
	}
	if n != 4 {
		t.Errorf("%d figure lines, want 4", n)
	}
}
