package qemutest

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// dump writes a parsed run as text: one line per test, indented by depth,
// "name VERDICT" then its log lines after "|".
func dump(tests []*KTest, depth int) []string {
	var out []string
	for _, k := range tests {
		v := k.Verdict
		if v == "" {
			v = "(none)"
		}
		line := strings.Repeat("  ", depth) + k.Name + " " + v
		if k.Died != "" {
			line += " died"
		}
		for _, l := range k.Log {
			line += " | " + l
		}
		out = append(out, line)
		out = append(out, dump(k.Subtests, depth+1)...)
	}
	return out
}

// parse feeds lines to a parser and returns the run and the names of the
// top-level tests in the order they were handed out.
func parse(lines []string) (*KTestRun, []string) {
	p := newKTestParser()
	var order []string
	for _, l := range lines {
		for _, k := range p.feed(l) {
			order = append(order, k.Name)
		}
	}
	for _, k := range p.die("end of input") {
		order = append(order, k.Name)
	}
	return p.run, order
}

// ktestOutput is what core/ktest prints for a run with a nested test, a
// skip, a console line, multi-line logs, failures and a recovered panic.
var ktestOutput = []string{
	"Aero 0.1 booted by pvh",
	"aero: boot cpus=2 nodes=1 mem=1022 clock=tsc@2400 sched=default",
	"=== RUN   acpi/madt",
	"--- PASS: acpi/madt (0.00s)",
	"    madt.go:12: 2 CPUs",
	"=== RUN   sched",
	"=== RUN   sched/yield",
	"    --- PASS: sched/yield (0.01s)",
	"        sched.go:30: yielded 10 times",
	"=== RUN   sched/skipme",
	"    --- SKIP: sched/skipme (0.00s)",
	"        sched.go:40: not on this machine",
	"--- PASS: sched (0.02s)",
	"    sched.go:20: parent log",
	"=== RUN   smp/parallel",
	"aero: cpu 1 says hi",
	"--- FAIL: smp/parallel (0.10s)",
	"    smp.go:50: want 2 CPUs, got 1",
	"        second line of the message",
	"=== RUN   time/recover",
	"--- FAIL: time/recover (0.00s)",
	"    panic: boom",
	"        goroutine 5 [running]:",
	"        runtime/debug.Stack()",
	"aero: between tests",
	"FAIL",
	"aero: after the tests",
}

var ktestTree = []string{
	"acpi/madt PASS | madt.go:12: 2 CPUs",
	"sched PASS | sched.go:20: parent log",
	"  sched/yield PASS | sched.go:30: yielded 10 times",
	"  sched/skipme SKIP | sched.go:40: not on this machine",
	"smp/parallel FAIL | console: aero: cpu 1 says hi | smp.go:50: want 2 CPUs, got 1 |     second line of the message",
	"time/recover FAIL | panic: boom |     goroutine 5 [running]: |     runtime/debug.Stack()",
}

