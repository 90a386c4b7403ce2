package qemu

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// The kernel's boot summary (see core's package documentation) is one boot
// line followed by one line per NUMA node:
//
//	aero: boot cpus=<N> nodes=<M> mem=<MiB> clock=<source>@<MHz> sched=<name> ...
//	aero: node <id> cpus=<list> mem=<MiB> dist=<d0,d1,...>
//
// Fields may be added or inserted; the parsers keep every key=value pair.

// BootPrefix and NodePrefix start the summary lines.
const (
	BootPrefix = "aero: boot "
	NodePrefix = "aero: node "
)

// IsBootLine reports whether line is meant as a boot line: it starts with
// BootPrefix (or is just "aero: boot"), leading white space aside. It may
// still be malformed (ParseBootLine says).
func IsBootLine(line string) bool {
	l := strings.TrimSpace(line)
	return strings.HasPrefix(l, BootPrefix) || l == strings.TrimSpace(BootPrefix)
}

// IsNodeLine reports whether line is meant as a node line: it starts with
// NodePrefix (or is just "aero: node"), leading white space aside.
func IsNodeLine(line string) bool {
	l := strings.TrimSpace(line)
	return strings.HasPrefix(l, NodePrefix) || l == strings.TrimSpace(NodePrefix)
}

// Boot is a parsed "aero: boot" line.
type Boot struct {
	CPUs     int    // cpus=
	Nodes    int    // nodes=
	MemMiB   int    // mem=
	Clock    string // clock= source, before the @ ("tsc")
	ClockMHz int    // clock= frequency in MHz, after the @
	Sched    string // sched=
	// Fields holds every key=value pair of the line, the ones above too;
	// Keys lists the keys in the line's order.
	Fields map[string]string
	Keys   []string
}

// NodeInfo is a parsed "aero: node" line.
type NodeInfo struct {
	ID     int
	CPUs   []int // sorted; empty for a node without CPUs (cpus=-)
	MemMiB int   // mem=
	// Dist is the distance to each node 0..M-1; nil when the line has no
	// dist= field.
	Dist []int
	// Fields holds every key=value pair of the line; Keys lists the keys
	// in the line's order.
	Fields map[string]string
	Keys   []string
}

// Summary is a boot line and its node lines, nodes in ID order.
type Summary struct {
	Boot  Boot
	Nodes []NodeInfo
}

// Node returns the node with the given ID.
func (s Summary) Node(id int) (NodeInfo, bool) {
	for _, n := range s.Nodes {
		if n.ID == id {
			return n, true
		}
	}
	return NodeInfo{}, false
}

// ParseBootLine parses an "aero: boot" line. Every field after the prefix
// must be key=value with a unique key; cpus, nodes, mem, clock and sched
// must be there (cpus and nodes at least 1, clock as source@MHz).
func ParseBootLine(line string) (Boot, error) {
	bad := func(format string, args ...any) (Boot, error) {
		return Boot{}, fmt.Errorf("bad boot line %q: %s", line, fmt.Sprintf(format, args...))
	}
	if !IsBootLine(line) {
		return bad("does not start with %q", BootPrefix)
	}
	rest := strings.TrimPrefix(strings.TrimSpace(line), strings.TrimSpace(BootPrefix))
	fields, keys, err := parseFields(strings.Fields(rest))
	if err != nil {
		return bad("%v", err)
	}
	b := Boot{Fields: fields, Keys: keys}
	for _, f := range []struct {
		key string
		dst *int
		min int
	}{{"cpus", &b.CPUs, 1}, {"nodes", &b.Nodes, 1}, {"mem", &b.MemMiB, 0}} {
		if *f.dst, err = countField(fields, f.key, f.min); err != nil {
			return bad("%v", err)
		}
	}
	clock, ok := fields["clock"]
	if !ok {
		return bad("no clock= field")
	}
	src, mhz, ok := strings.Cut(clock, "@")
	if !ok || src == "" {
		return bad("clock=%s: want source@MHz, e.g. tsc@2400", clock)
	}
	if b.ClockMHz, ok = parseCount(mhz); !ok {
		return bad("clock=%s: MHz %q is not a number", clock, mhz)
	}
	b.Clock = src
	if b.Sched, ok = fields["sched"]; !ok || b.Sched == "" {
		return bad("no sched= field")
	}
	return b, nil
}

