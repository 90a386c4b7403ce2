package qemutest

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aerokernel/aero/core/report"
	"github.com/aerokernel/aero/qemu"
)

// In-kernel tests (core/ktest) print go test -v's output on the serial
// console and end QEMU through isa-debug-exit, code 0 when all passed:
//
//	=== RUN   time/sleep
//	    selftest.go:131: a log line, printed as logged
//	--- PASS: time/sleep (0.10s)
//	=== RUN   cpus/sub
//	=== RUN   cpus/sub/one
//	    selftest.go:40: a subtest's log line
//	=== NAME  cpus/sub
//	    selftest.go:42: the parent logs again
//	--- FAIL: cpus/sub (0.00s)
//	    --- FAIL: cpus/sub/one (0.00s)
//	FAIL
//
// A log line is an indented line while a test runs; it belongs to the
// innermost running test, or to the test the last "=== NAME" (or
// "=== CONT") line named. Results of subtests may come under their
// parent's, as go test prints them, or before it. Lines indented under a
// result line belong to that test too (the layout of go test without
// streaming, and of ktest before it streamed). A line at the left margin
// that is none of these, printed while a test runs, is kept in its log as
// "console: <line>"; outside tests it is KTestRun.Other.
//
// Names: a test is nested under the test running when its === RUN line
// comes, if its name extends that test's name by "/"; its subtest then
// has the rest of the name. A top-level kernel test whose name holds "/"
// ("smp/parallel") is not split into parent and child: t.Run keeps the
// "/" in the name, so its go test name is Parent/smp/parallel either way,
// and -run matches it level by level like any nesting. Names are passed to
// t.Run as printed (ktest already rewrites them as go test does; Go
// rewrites any white space to "_" again, and makes repeats unique).

// KTest is one in-kernel test as the kernel reported it.
type KTest struct {
	Name    string        // full name, as the kernel printed it
	Verdict string        // PASS, FAIL or SKIP; "" when the kernel printed no result
	Elapsed time.Duration // as the kernel reported it
	// Log holds its log lines, indentation relative to the test removed,
	// in order; a line the kernel printed to the console while the test
	// ran, not in the test output format, is there as "console: <line>".
	Log      []string
	Subtests []*KTest
	// Died says why the kernel stopped during this test (the innermost
	// test running when it did), with the end of the serial output.
	Died string

	parent *KTest
}

// KTestRun is what RunKTests read.
type KTestRun struct {
	Tests []*KTest // top-level tests in the order they ran
	// Final is the kernel's last word, PASS or FAIL; "" when it never
	// came (the kernel died, or the time ran out).
	Final string
	// Other holds the serial lines that belong to no test: before the
	// first, between tests and after Final.
	Other []string
	// Code is the isa-debug-exit code QEMU ended with, -1 when it did not
	// end that way or did not end.
	Code int
}

// Failed returns the full names of the tests, subtests included, that
// failed or gave no result.
func (r *KTestRun) Failed() []string {
	var out []string
	var walk func([]*KTest)
	walk = func(ts []*KTest) {
		for _, k := range ts {
			if k.Verdict == "FAIL" || k.Verdict == "" {
				out = append(out, k.Name)
			}
			walk(k.Subtests)
		}
	}
	walk(r.Tests)
	return out
}

var (
	ktRun    = regexp.MustCompile(`^=== RUN\s+(.*\S)\s*$`)
	ktName   = regexp.MustCompile(`^=== (?:NAME|CONT)\s+(.*\S)\s*$`)
	ktOther  = regexp.MustCompile(`^=== (PAUSE|CONT|NAME)\b`)
	ktResult = regexp.MustCompile(`^(\s*)--- (PASS|FAIL|SKIP): (\S.*?)(?: \(([^()]*)\))?\s*$`)
	ktFinal  = regexp.MustCompile(`^(PASS|FAIL)\s*$`)
)

// ktestParser turns ktest output into KTests, one line at a time.
type ktestParser struct {
	run     *KTestRun
	stack   []*KTest          // running tests, outermost first
	open    map[string]*KTest // tests without a verdict yet, by name
	last    *KTest            // the test whose result line came last: it takes the lines indented under it
	lastPad int               // that result line's indentation
	pending *KTest            // a top-level test with its result, still taking log lines and subtest results
	named   *KTest            // the test a "=== NAME" line named, when it is not running
}