func TestKTestParser(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lines []string
		tree  []string
		order []string // top-level tests as handed out; nil: as in tree
		other []string
		final string
	}{
		{"ktest", ktestOutput, ktestTree, nil,
			[]string{"Aero 0.1 booted by pvh", "aero: boot cpus=2 nodes=1 mem=1022 clock=tsc@2400 sched=default", "aero: between tests", "aero: after the tests"}, "FAIL"},
		{"go test -v: streamed logs, subtest results after the parent's, PAUSE/CONT", []string{
			"=== RUN   TestA",
			"    a_test.go:1: streamed log",
			"--- PASS: TestA (0.00s)",
			"=== RUN   TestB",
			"=== RUN   TestB/sub_1",
			"    b_test.go:2: sub log",
			"=== RUN   TestB/sub_2",
			"=== PAUSE TestB/sub_2",
			"=== CONT  TestB/sub_2",
			"--- FAIL: TestB (0.00s)",
			"    --- PASS: TestB/sub_1 (0.00s)",
			"    --- FAIL: TestB/sub_2 (0.00s)",
			"        b_test.go:9: failed here",
			"FAIL",
		}, []string{
			"TestA PASS | a_test.go:1: streamed log",
			"TestB FAIL",
			"  TestB/sub_1 PASS | b_test.go:2: sub log",
			"  TestB/sub_2 FAIL | b_test.go:9: failed here",
		}, nil, nil, "FAIL"},
		{"go test -v streaming, as core/ktest prints it: === NAME, results under the parent", []string{
			"=== RUN   time/sleep",
			"    selftest.go:131: slept 100ms in 100.2ms",
			"--- PASS: time/sleep (0.10s)",
			"=== RUN   cpus/sub",
			"    selftest.go:39: parent before",
			"=== RUN   cpus/sub/one",
			"    selftest.go:40: a log line",
			"        its second line",
			"        ",
			"=== RUN   cpus/sub/two",
			"=== RUN   cpus/sub/two/deep",
			"    panic: boom [recovered]",
			"        goroutine 9 [running]:",
			"",
			"=== NAME  cpus/sub",
			"    selftest.go:42: the parent logs again",
			"=== RUN   cpus/sub/three",
			"--- FAIL: cpus/sub (0.00s)",
			"    --- PASS: cpus/sub/one (0.00s)",
			"    --- FAIL: cpus/sub/two (0.00s)",
			"        --- FAIL: cpus/sub/two/deep (0.00s)",
			"    --- SKIP: cpus/sub/three (X.XXs)",
			"=== NAME  cpus/sub/two",
			"    selftest.go:50: logged after the test finished",
			"    selftest.go:51: twice",
			"=== RUN   late",
			"--- PASS: late (1.00s)",
			"=== NAME  time/sleep",
			"    selftest.go:1: too late: handed out",
			"FAIL",
		}, []string{
			"time/sleep PASS | selftest.go:131: slept 100ms in 100.2ms",
			"cpus/sub FAIL | selftest.go:39: parent before | selftest.go:42: the parent logs again",
			"  cpus/sub/one PASS | selftest.go:40: a log line |     its second line |     ",
			"  cpus/sub/two FAIL | selftest.go:50: logged after the test finished | selftest.go:51: twice",
			"    cpus/sub/two/deep FAIL | panic: boom [recovered] |     goroutine 9 [running]: | ",
			"  cpus/sub/three SKIP",
			"late PASS",
		}, nil, []string{"    selftest.go:1: too late: handed out"}, "FAIL"},
		{"odd names and lines", []string{
			"=== RUN   ",          // no name: not a test
			"--- PASS: lonely",    // no === RUN, no time
			"=== RUN   has space", // go test would say has_space
			"--- SKIP: has space (1.50s)",
			"=== RUN   a",
			"=== RUN   b/c", // not under a: a ends without a result
			"--- PASS: b/c (0.00s)",
			"--- PASS: a (0.00s)", // too late: a test of its own
			"PASS",
		}, []string{
			"lonely PASS",
			"has space SKIP",
			"a (none)",
			"b/c PASS",
			"a PASS",
		}, []string{"lonely", "has space", "a", "b/c", "a"}, []string{"=== RUN   "}, "PASS"},
		{"deeply nested, the kernel stops inside", []string{
			"=== RUN   a",
			"=== RUN   a/b",
			"=== RUN   a/b/c",
			"    a.go:1: started",
		}, []string{
			"a (none)",
			"  a/b (none)",
			"    a/b/c (none) died | a.go:1: started",
		}, nil, nil, ""},
		{"the kernel stops after a result: the test is done", []string{
			"=== RUN   a",
			"--- PASS: a (0.00s)",
			"    a.go:1: log",
		}, []string{"a PASS | a.go:1: log"}, nil, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run, order := parse(tc.lines)
			if got := dump(run.Tests, 0); !slices.Equal(got, tc.tree) {
				t.Errorf("tree:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.tree, "\n"))
			}
			want := tc.order
			if want == nil {
				for _, k := range tc.tree {
					if !strings.HasPrefix(k, " ") {
						want = append(want, strings.Fields(k)[0])
					}
				}
			}
			if !slices.Equal(order, want) {
				t.Errorf("handed out %q, want %q", order, want)
			}
			if !slices.Equal(run.Other, tc.other) {
				t.Errorf("Other %q, want %q", run.Other, tc.other)
			}
			if run.Final != tc.final {
				t.Errorf("Final %q", run.Final)
			}
		})
	}
	run, _ := parse(ktestOutput)
	if !slices.Equal(run.Failed(), []string{"smp/parallel", "time/recover"}) {
		t.Errorf("Failed() = %q", run.Failed())
	}
	if run.Tests[2].Elapsed != 100*time.Millisecond {
		t.Errorf("Elapsed %v", run.Tests[2].Elapsed)
	}
}

