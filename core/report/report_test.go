package report

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestParseBootLine(t *testing.T) {
	// As core prints it, with the fields after sched.
	l := "aero: boot cpus=4 nodes=2 mem=2047 clock=tsc@2400 sched=default clockref=hpet memory=default topology=default console=default loader=pvh heap=64"
	b, err := ParseBootLine(l)
	if err != nil {
		t.Fatal(err)
	}
	if b.CPUs != 4 || b.Nodes != 2 || b.MemMiB != 2047 || b.Clock != "tsc" || b.ClockMHz != 2400 || b.Sched != "default" {
		t.Errorf("typed fields: %+v", b)
	}
	wantKeys := []string{"cpus", "nodes", "mem", "clock", "sched", "clockref", "memory", "topology", "console", "loader", "heap"}
	if !reflect.DeepEqual(b.Keys, wantKeys) {
		t.Errorf("Keys %q", b.Keys)
	}
	if b.Fields["clockref"] != "hpet" || b.Fields["loader"] != "pvh" || b.Fields["clock"] != "tsc@2400" || len(b.Fields) != len(wantKeys) {
		t.Errorf("Fields %q", b.Fields)
	}

	// Fields inserted between the known ones, other spacing, empty unknown value.
	b, err = ParseBootLine("  aero: boot  smp=x2apic cpus=1\tnodes=1 extra= mem=0 clock=none@0 sched=rr\r")
	if err != nil {
		t.Fatal(err)
	}
	if b.CPUs != 1 || b.MemMiB != 0 || b.Clock != "none" || b.ClockMHz != 0 || b.Sched != "rr" || b.Fields["smp"] != "x2apic" || b.Keys[0] != "smp" {
		t.Errorf("%+v", b)
	}
	if v, ok := b.Fields["extra"]; !ok || v != "" {
		t.Errorf("extra= %q, %v", v, ok)
	}

	const good = "cpus=2 nodes=1 mem=1024 clock=tsc@3000 sched=default"
	for _, tc := range []struct{ line, want string }{
		{"aero: node 0 cpus=0 mem=1", "does not start with"},
		{"aero: bootcpus=2", "does not start with"},
		{"xaero: boot " + good, "does not start with"},
		{"aero: boot", "no cpus= field"},
		{"aero: boot failed: no ACPI tables", `"failed:" is not key=value`},
		{"aero: boot cpus=x nodes=1 mem=1 clock=tsc@1 sched=s", "cpus=x is not a number"},
		{"aero: boot cpus=-1 nodes=1 mem=1 clock=tsc@1 sched=s", "cpus=-1 is not a number"},
		{"aero: boot cpus=+2 nodes=1 mem=1 clock=tsc@1 sched=s", "cpus=+2 is not a number"},
		{"aero: boot cpus= nodes=1 mem=1 clock=tsc@1 sched=s", "cpus= is not a number"},
		{"aero: boot cpus=0 nodes=1 mem=1 clock=tsc@1 sched=s", "cpus=0: want at least 1"},
		{"aero: boot cpus=99999999999 nodes=1 mem=1 clock=tsc@1 sched=s", "is not a number"},
		{"aero: boot cpus=2 mem=1 clock=tsc@1 sched=s", "no nodes= field"},
		{"aero: boot cpus=2 nodes=0 mem=1 clock=tsc@1 sched=s", "nodes=0: want at least 1"},
		{"aero: boot cpus=2 nodes=1 clock=tsc@1 sched=s", "no mem= field"},
		{"aero: boot cpus=2 nodes=1 mem=1.5 clock=tsc@1 sched=s", "mem=1.5 is not a number"},
		{"aero: boot cpus=2 nodes=1 mem=1 sched=s", "no clock= field"},
		{"aero: boot cpus=2 nodes=1 mem=1 clock=tsc sched=s", "want source@MHz"},
		{"aero: boot cpus=2 nodes=1 mem=1 clock=@100 sched=s", "want source@MHz"},
		{"aero: boot cpus=2 nodes=1 mem=1 clock=tsc@fast sched=s", `MHz "fast" is not a number`},
		{"aero: boot cpus=2 nodes=1 mem=1 clock=tsc@1", "no sched= field"},
		{"aero: boot cpus=2 nodes=1 mem=1 clock=tsc@1 sched=", "no sched= field"},
		{"aero: boot " + good + " cpus=3", "cpus= given twice"},
		{"aero: boot " + good + " =x", `"=x" is not key=value`},
		{"aero: boot " + good + " stray", `"stray" is not key=value`},
	} {
		_, err := ParseBootLine(tc.line)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseBootLine(%q) = %v; want an error with %q", tc.line, err, tc.want)
		} else if !strings.Contains(err.Error(), "bad boot line") {
			t.Errorf("error %q does not say what it parsed", err)
		}
	}
}

