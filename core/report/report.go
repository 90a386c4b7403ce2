// Package report is what an Aero kernel tells the host, in one place for
// both sides: core writes it, the qemu module's tools and tests read it.
//
//   - The boot summary: one "aero: boot" line and one "aero: node" line per
//     NUMA node (Summary, Boot, Node; Lines writes them, ParseSummary reads
//     them back).
//   - CPU lists such as "0-2,5", the syntax QEMU and Linux use
//     (FormatCPUList, ParseCPUList).
//   - The exit protocol of QEMU's isa-debug-exit device (DebugExitPort,
//     DebugExitStatus, DebugExitCode).
//
// It builds for the host and for the kernel alike: no tamago imports.
package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The boot summary is one boot line followed by one line per NUMA node:
//
//	aero: boot cpus=<N> nodes=<M> mem=<MiB> clock=<source>@<MHz> sched=<name> [clockref=<timer>] memory=<name> topology=<name> console=<name> loader=<how> heap=<MiB>
//	aero: node <id> cpus=<list> mem=<MiB> [free=<MiB>] dist=<d0,d1,...>
//
// Readers must accept fields added or inserted: the parsers keep every
// key=value pair (Fields, Keys), and Line writes the unknown ones back
// after the known ones, in their order.

// BootPrefix and NodePrefix start the summary lines.
const (
	BootPrefix = "aero: boot "
	NodePrefix = "aero: node "
)

// Boot is the "aero: boot" line.
type Boot struct {
	CPUs     int    // cpus=, at least 1
	Nodes    int    // nodes=, at least 1
	MemMiB   int    // mem=: usable RAM
	Clock    string // clock= source, before the @ ("tsc"; "none" without a clock)
	ClockMHz int    // clock= frequency in MHz, after the @
	Sched    string // sched=: the scheduler's name
	// The optional fields: Line leaves out the empty (zero) ones.
	ClockRef string // clockref=: the timer the clock was calibrated against
	Memory   string // memory=: the memory manager's name
	Topology string // topology=
	Console  string // console=
	Loader   string // loader=: what booted the kernel (pvh, multiboot2)
	HeapMiB  int    // heap=: what the runtime can grow the Go heap into (core.Kernel.Heap)

	// Fields holds every key=value pair of a parsed line, the ones above
	// too; Keys lists the keys in the line's order. Line writes the pairs
	// whose keys are not the ones above after those, in Keys order.
	Fields map[string]string
	Keys   []string
}

// Node is an "aero: node" line.
type Node struct {
	ID     int
	CPUs   []int // ascending; empty for a node without CPUs (cpus=-)
	MemMiB int   // mem=
	// FreeMiB is free=: what the Memory has free on the node now, written
	// when HasFree (a Memory that places memory on nodes says; the Go
	// heap's does not).
	FreeMiB int
	HasFree bool
	// Dist is the distance to each node 0..M-1; nil when the line has no
	// dist= field.
	Dist []int
	// Fields and Keys are as in Boot.
	Fields map[string]string
	Keys   []string
}

// Summary is a boot line and its node lines, nodes in ID order.
type Summary struct {
	Boot  Boot
	Nodes []Node
}

// Node returns the node with the given ID.
func (s Summary) Node(id int) (Node, bool) {
	for _, n := range s.Nodes {
		if n.ID == id {
			return n, true
		}
	}
	return Node{}, false
}

// Lines returns the boot line and then each node line.
func (s Summary) Lines() []string {
	lines := []string{s.Boot.Line()}
	for _, n := range s.Nodes {
		lines = append(lines, n.Line())
	}
	return lines
}

// bootKeys are the keys of Boot's typed fields, in the order Line writes.
var bootKeys = []string{"cpus", "nodes", "mem", "clock", "sched", "clockref", "memory", "topology", "console", "loader", "heap"}

// Line writes b as an "aero: boot" line.
func (b Boot) Line() string {
	var w fieldWriter
	w.b.WriteString(strings.TrimSpace(BootPrefix))
	w.int("cpus", b.CPUs)
	w.int("nodes", b.Nodes)
	w.int("mem", b.MemMiB)
	w.str("clock", b.Clock+"@"+strconv.Itoa(b.ClockMHz))
	w.str("sched", b.Sched)
	for _, f := range []struct{ k, v string }{
		{"clockref", b.ClockRef}, {"memory", b.Memory}, {"topology", b.Topology},
		{"console", b.Console}, {"loader", b.Loader},
	} {
		if f.v != "" {
			w.str(f.k, f.v)
		}
	}
	if b.HeapMiB != 0 {
		w.int("heap", b.HeapMiB)
	}
	w.rest(b.Keys, b.Fields, bootKeys)
	return w.b.String()
}

