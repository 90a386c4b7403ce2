package qemu

import (
	"reflect"
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
		want NodeInfo
	}{
		{"aero: node 0 cpus=0-1,4 mem=1023 dist=10,20", NodeInfo{ID: 0, CPUs: []int{0, 1, 4}, MemMiB: 1023, Dist: []int{10, 20},
			Fields: map[string]string{"cpus": "0-1,4", "mem": "1023", "dist": "10,20"}, Keys: []string{"cpus", "mem", "dist"}}},
		{"aero: node 12 mem=512 cpus=-", NodeInfo{ID: 12, MemMiB: 512,
			Fields: map[string]string{"cpus": "-", "mem": "512"}, Keys: []string{"mem", "cpus"}}},
		{"aero: node 1 cpus=3 pxm=7 mem=0 dist=20,10 online=yes", NodeInfo{ID: 1, CPUs: []int{3}, MemMiB: 0, Dist: []int{20, 10},
			Fields: map[string]string{"cpus": "3", "pxm": "7", "mem": "0", "dist": "20,10", "online": "yes"},
			Keys:   []string{"cpus", "pxm", "mem", "dist", "online"}}},
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

// summary parses a boot line and node lines or fails the test.
func summary(t *testing.T, lines ...string) Summary {
	t.Helper()
	s, err := ParseSummary(lines)
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
