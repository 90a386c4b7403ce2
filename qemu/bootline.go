package qemu

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/aerokernel/aero/core/report"
)

// The kernel's boot summary is package report's: these names keep the qemu
// package's view of it, parsed by report.ParseSummary.
type (
	Summary  = report.Summary
	Boot     = report.Boot
	NodeInfo = report.Node
)

// CheckSummary compares what the kernel reported with the machine opts
// gives it (opts.Layout) and returns every mismatch; nil means none.
//
//   - cpus= and nodes= must be exact. Without NUMA the guest has one node
//     holding every CPU and all memory.
//   - Each node's CPU list must be exact (CPU numbers are the kernel's
//     logical CPUs, 0..N-1, in QEMU's order, whatever the APIC IDs).
//   - Memory, of the boot line and of each node, may be short of what QEMU
//     gave by at most memTolerance percent (firmware holes and reserved
//     ranges), never above it.
//   - Each node's dist= must equal QEMU's table row (10 local and 20
//     remote by default; given distances, mirrored one-way ones); a node
//     line without dist= is not checked for distances.
func CheckSummary(opts Options, s Summary, memTolerance float64) []error {
	l, err := opts.Layout()
	if err != nil {
		return []error{err}
	}
	want := l.Nodes
	if want == nil {
		all := make([]int, l.CPUs)
		for i := range all {
			all[i] = i
		}
		want = []NodeLayout{{CPUs: all, MemMiB: l.MemMiB, Dist: []int{10}}}
	}
	var errs []error
	mismatch := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}
	memTolerance = math.Abs(memTolerance)
	memOK := func(got, want int) bool {
		return got <= want && float64(got) >= float64(want)*(1-memTolerance/100)-1e-9
	}
	tol := fmt.Sprintf("%g%%", memTolerance)
	if s.Boot.CPUs != l.CPUs {
		mismatch("boot line: cpus=%d, QEMU has %d", s.Boot.CPUs, l.CPUs)
	}
	if s.Boot.Nodes != len(want) {
		mismatch("boot line: nodes=%d, QEMU has %d", s.Boot.Nodes, len(want))
	}
	if !memOK(s.Boot.MemMiB, l.MemMiB) {
		mismatch("boot line: mem=%d MiB, QEMU gave %d (want at most that and at most %s less)", s.Boot.MemMiB, l.MemMiB, tol)
	}
	for id, w := range want {
		n, ok := s.Node(id)
		if !ok {
			mismatch("node %d: no node line", id)
			continue
		}
		if got, exp := report.FormatCPUList(n.CPUs), report.FormatCPUList(w.CPUs); got != exp {
			mismatch("node %d: cpus=%s, QEMU gave %s", id, orDash(got), orDash(exp))
		}
		if !memOK(n.MemMiB, w.MemMiB) {
			mismatch("node %d: mem=%d MiB, QEMU gave %d (want at most that and at most %s less)", id, n.MemMiB, w.MemMiB, tol)
		}
		if n.Dist != nil && !slices.Equal(n.Dist, w.Dist) {
			mismatch("node %d: dist=%s, QEMU's table says %s", id, joinInts(n.Dist), joinInts(w.Dist))
		}
	}
	for _, n := range s.Nodes {
		if n.ID < 0 || n.ID >= len(want) {
			mismatch("node %d: QEMU has no such node (nodes 0-%d)", n.ID, len(want)-1)
		}
	}
	return errs
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ",")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