// TestKTestGolden parses core/ktest's golden go test -v output, when the
// tree has it: every test gets its result, no line is left over.
func TestKTestGolden(t *testing.T) {
	data, err := os.ReadFile("../../core/ktest/testdata/gotest.golden")
	if err != nil {
		t.Skip(err)
	}
	text := strings.TrimSuffix(strings.ReplaceAll(string(data), "X.XXs", "0.00s"), "\n")
	run, _ := parse(strings.Split(text, "\n"))
	if run.Final == "" || len(run.Other) > 0 || len(run.Tests) == 0 {
		t.Errorf("Final %q, Other %q, %d tests", run.Final, run.Other, len(run.Tests))
	}
	runs := strings.Count(text, "=== RUN ")
	var count func([]*KTest) int
	count = func(ts []*KTest) int {
		n := 0
		for _, k := range ts {
			if k.Verdict == "" || k.Died != "" {
				t.Errorf("%s: no verdict", k.Name)
			}
			for _, l := range k.Log {
				if strings.HasPrefix(l, "console: ") {
					t.Errorf("%s: %q", k.Name, l)
				}
			}
			n += 1 + count(k.Subtests)
		}
		return n
	}
	if n := count(run.Tests); n != runs {
		t.Errorf("%d tests parsed, %d === RUN lines:\n%s", n, runs, strings.Join(dump(run.Tests, 0), "\n"))
	}
	t.Logf("%d tests, %d failed: %q", runs, len(run.Failed()), run.Failed())
}

// Every subtest of a RunKTests over the ktest output above.
var ktestSubtests = []string{
	"T/acpi/madt PASS",
	"T/sched PASS",
	"T/sched/yield PASS",
	"T/sched/skipme SKIP",
	"T/smp/parallel FAIL",
	"T/time/recover FAIL",
}