func TestParseNodeLine(t *testing.T) {
	for _, tc := range []struct {
		line string
		want Node
	}{
		{"aero: node 0 cpus=0-1,4 mem=1023 dist=10,20", Node{ID: 0, CPUs: []int{0, 1, 4}, MemMiB: 1023, Dist: []int{10, 20},
			Fields: map[string]string{"cpus": "0-1,4", "mem": "1023", "dist": "10,20"}, Keys: []string{"cpus", "mem", "dist"}}},
		{"aero: node 12 mem=512 cpus=-", Node{ID: 12, MemMiB: 512,
			Fields: map[string]string{"cpus": "-", "mem": "512"}, Keys: []string{"mem", "cpus"}}},
		{"aero: node 1 cpus=3 pxm=7 mem=0 dist=20,10 online=yes", Node{ID: 1, CPUs: []int{3}, MemMiB: 0, Dist: []int{20, 10},
			Fields: map[string]string{"cpus": "3", "pxm": "7", "mem": "0", "dist": "20,10", "online": "yes"},
			Keys:   []string{"cpus", "pxm", "mem", "dist", "online"}}},
		{"aero: node 1 cpus=2-3 mem=4096 free=0 dist=20,10", Node{ID: 1, CPUs: []int{2, 3}, MemMiB: 4096, FreeMiB: 0, HasFree: true, Dist: []int{20, 10},
			Fields: map[string]string{"cpus": "2-3", "mem": "4096", "free": "0", "dist": "20,10"}, Keys: []string{"cpus", "mem", "free", "dist"}}},
	} {
		got, err := ParseNodeLine(tc.line)
		if err != nil {
			t.Errorf("ParseNodeLine(%q): %v", tc.line, err)
		} else if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseNodeLine(%q):\n got %+v\nwant %+v", tc.line, got, tc.want)
		}
	}
	for _, tc := range []struct{ line, want string }{
		{"aero: boot cpus=1", "does not start with"},
		{"aero: nodes 0 cpus=0 mem=1", "does not start with"},
		{"aero: node ", "no node ID"},
		{"aero: node x cpus=0 mem=1", `node ID "x" is not a number`},
		{"aero: node -1 cpus=0 mem=1", `node ID "-1" is not a number`},
		{"aero: node cpus=0 mem=1", `node ID "cpus=0" is not a number`},
		{"aero: node 0 mem=1", "no cpus= field"},
		{"aero: node 0 cpus= mem=1", "cpus= is empty"},
		{"aero: node 0 cpus=x mem=1", `cpus=x: bad CPU list "x"`},
		{"aero: node 0 cpus=3-1 mem=1", "bad CPU list"},
		{"aero: node 0 cpus=0,0 mem=1", "CPU 0 given twice"},
		{"aero: node 0 cpus=0-4000000000 mem=1", "CPU numbers go up to"},
		{"aero: node 0 cpus=0", "no mem= field"},
		{"aero: node 0 cpus=0 mem=lots", "mem=lots is not a number"},
		{"aero: node 0 cpus=0 mem=1 free=most", "free=most is not a number"},
		{"aero: node 0 cpus=0 mem=1 dist=", "dist= is empty"},
		{"aero: node 0 cpus=0 mem=1 dist=10,,20", `"" is not a distance`},
		{"aero: node 0 cpus=0 mem=1 dist=10,far", `"far" is not a distance`},
		{"aero: node 0 cpus=0 mem=1 mem=2", "mem= given twice"},
		{"aero: node 0 cpus=0 mem=1 junk", `"junk" is not key=value`},
	} {
		_, err := ParseNodeLine(tc.line)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseNodeLine(%q) = %v; want an error with %q", tc.line, err, tc.want)
		} else if !strings.Contains(err.Error(), "bad node line") {
			t.Errorf("error %q does not say what it parsed", err)
		}
	}
}

