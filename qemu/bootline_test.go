package qemu

import (
	"strings"
	"testing"

	"github.com/aerokernel/aero/core/report"
)

// summary parses a boot line and node lines or fails the test.
func summary(t *testing.T, lines ...string) Summary {
	t.Helper()
	s, err := report.ParseSummary(lines)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCheckSummary(t *testing.T) {
	three := Options{CPUs: 6,
		Numa:      []Node{{"0-2", "2G"}, {"3", "1G"}, {"4-5", "1G"}},
		Distances: []Distance{{0, 1, 20}, {0, 2, 30}, {2, 1, 25}}}
	tests := []struct {
		name string
		o    Options
		tol  float64
		s    Summary
		want []string // one substring per expected mismatch, in order
	}{
		{"no NUMA: one node with everything", Options{CPUs: 4, Memory: "1G"}, 1, summary(t,
			"aero: boot cpus=4 nodes=1 mem=1022 clock=tsc@2000 sched=default",
			"aero: node 0 cpus=0-3 mem=1022 dist=10"), nil},
		{"no NUMA, defaults (1 CPU, 2G)", Options{}, 1, summary(t,
			"aero: boot cpus=1 nodes=1 mem=2047 clock=tsc@2000 sched=default",
			"aero: node 0 cpus=0 mem=2047"), nil},
		{"preset 2 nodes: even split, default distances", Options{CPUs: 5, Memory: "2G", Nodes: 2}, 1, summary(t,
			"aero: boot cpus=5 nodes=2 mem=2040 clock=tsc@2000 sched=default",
			"aero: node 0 cpus=0-2 mem=1020 dist=10,20",
			"aero: node 1 cpus=3-4 mem=1020 dist=20,10"), nil},
		{"explicit nodes, mirrored distances", three, 1, summary(t,
			"aero: boot cpus=6 nodes=3 mem=4090 clock=tsc@2000 sched=default",
			"aero: node 0 cpus=0-2 mem=2046 dist=10,20,30",
			"aero: node 1 cpus=3 mem=1024 dist=20,10,25",
			"aero: node 2 cpus=4-5 mem=1020 dist=30,25,10"), nil},
		{"split CPU list and a memory-only node", Options{CPUs: 4, Numa: []Node{{"0,2", "1G"}, {"1,3", "1G"}, {"", "512M"}}}, 1, summary(t,
			"aero: boot cpus=4 nodes=3 mem=2560 clock=tsc@2000 sched=default",
			"aero: node 0 cpus=0,2 mem=1024 dist=10,20,20",
			"aero: node 1 cpus=1,3 mem=1024 dist=20,10,20",
			"aero: node 2 cpus=- mem=512 dist=20,20,10"), nil},
		{"every mismatch", three, 1, summary(t,
			"aero: boot cpus=5 nodes=3 mem=4097 clock=tsc@2000 sched=default",
			"aero: node 0 cpus=0-1 mem=2000 dist=10,20,30",
			"aero: node 2 cpus=2,4-5 mem=1024 dist=30,20,10",
			"aero: node 3 cpus=- mem=0"), []string{
			"boot line: cpus=5, QEMU has 6",
			"boot line: mem=4097 MiB, QEMU gave 4096 (want at most that and at most 1% less)",
			"node 0: cpus=0-1, QEMU gave 0-2",
			"node 0: mem=2000 MiB, QEMU gave 2048",
			"node 1: no node line",
			"node 2: cpus=2,4-5, QEMU gave 4-5",
			"node 2: dist=30,20,10, QEMU's table says 30,25,10",
			"node 3: QEMU has no such node (nodes 0-2)",
		}},
		{"node count", Options{CPUs: 4, Memory: "2G", Nodes: 2}, 1, summary(t,
			"aero: boot cpus=4 nodes=1 mem=2048 clock=tsc@2000 sched=default",
			"aero: node 0 cpus=0-3 mem=2048 dist=10"), []string{
			"boot line: nodes=1, QEMU has 2",
			"node 0: cpus=0-3, QEMU gave 0-1",
			"node 0: mem=2048 MiB, QEMU gave 1024",
			"node 0: dist=10, QEMU's table says 10,20",
			"node 1: no node line",
		}},
		{"tolerance is a percentage, exact at 0", Options{CPUs: 1, Memory: "1000M"}, 0, summary(t,
			"aero: boot cpus=1 nodes=1 mem=999 clock=tsc@2000 sched=default",
			"aero: node 0 cpus=0 mem=1000"), []string{
			"boot line: mem=999 MiB, QEMU gave 1000 (want at most that and at most 0% less)",
		}},
		{"tolerance 5% allows 950 of 1000", Options{CPUs: 1, Memory: "1000M"}, 5, summary(t,
			"aero: boot cpus=1 nodes=1 mem=950 clock=tsc@2000 sched=default",
			"aero: node 0 cpus=0 mem=949"), []string{
			"node 0: mem=949 MiB, QEMU gave 1000",
		}},
		{"options QEMU refuses", Options{CPUs: 2, Nodes: 3}, 1, Summary{}, []string{"3 NUMA nodes for 2 CPUs"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := CheckSummary(tc.o, tc.s, tc.tol)
			if len(errs) != len(tc.want) {
				t.Errorf("%d mismatches, want %d: %q", len(errs), len(tc.want), errs)
			}
			for i, err := range errs {
				if i < len(tc.want) && !strings.Contains(err.Error(), tc.want[i]) {
					t.Errorf("mismatch %d: %q, want %q", i, err, tc.want[i])
				}
			}
		})
	}
}