func newKTestParser() *ktestParser {
	return &ktestParser{run: &KTestRun{Code: -1}, open: map[string]*KTest{}}
}

// feed takes one serial line and returns the top-level tests it finished.
func (p *ktestParser) feed(line string) (done []*KTest) {
	line = strings.TrimRight(line, "\r")
	if p.run.Final != "" {
		p.run.Other = append(p.run.Other, line)
		return nil
	}
	if m := ktResult.FindStringSubmatch(line); m != nil && m[3] != "" {
		name := m[3]
		// go test -v prints subtest results after their parent's: those
		// still belong to the pending test.
		if p.pending == nil || !strings.HasPrefix(name, p.pending.Name+"/") {
			done = p.endLog()
		}
		p.named = nil
		k := p.result(name, m[2])
		if secs, err := strconv.ParseFloat(strings.TrimSuffix(m[4], "s"), 64); err == nil && strings.HasSuffix(m[4], "s") {
			k.Elapsed = time.Duration(secs * float64(time.Second))
		}
		p.last, p.lastPad = k, len(m[1])
		if k.parent == nil {
			p.pending = k
		}
		return done
	}
	indent := len(line) - len(strings.TrimLeft(line, " \t"))
	switch {
	case ktRun.MatchString(line):
		p.named = nil
		done = p.endLog()
		return append(done, p.start(ktRun.FindStringSubmatch(line)[1])...)
	case ktName.MatchString(line):
		return p.name(ktName.FindStringSubmatch(line)[1])
	case ktOther.MatchString(line):
		return p.endLog()
	case ktFinal.MatchString(line):
		done = p.endLog()
		p.run.Final = strings.TrimSpace(line)
		return append(done, p.unwind(0)...)
	case indent > 0 && p.last != nil && indent > p.lastPad:
		p.last.Log = append(p.last.Log, dedent(line, p.lastPad+4))
		return nil
	case p.logTo() != nil:
		k := p.logTo()
		if p.named == nil { // a named test is the pending one: keep it
			done = p.endLog()
		}
		p.last = nil
		if indent > 0 || line == "" {
			k.Log = append(k.Log, dedent(line, 4))
		} else {
			k.Log = append(k.Log, "console: "+line)
		}
		return done
	default:
		done = p.endLog()
		p.run.Other = append(p.run.Other, line)
		return done
	}
}

// logTo returns the test that takes the log lines that come now: the one
// a "=== NAME" line named, else the innermost running test, else none.
func (p *ktestParser) logTo() *KTest {
	if p.named != nil {
		return p.named
	}
	return p.running()
}

// name handles "=== NAME name" (and "=== CONT name"): the lines that follow
// are name's. A running test's subtests have ended; a test handed out
// already takes no more lines (they are Other).
func (p *ktestParser) name(name string) []*KTest {
	p.last = nil
	for i := len(p.stack) - 1; i >= 0; i-- {
		if p.stack[i].Name == name {
			p.stack = p.stack[:i+1]
			p.named = nil
			return p.endLog()
		}
	}
	if k := p.pending; k != nil && (k.Name == name || strings.HasPrefix(name, k.Name+"/")) {
		p.named = p.find(k, name)
		return nil
	}
	done := p.endLog()
	p.named = nil
	return done
}

// find returns the test name in k's tree, or k.
func (p *ktestParser) find(k *KTest, name string) *KTest {
	if k.Name == name {
		return k
	}
	for _, s := range k.Subtests {
		if name == s.Name || strings.HasPrefix(name, s.Name+"/") {
			return p.find(s, name)
		}
	}
	return k
}

// parentDepth is how many running tests the test name nests under: those
// whose names it extends by "/".
func (p *ktestParser) parentDepth(name string) int {
	i := len(p.stack)
	for i > 0 && !strings.HasPrefix(name, p.stack[i-1].Name+"/") {
		i--
	}
	return i
}

// start begins the test name, nested under the running test its name
// extends, and returns the top-level test that ends with the others.
func (p *ktestParser) start(name string) []*KTest {
	done := p.unwind(p.parentDepth(name))
	k := &KTest{Name: name}
	p.add(k)
	p.stack = append(p.stack, k)
	return done
}