func TestParseSummary(t *testing.T) {
	lines := []string{
		"aero: node 9 cpus=0 mem=1 (a node line before the boot line is not the summary's)",
		"Aero 0.1 booted by pvh",
		"aero: boot cpus=4 nodes=2 mem=2047 clock=tsc@2400 sched=default",
		"aero: node 1 cpus=2-3 mem=1024 dist=20,10",
		"aero: warning: something",
		"aero: node 0 cpus=0-1 mem=1023 dist=10,20",
		"=== RUN   x",
	}
	s, err := ParseSummary(lines)
	if err != nil {
		t.Fatal(err)
	}
	if s.Boot.CPUs != 4 || len(s.Nodes) != 2 || s.Nodes[0].ID != 0 || s.Nodes[1].ID != 1 || s.Nodes[0].MemMiB != 1023 {
		t.Errorf("%+v", s)
	}
	if n, ok := s.Node(1); !ok || FormatCPUList(n.CPUs) != "2-3" {
		t.Errorf("Node(1) = %+v, %v", n, ok)
	}
	if _, ok := s.Node(2); ok {
		t.Error("Node(2) found")
	}

	boot2 := "aero: boot cpus=4 nodes=2 mem=2047 clock=tsc@2400 sched=default"
	for _, tc := range []struct {
		lines []string
		want  string
	}{
		{nil, "no boot summary"},
		{[]string{"aero: node 0 cpus=0 mem=1"}, "no boot summary"},
		{[]string{"aero: boot failed: no memory map"}, `"failed:" is not key=value`},
		{[]string{boot2, "aero: node 0 cpus=0-1 mem=1", "aero: node 0 cpus=2-3 mem=1"}, "node 0 given twice"},
		{[]string{boot2, "aero: node 0 cpus=0-3 mem=1"}, "nodes=2 but 1 node lines"},
		{[]string{boot2, "aero: node 0 cpus=0 mem=1", "aero: node 1 cpus=1 mem=1", "aero: node 2 cpus=2 mem=1"}, "nodes=2 but 3 node lines"},
		{[]string{boot2, "aero: node 0 cpus=0-1 mem=1 dist=10", "aero: node 1 cpus=2-3 mem=1 dist=20,10"}, "node 0: dist= has 1 entries for 2 nodes"},
		{[]string{boot2, "aero: node 0 cpus=0-1 mem=1", "aero: node 1 cpus=x mem=1"}, `bad node line "aero: node 1 cpus=x mem=1"`},
	} {
		_, err := ParseSummary(tc.lines)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseSummary(%q) = %v; want an error with %q", tc.lines, err, tc.want)
		}
	}
}

// example is a summary as core fills it (core's TestSummaryLines prints
// the same machine).
var example = Summary{
	Boot: Boot{CPUs: 6, Nodes: 3, MemMiB: 4095, Clock: "tsc", ClockMHz: 2597, Sched: "default",
		ClockRef: "pit", Memory: "default", Topology: "default", Console: "default", Loader: "pvh", HeapMiB: 1791},
	Nodes: []Node{
		{ID: 0, CPUs: []int{0, 1, 2}, MemMiB: 2047, Dist: []int{10, 20, 30}},
		{ID: 1, CPUs: []int{3}, MemMiB: 1024, Dist: []int{20, 10, 25}},
		{ID: 2, CPUs: []int{4, 5}, MemMiB: 1024, Dist: []int{30, 25, 10}},
	},
}

var exampleLines = []string{
	"aero: boot cpus=6 nodes=3 mem=4095 clock=tsc@2597 sched=default clockref=pit memory=default topology=default console=default loader=pvh heap=1791",
	"aero: node 0 cpus=0-2 mem=2047 dist=10,20,30",
	"aero: node 1 cpus=3 mem=1024 dist=20,10,25",
	"aero: node 2 cpus=4-5 mem=1024 dist=30,25,10",
}

// typed is s without the parsed Fields and Keys, to compare what the
// struct says.
func typed(s Summary) Summary {
	s.Boot.Fields, s.Boot.Keys = nil, nil
	s.Nodes = slices.Clone(s.Nodes)
	for i := range s.Nodes {
		s.Nodes[i].Fields, s.Nodes[i].Keys = nil, nil
	}
	return s
}