var nodeKeys = []string{"cpus", "mem", "free", "dist"}

// Line writes n as an "aero: node" line.
func (n Node) Line() string {
	var w fieldWriter
	w.b.WriteString(NodePrefix + strconv.Itoa(n.ID))
	cpus := FormatCPUList(n.CPUs)
	if cpus == "" {
		cpus = "-"
	}
	w.str("cpus", cpus)
	w.int("mem", n.MemMiB)
	if n.HasFree {
		w.int("free", n.FreeMiB)
	}
	if n.Dist != nil {
		d := make([]string, len(n.Dist))
		for i, v := range n.Dist {
			d[i] = strconv.Itoa(v)
		}
		w.str("dist", strings.Join(d, ","))
	}
	w.rest(n.Keys, n.Fields, nodeKeys)
	return w.b.String()
}

type fieldWriter struct{ b strings.Builder }

func (w *fieldWriter) str(k, v string)     { w.b.WriteString(" " + k + "=" + v) }
func (w *fieldWriter) int(k string, v int) { w.str(k, strconv.Itoa(v)) }

// rest writes the pairs whose keys are not known, in keys order.
func (w *fieldWriter) rest(keys []string, fields map[string]string, known []string) {
	for _, k := range keys {
		if !slices.Contains(known, k) {
			w.str(k, fields[k])
		}
	}
}

// IsBootLine reports whether line is meant as a boot line: it starts with
// BootPrefix (or is just "aero: boot"), leading white space aside. It may
// still be malformed (ParseBootLine says).
func IsBootLine(line string) bool { return hasPrefix(line, BootPrefix) }

// IsNodeLine reports whether line is meant as a node line: it starts with
// NodePrefix (or is just "aero: node"), leading white space aside.
func IsNodeLine(line string) bool { return hasPrefix(line, NodePrefix) }

func hasPrefix(line, prefix string) bool {
	l := strings.TrimSpace(line)
	return strings.HasPrefix(l, prefix) || l == strings.TrimSpace(prefix)
}

// ParseBootLine parses an "aero: boot" line. Every field after the prefix
// must be key=value with a unique key; cpus, nodes, mem, clock and sched
// must be there (cpus and nodes at least 1, clock as source@MHz, sched not
// empty).
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
	b.ClockRef, b.Memory, b.Topology = fields["clockref"], fields["memory"], fields["topology"]
	b.Console, b.Loader = fields["console"], fields["loader"]
	if _, ok := fields["heap"]; ok {
		if b.HeapMiB, err = countField(fields, "heap", 0); err != nil {
			return bad("%v", err)
		}
	}
	return b, nil
}

// ParseNodeLine parses an "aero: node <id>" line. After the ID every field
// must be key=value with a unique key; cpus (a CPU list, or - for none)
// and mem must be there; free, when there, is a number; dist, when there,
// is a comma list of distances.
func ParseNodeLine(line string) (Node, error) {
	bad := func(format string, args ...any) (Node, error) {
		return Node{}, fmt.Errorf("bad node line %q: %s", line, fmt.Sprintf(format, args...))
	}
	if !IsNodeLine(line) {
		return bad("does not start with %q", NodePrefix)
	}
	words := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), strings.TrimSpace(NodePrefix)))
	if len(words) == 0 {
		return bad("no node ID")
	}
	var n Node
	var ok bool
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
	if _, ok := fields["free"]; ok {
		if n.FreeMiB, err = countField(fields, "free", 0); err != nil {
			return bad("%v", err)
		}
		n.HasFree = true
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
		return s, fmt.Errorf("no boot summary: no line starts with %q", BootPrefix)
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
	slices.SortFunc(s.Nodes, func(a, b Node) int { return a.ID - b.ID })
	return s, nil
}

// Field returns the value of key in a line of space-separated words, some
// of them key=value (the summary's and other report lines' format); ok is
// false when no word has that key.
func Field(line, key string) (value string, ok bool) {
	for _, w := range strings.Fields(line) {
		if k, v, isPair := strings.Cut(w, "="); isPair && k == key {
			return v, true
		}
	}
	return "", false
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