// add puts k in the tree, under the innermost running test.
func (p *ktestParser) add(k *KTest) {
	if n := len(p.stack); n > 0 {
		k.parent = p.stack[n-1]
		k.parent.Subtests = append(k.parent.Subtests, k)
	} else {
		p.run.Tests = append(p.run.Tests, k)
	}
	p.open[k.Name] = k
}

// result records the verdict of the test name and ends it, with its
// unfinished subtests. A result for no test the parser knows of is a test
// of its own, placed as its === RUN line would have placed it.
func (p *ktestParser) result(name, verdict string) *KTest {
	k := p.open[name]
	if k == nil {
		saved := p.stack
		p.stack = p.stack[:p.parentDepth(name)]
		k = &KTest{Name: name}
		p.add(k)
		p.stack = saved
	}
	delete(p.open, name)
	k.Verdict = verdict
	for i := len(p.stack) - 1; i >= 0; i-- {
		if p.stack[i] == k {
			p.stack = p.stack[:i]
			break
		}
	}
	return k
}

// unwind ends the running tests from depth i on, without a verdict, and
// hands out the top-level one among them.
func (p *ktestParser) unwind(i int) []*KTest {
	var done []*KTest
	if i == 0 && len(p.stack) > 0 {
		done = p.handOut(p.stack[0])
	}
	p.stack = p.stack[:i]
	return done
}

// endLog ends the log lines under the last result line and hands out the
// top-level test that finishes.
func (p *ktestParser) endLog() []*KTest {
	p.last = nil
	if k := p.pending; k != nil {
		p.pending = nil
		return p.handOut(k)
	}
	return nil
}

// handOut returns k, a finished top-level test, as a list; a result line
// for it or its subtests that still comes is a test of its own.
func (p *ktestParser) handOut(k *KTest) []*KTest {
	var forget func(*KTest)
	forget = func(k *KTest) {
		if p.open[k.Name] == k {
			delete(p.open, k.Name)
		}
		for _, s := range k.Subtests {
			forget(s)
		}
	}
	forget(k)
	return []*KTest{k}
}

// die ends the output: the innermost running test (if any) gets why, and
// the top-level tests not yet handed out are returned.
func (p *ktestParser) die(why string) []*KTest {
	done := p.endLog()
	if n := len(p.stack); n > 0 {
		p.stack[n-1].Died = why
	}
	return append(done, p.unwind(0)...)
}

// running returns the innermost running test, or nil.
func (p *ktestParser) running() *KTest {
	if n := len(p.stack); n > 0 {
		return p.stack[n-1]
	}
	return nil
}

func dedent(line string, n int) string {
	i := 0
	for i < len(line) && i < n && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	return line[i:]
}

// runner is what RunKTests needs of a test: testing.TB and subtests. The
// tests of this package put a recorder in for *testing.T.
type runner interface {
	testing.TB
	run(name string, f func(runner)) bool
}

type realT struct{ *testing.T }

func (r realT) run(name string, f func(runner)) bool {
	return r.T.Run(name, func(t *testing.T) { f(realT{t}) })
}

// RunKTests reads the in-kernel test output (core/ktest, booted with
// test=...) from the current serial position up to the final PASS or FAIL
// line and QEMU's exit, all within timeout, and runs each kernel test as a
// subtest of t as it finishes: it passes, fails or skips as the kernel
// said, with the kernel's log lines as its output. A kernel test without a
// result fails.
//
// Names: a kernel subtest (ktest's t.Run) is a subtest of its parent's
// subtest. A top-level kernel test whose name holds "/" ("smp/parallel")
// stays one subtest, named as printed: t.Run keeps the "/", so its go test
// name is TestX/smp/parallel, as if nested, and -run selects it level by
// level all the same. (The comment at the top of ktest.go has the details
// of the format read.)
//
// When the kernel dies first — a line matching PanicLine, QEMU's exit, the
// timeout (QEMU is then killed) — the test running then fails with why and
// the end of the serial output (a panic with its stack), and so does t,
// with the output outside tests. t fails too when the kernel said FAIL (its
// failed tests are named), ran no test, or QEMU's isa-debug-exit code is
// not 0 after PASS or 1 after FAIL. It returns what it read.
func RunKTests(t *testing.T, vm *VM, timeout time.Duration) *KTestRun {
	t.Helper()
	return runKTests(realT{t}, vm, timeout)
}