func TestLinesRoundTrip(t *testing.T) {
	got := example.Lines()
	if !slices.Equal(got, exampleLines) {
		t.Fatalf("Lines:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(exampleLines, "\n"))
	}
	back, err := ParseSummary(got)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(typed(back), example) {
		t.Errorf("parsed back:\n got %+v\nwant %+v", typed(back), example)
	}

	// Optional fields left out; a memory-only node; no distances.
	min := Summary{Boot: Boot{CPUs: 1, Nodes: 2, MemMiB: 0, Clock: "none", ClockMHz: 0, Sched: "rr"},
		Nodes: []Node{{ID: 0, CPUs: []int{0}, MemMiB: 7}, {ID: 1, MemMiB: 512}}}
	want := []string{"aero: boot cpus=1 nodes=2 mem=0 clock=none@0 sched=rr", "aero: node 0 cpus=0 mem=7", "aero: node 1 cpus=- mem=512"}
	if got := min.Lines(); !slices.Equal(got, want) {
		t.Errorf("Lines = %q, want %q", got, want)
	}
	if back, err := ParseSummary(want); err != nil || !reflect.DeepEqual(typed(back), min) {
		t.Errorf("parsed back %+v, %v; want %+v", typed(back), err, min)
	}

	// Unknown fields survive a round trip, after the known ones.
	b, err := ParseBootLine("aero: boot smp=x2apic cpus=2 nodes=1 mem=5 clock=tsc@1 sched=s extra= heap=3")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := b.Line(), "aero: boot cpus=2 nodes=1 mem=5 clock=tsc@1 sched=s heap=3 smp=x2apic extra="; got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
	n, err := ParseNodeLine("aero: node 3 pxm=9 mem=1 cpus=1-2")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := n.Line(), "aero: node 3 cpus=1-2 mem=1 pxm=9"; got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
}

// FuzzSummaryLine: a line that parses writes back as a line that parses
// to the same struct, and writing that again changes nothing.
func FuzzSummaryLine(f *testing.F) {
	for _, l := range exampleLines {
		f.Add(l)
	}
	f.Add("aero: boot cpus=1 nodes=1 mem=0 clock=none@0 sched=rr x=y loader=")
	f.Add("aero: node 7 cpus=- mem=0 q=")
	f.Fuzz(func(t *testing.T, line string) {
		roundTrip(t, line, ParseBootLine, Boot.Line, func(b Boot) Summary { return typed(Summary{Boot: b}) })
		roundTrip(t, line, ParseNodeLine, Node.Line, func(n Node) Summary { return typed(Summary{Nodes: []Node{n}}) })
	})
}

// roundTrip checks one kind of line: when line parses, what Line writes
// parses to the same struct (as view shows it), and writing that again
// changes nothing.
func roundTrip[T any](t *testing.T, line string, parse func(string) (T, error), write func(T) string, view func(T) Summary) {
	t.Helper()
	v, err := parse(line)
	if err != nil {
		return
	}
	out := write(v)
	v2, err := parse(out)
	if err != nil {
		t.Fatalf("%q wrote %q, which does not parse: %v", line, out, err)
	}
	if !reflect.DeepEqual(view(v2), view(v)) {
		t.Fatalf("%q -> %q: %+v, then %+v", line, out, v, v2)
	}
	if again := write(v2); again != out {
		t.Fatalf("%q -> %q -> %q", line, out, again)
	}
}

func TestField(t *testing.T) {
	l := "smoke: info gomaxprocs=4 x= y"
	if v, ok := Field(l, "gomaxprocs"); !ok || v != "4" {
		t.Errorf("Field gomaxprocs = %q, %v", v, ok)
	}
	if v, ok := Field(l, "x"); !ok || v != "" {
		t.Errorf("Field x = %q, %v", v, ok)
	}
	if _, ok := Field(l, "y"); ok {
		t.Error("Field y found a word without =")
	}
}

func TestCPUList(t *testing.T) {
	got, err := ParseCPUList("4-5, 0,2-3")
	if err != nil || !slices.Equal(got, []int{0, 2, 3, 4, 5}) {
		t.Fatalf("ParseCPUList = %v, %v", got, err)
	}
	for _, c := range []struct {
		in   []int
		want string
	}{
		{nil, ""}, {[]int{0}, "0"}, {[]int{0, 1, 2}, "0-2"}, {[]int{0, 2, 3, 5}, "0,2-3,5"}, {got, "0,2-5"},
	} {
		if s := FormatCPUList(c.in); s != c.want {
			t.Errorf("FormatCPUList(%v) = %q, want %q", c.in, s, c.want)
		}
		if back, err := ParseCPUList(c.want); err != nil || !slices.Equal(back, c.in) {
			t.Errorf("ParseCPUList(%q) = %v, %v; want %v", c.want, back, err, c.in)
		}
	}
	if r := CPURanges([]int{0, 1, 3}); !slices.Equal(r, []string{"0-1", "3"}) {
		t.Errorf("CPURanges = %q", r)
	}
	for _, in := range []string{"3-1", "a", "1-", "-1", "0,0", "4096"} {
		if _, err := ParseCPUList(in); err == nil {
			t.Errorf("ParseCPUList(%q): no error", in)
		}
	}
}

func TestDebugExit(t *testing.T) {
	for v := range 5 {
		if code, ok := DebugExitCode(DebugExitStatus(v)); !ok || code != v {
			t.Errorf("DebugExitCode(DebugExitStatus(%d)) = %d, %v", v, code, ok)
		}
	}
	if DebugExitStatus(1) != 3 {
		t.Errorf("DebugExitStatus(1) = %d, want 3 ((1<<1)|1)", DebugExitStatus(1))
	}
	for _, status := range []int{0, 2, -1} {
		if code, ok := DebugExitCode(status); ok {
			t.Errorf("DebugExitCode(%d) = %d, true; QEMU's isa-debug-exit cannot give an even status", status, code)
		}
	}
}