// ParseNodeLine parses an "aero: node <id>" line. After the ID every field
// must be key=value with a unique key; cpus (a CPU list, or - for none)
// and mem must be there; dist, when there, is a comma list of distances.
func ParseNodeLine(line string) (NodeInfo, error) {
	bad := func(format string, args ...any) (NodeInfo, error) {
		return NodeInfo{}, fmt.Errorf("bad node line %q: %s", line, fmt.Sprintf(format, args...))
	}
	if !IsNodeLine(line) {
		return bad("does not start with %q", NodePrefix)
	}
	words := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), strings.TrimSpace(NodePrefix)))
	ok := false
	if len(words) == 0 {
		return bad("no node ID")
	}
	var n NodeInfo
	if n.ID, ok = parseCount(words[0]); !ok {
		return bad("node ID %q is not a number", words[0])
	}
	fields, keys, err := parseFields(words[1:])
	if err != nil {
		return bad("%v", err)
	}
	n.Fields, n.Keys = fields, keys
	cpus, ok := fields["cpus"]
	switch {
	case !ok:
		return bad("no cpus= field")
	case cpus == "":
		return bad("cpus= is empty (a node without CPUs says cpus=-)")
	case cpus != "-":
		if n.CPUs, err = ParseCPUList(cpus); err != nil || len(n.CPUs) == 0 {
			return bad("cpus=%s: %v", cpus, err)
		}
	}
	if n.MemMiB, err = countField(fields, "mem", 0); err != nil {
		return bad("%v", err)
	}
	if d, ok := fields["dist"]; ok {
		if d == "" {
			return bad("dist= is empty")
		}
		for _, s := range strings.Split(d, ",") {
			v, ok := parseCount(s)
			if !ok {
				return bad("dist=%s: %q is not a distance", d, s)
			}
			n.Dist = append(n.Dist, v)
		}
	}
	return n, nil
}

// ParseSummary finds the first "aero: boot" line among lines and the
// "aero: node" lines after it, and parses them. It is an error when there is
// no boot line, when a node ID is given twice, when the node lines are not
// as many as nodes= says, or when a node's dist= does not have one entry per
// node. Other lines are ignored.
func ParseSummary(lines []string) (Summary, error) {
	var s Summary
	i := slices.IndexFunc(lines, IsBootLine)
	if i < 0 {
		return s, errors.New("no boot summary: no line starts with " + fmt.Sprintf("%q", BootPrefix))
	}
	var err error
	if s.Boot, err = ParseBootLine(lines[i]); err != nil {
		return s, err
	}
	seen := make(map[int]bool)
	for _, l := range lines[i+1:] {
		if !IsNodeLine(l) {
			continue
		}
		n, err := ParseNodeLine(l)
		if err != nil {
			return s, err
		}
		if seen[n.ID] {
			return s, fmt.Errorf("boot summary: node %d given twice", n.ID)
		}
		seen[n.ID] = true
		s.Nodes = append(s.Nodes, n)
	}
	if len(s.Nodes) != s.Boot.Nodes {
		return s, fmt.Errorf("boot summary: nodes=%d but %d node lines", s.Boot.Nodes, len(s.Nodes))
	}
	for _, n := range s.Nodes {
		if n.Dist != nil && len(n.Dist) != s.Boot.Nodes {
			return s, fmt.Errorf("boot summary: node %d: dist= has %d entries for %d nodes", n.ID, len(n.Dist), s.Boot.Nodes)
		}
	}
	slices.SortFunc(s.Nodes, func(a, b NodeInfo) int { return a.ID - b.ID })
	return s, nil
}

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
		if got, exp := FormatCPUList(n.CPUs), FormatCPUList(w.CPUs); got != exp {
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

// parseFields splits key=value words; keys must be unique and non-empty.
func parseFields(words []string) (map[string]string, []string, error) {
	fields := make(map[string]string, len(words))
	keys := make([]string, 0, len(words))
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		if !ok || k == "" {
			return nil, nil, fmt.Errorf("%q is not key=value", w)
		}
		if _, dup := fields[k]; dup {
			return nil, nil, fmt.Errorf("%s= given twice", k)
		}
		fields[k] = v
		keys = append(keys, k)
	}
	return fields, keys, nil
}

// countField returns fields[key] as a number of at least min.
func countField(fields map[string]string, key string, min int) (int, error) {
	s, ok := fields[key]
	if !ok {
		return 0, fmt.Errorf("no %s= field", key)
	}
	n, ok := parseCount(s)
	if !ok {
		return 0, fmt.Errorf("%s=%s is not a number", key, s)
	}
	if n < min {
		return 0, fmt.Errorf("%s=%d: want at least %d", key, n, min)
	}
	return n, nil
}

// parseCount parses a decimal number of digits only: no sign, no spaces.
func parseCount(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
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