func runKTests(t runner, vm *VM, timeout time.Duration) *KTestRun {
	t.Helper()
	p := newKTestParser()
	deadline := time.Now().Add(timeout)
	for p.run.Final == "" {
		l, err := vm.next(deadline)
		var why, short string
		switch {
		case err == nil && PanicLine.MatchString(l.Text):
			why = "the kernel panicked:\n" + strings.Join(vm.collectPanic(l), "\n")
			short = "the kernel panicked: " + l.Text
		case errors.Is(err, qemu.ErrTimeout):
			vm.Kill()
			why = fmt.Sprintf("no final PASS or FAIL within %v: QEMU killed\n%s", timeout, tailText(vm.Tail(ReportLines)))
		case err != nil:
			why = fmt.Sprintf("QEMU exited (%s) before the final PASS or FAIL\n%s", vm.exitText(), tailText(vm.Tail(ReportLines)))
		default:
			for _, k := range p.feed(l.Text) {
				runKTest(t, k)
			}
			continue
		}
		if short == "" {
			short = firstLine(why)
		}
		// The test running gets the whole story, else t does.
		where, what := "between tests", why
		if len(p.run.Tests) == 0 {
			where = "before any test"
		}
		if k := p.running(); k != nil {
			where, what = "during "+k.Name, short+" (see "+k.Name+")"
		}
		for _, k := range p.die(why) {
			runKTest(t, k)
		}
		vm.markShown()
		t.Fatalf("qemutest: in-kernel tests: the kernel stopped %s: %s%s", where, what, otherText(p.run.Other))
	}
	for _, k := range p.endLog() {
		runKTest(t, k)
	}
	// The rest, up to QEMU's exit.
	for {
		l, err := vm.next(deadline)
		if errors.Is(err, qemu.ErrTimeout) {
			vm.Kill()
			vm.markShown()
			t.Fatalf("qemutest: in-kernel tests said %s, but QEMU was still running %v after RunKTests began: killed%s%s",
				p.run.Final, timeout, otherText(p.run.Other), vm.failureTail())
		}
		if err != nil {
			break
		}
		p.feed(l.Text)
	}
	if code, ok := report.DebugExitCode(vm.ExitStatus()); ok {
		p.run.Code = code
	}
	failed := p.run.Failed()
	switch {
	case p.run.Final == "FAIL" && len(failed) > 0:
		t.Errorf("qemutest: in-kernel tests FAIL: %s", strings.Join(failed, ", "))
	case p.run.Final == "FAIL":
		t.Errorf("qemutest: in-kernel tests FAIL, but no test failed%s", otherText(p.run.Other))
	case len(failed) > 0:
		t.Errorf("qemutest: the kernel said PASS, but these failed: %s", strings.Join(failed, ", "))
	case len(p.run.Tests) == 0:
		t.Errorf("qemutest: the kernel ran no in-kernel tests%s", otherText(p.run.Other))
	}
	want := 0
	if p.run.Final == "FAIL" {
		want = 1
	}
	if p.run.Code != want {
		t.Errorf("qemutest: in-kernel tests said %s, but QEMU exited with %s (want isa-debug-exit code %d)%s",
			p.run.Final, vm.exitText(), want, otherText(p.run.Other))
	}
	return p.run
}

// runKTest runs k and its subtests as subtests of t.
func runKTest(t runner, k *KTest) {
	name := k.Name
	if k.parent != nil {
		name = strings.TrimPrefix(name, k.parent.Name+"/")
	}
	t.run(name, func(t runner) {
		w := t.Output()
		for _, l := range k.Log {
			fmt.Fprintln(w, l)
		}
		for _, sub := range k.Subtests {
			runKTest(t, sub)
		}
		switch {
		case k.Died != "":
			t.Errorf("%s", k.Died)
		case k.Verdict == "":
			t.Errorf("the kernel reported no result for %s", k.Name)
		case k.Verdict == "FAIL":
			t.Fail()
		case k.Verdict == "SKIP":
			t.SkipNow()
		}
	})
}

// otherText is the serial output outside tests for a failure message,
// "\n"-led, at most ReportLines lines of it.
func otherText(other []string) string {
	if len(other) == 0 {
		return ""
	}
	s := other[max(len(other)-ReportLines, 0):]
	return fmt.Sprintf("\nserial output outside tests (last %d lines):\n\t%s", len(s), strings.Join(s, "\n\t"))
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}