func TestRunKTests(t *testing.T) {
	o := fakeQEMU(t, lines(ktestOutput...).exit(3))
	var run *KTestRun
	r := record(t, func(r *rec) { run = runKTests(r, Boot(r, o), 10*time.Second) })
	if got := r.tree(); !slices.Equal(got, ktestSubtests) {
		t.Errorf("subtests:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(ktestSubtests, "\n"))
	}
	if !r.Failed() || r.fatal {
		t.Errorf("parent: failed %v, fatal %v", r.Failed(), r.fatal)
	}
	wantText(t, "parent", r.text(), "qemutest: in-kernel tests FAIL: smp/parallel, time/recover\n")
	if strings.Contains(r.text(), "exited with") {
		t.Errorf("exit code reported as wrong:\n%s", r.text())
	}
	if got := r.sub("T/smp/parallel").text(); got != "console: aero: cpu 1 says hi\nsmp.go:50: want 2 CPUs, got 1\n    second line of the message\n" {
		t.Errorf("smp/parallel output %q", got)
	}
	if got := r.sub("T/sched/skipme").text(); got != "sched.go:40: not on this machine\n" {
		t.Errorf("sched/skipme output %q", got)
	}
	if run.Final != "FAIL" || run.Code != 1 || len(run.Tests) != 4 || run.Other[len(run.Other)-1] != "aero: after the tests" {
		t.Errorf("run %+v", run)
	}
}

func TestRunKTestsPass(t *testing.T) {
	o := fakeQEMU(t, lines("aero: boot cpus=1", "=== RUN   a", "--- PASS: a (0.00s)", "=== RUN   b/c", "--- PASS: b/c (0.00s)", "PASS").exit(1))
	r := record(t, func(r *rec) {
		vm := Boot(r, o)
		vm.Expect(`aero: boot`, 10*time.Second)
		run := runKTests(r, vm, 10*time.Second)
		if run.Final != "PASS" || run.Code != 0 || len(run.Other) != 0 {
			t.Errorf("%+v", run)
		}
	})
	if r.Failed() {
		t.Errorf("failed:\n%s", r.text())
	}
	if got := r.tree(); !slices.Equal(got, []string{"T/a PASS", "T/b/c PASS"}) {
		t.Errorf("subtests %q", got)
	}
}

func TestRunKTestsFailures(t *testing.T) {
	panicStack := []string{"panic: runtime error: index out of range [3] with length 2", "",
		"goroutine 7 [running]:", "github.com/aerokernel/aero/core/smp.testParallel(0xc000010000)", "\t/src/core/smp/smp_test.go:50 +0x1d"}
	for _, tc := range []struct {
		name    string
		body    string
		tree    []string
		fatal   bool
		parent  []string // in the parent's failure
		current string   // the test the kernel died in
		died    []string // in that test's failure
	}{
		{"panic during a test", lines(append([]string{"=== RUN   a", "--- PASS: a (0.00s)", "=== RUN   smp/parallel", "    smp.go:1: started"}, panicStack...)...).exit(5),
			[]string{"T/a PASS", "T/smp/parallel FAIL"}, true,
			[]string{"qemutest: in-kernel tests: the kernel stopped during smp/parallel: the kernel panicked: panic: runtime error: index out of range [3] with length 2 (see smp/parallel)"},
			"T/smp/parallel", append([]string{"smp.go:1: started\nthe kernel panicked:"}, panicStack...)},
		{"panic during a subtest", lines(append([]string{"=== RUN   smp", "=== RUN   smp/parallel"}, panicStack...)...).exit(5),
			[]string{"T/smp FAIL", "T/smp/parallel FAIL"}, true,
			[]string{"the kernel stopped during smp/parallel"},
			"T/smp/parallel", panicStack},
		{"panic between tests", lines(append([]string{"=== RUN   a", "--- PASS: a (0.00s)", "    a.go:1: log"}, panicStack...)...).exit(5),
			[]string{"T/a PASS"}, true,
			append([]string{"the kernel stopped between tests: the kernel panicked:"}, panicStack...), "", nil},
		{"panic before any test", lines(panicStack...).exit(5),
			nil, true, append([]string{"the kernel stopped before any test: the kernel panicked:"}, panicStack...), "", nil},
		{"exit during a test", lines("aero: boot cpus=1", "=== RUN   a", "aero: halting").exit(1),
			[]string{"T/a FAIL"}, true,
			[]string{"the kernel stopped during a: QEMU exited (status 1: isa-debug-exit code 0) before the final PASS or FAIL (see a)",
				"serial output outside tests (last 1 lines):\n\taero: boot cpus=1"},
			"T/a", []string{"console: aero: halting\nQEMU exited (status 1: isa-debug-exit code 0) before the final PASS or FAIL\nlast 3 serial lines:\n\taero: boot cpus=1\n\t=== RUN   a\n\taero: halting"}},
		{"timeout during a test", lines("=== RUN   a", "=== RUN   a/b").hang(),
			[]string{"T/a FAIL", "T/a/b FAIL"}, true,
			[]string{"the kernel stopped during a/b: no final PASS or FAIL within 500ms: QEMU killed (see a/b)"},
			"T/a/b", []string{"no final PASS or FAIL within 500ms: QEMU killed\nlast 2 serial lines:"}},
		{"no final line, QEMU still running", lines("=== RUN   a", "--- PASS: a (0.00s)", "PASS").hang(),
			[]string{"T/a PASS"}, true,
			[]string{"in-kernel tests said PASS, but QEMU was still running 500ms after RunKTests began: killed"}, "", nil},
		{"PASS, but a failing exit code", lines("=== RUN   a", "--- PASS: a (0.00s)", "PASS", "aero: but then").exit(5),
			[]string{"T/a PASS"}, false,
			[]string{"in-kernel tests said PASS, but QEMU exited with status 5: isa-debug-exit code 2 (want isa-debug-exit code 0)", "\taero: but then"}, "", nil},
		{"FAIL without a failed test", lines("FAIL", "aero: ktest: ktest: no test named nosuch; registered: a, b").exit(3),
			nil, false,
			[]string{"in-kernel tests FAIL, but no test failed\nserial output outside tests (last 1 lines):\n\taero: ktest: ktest: no test named nosuch"}, "", nil},
		{"PASS with a failed test", lines("=== RUN   a", "--- FAIL: a (0.00s)", "PASS").exit(1),
			[]string{"T/a FAIL"}, false, []string{"the kernel said PASS, but these failed: a"}, "", nil},
		{"no tests", lines("PASS").exit(1),
			nil, false, []string{"the kernel ran no in-kernel tests"}, "", nil},
		{"a test without a result", lines("=== RUN   a", "=== RUN   b", "--- PASS: b (0.00s)", "FAIL").exit(3),
			[]string{"T/a FAIL", "T/b PASS"}, false, []string{"in-kernel tests FAIL: a"},
			"T/a", []string{"the kernel reported no result for a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := fakeQEMU(t, tc.body)
			r := record(t, func(r *rec) { runKTests(r, Boot(r, o), 500*time.Millisecond) })
			if got := r.tree(); !slices.Equal(got, tc.tree) {
				t.Errorf("subtests:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.tree, "\n"))
			}
			if !r.Failed() || r.fatal != tc.fatal {
				t.Errorf("parent: failed %v, fatal %v", r.Failed(), r.fatal)
			}
			wantText(t, "parent", r.text(), tc.parent...)
			if tc.current != "" {
				s := r.sub(tc.current)
				if s == nil {
					t.Fatalf("no subtest %s", tc.current)
				}
				wantText(t, tc.current, s.text(), tc.died...)
			}
		})
	}
}

// TestRunKTestsGoTest runs RunKTests under the real testing package, in a
// child go test, and reads its -v output: names, nesting, verdicts, logs.
func TestRunKTestsGoTest(t *testing.T) {
	if os.Getenv("QEMUTEST_CHILD") != "" {
		t.Skip("in the child")
	}
	o := fakeQEMU(t, lines(ktestOutput...).exit(3))
	cmd := exec.Command(os.Args[0], "-test.run=^TestKTestsChild$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "QEMUTEST_CHILD="+o.Binary)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Errorf("the child passed:\n%s", out)
	}
	var got []string
	for _, m := range regexp.MustCompile(`(?m)^\s*--- (\w+): (TestKTestsChild\S*)`).FindAllStringSubmatch(string(out), -1) {
		got = append(got, m[2]+" "+m[1])
	}
	want := []string{"TestKTestsChild FAIL"}
	for _, s := range ktestSubtests {
		want = append(want, "TestKTestsChild/"+strings.TrimPrefix(s, "T/"))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("child's results:\n%s\nwant\n%s\nchild output:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), out)
	}
	wantText(t, "child output", string(out),
		"=== RUN   TestKTestsChild/smp/parallel\n    console: aero: cpu 1 says hi\n    smp.go:50: want 2 CPUs, got 1\n        second line of the message\n",
		"--- SKIP: TestKTestsChild/sched/skipme", "in-kernel tests FAIL: smp/parallel, time/recover")
}

func TestKTestsChild(t *testing.T) {
	bin := os.Getenv("QEMUTEST_CHILD")
	if bin == "" {
		t.Skip("run by TestRunKTestsGoTest")
	}
	vm := Boot(t, fakeQEMUAt(bin))
	RunKTests(t, vm, 10*time.Second)
	fmt.Println("child: RunKTests returned")
}
