// Package ktest runs in-kernel tests and reports them exactly as go test
// -v prints tests, so that people and tools read one format: the qemu
// module's boot tests turn each kernel test into a Go subtest.
//
// Kernel code registers tests from init():
//
//	func init() { ktest.Register("smp/parallel", testParallel) }
//
//	func testParallel(t *ktest.T) {
//		if n := runtime.NumCPU(); n < 2 {
//			t.Skipf("%d CPU", n)
//		}
//		...
//	}
//
// and core, given test=all or test=a,b on the kernel command line, calls
// Run and exits QEMU with its result. *T has the methods of testing.T that
// make sense in a kernel: Name, Log(f), Error(f), Fatal(f), Skip(f), Fail,
// FailNow, SkipNow, Failed, Skipped, Helper, Cleanup and Run for subtests.
// The package is pure Go (no tamago dependency) and is tested on the host.
//
// # Output
//
// As go test -v (Go 1.20 and later) prints it:
//
//	=== RUN   time/sleep
//	    selftest.go:131: slept 100ms in 100.2ms
//	--- PASS: time/sleep (0.10s)
//	=== RUN   cpus/sub
//	=== RUN   cpus/sub/one
//	    selftest.go:40: a log line
//	=== NAME  cpus/sub
//	    selftest.go:42: the parent logs again
//	--- FAIL: cpus/sub (0.00s)
//	    --- FAIL: cpus/sub/one (0.00s)
//	FAIL
//
// A log line is printed when it is logged, four spaces in, after the base
// name and line of its caller (skipping functions marked with Helper);
// further lines of a message are indented eight spaces. "=== NAME" says
// whose line follows when it is not the test that printed last. A test's
// result follows its "=== RUN" line and logs; its subtests' results are
// printed under it, indented four spaces a level, as go test does.
// Durations are in seconds with two decimals. The last line is PASS or
// FAIL. Subtest names are made as go test makes them: white space becomes
// _, unprintable runes are escaped, and a repeated name gets #01, #02, ...
//
// # Where ktest differs from go test
//
// A test that panics fails, and the run goes on: the panic value and the
// stack of the test's goroutine are logged under it (as "    panic: ..."
// then the stack, indented), its cleanups run, and a parent test goes on
// with its next subtest. (go test stops the whole binary.) A fatal error
// of the runtime, which no recover sees, still stops the kernel.
//
// A test whose goroutine ends without returning from the test function
// and without FailNow or SkipNow (runtime.Goexit, or FailNow called on the
// test from a subtest) fails with a line saying so.
//
// Log after a test has finished is printed under the test's name; Fail
// after it has finished is printed and fails the run (go test panics in
// both cases, which in a kernel would stop it).
//
// Tests run one at a time, each in its own goroutine; there is no
// Parallel, no timeout (a hung test hangs the run: the host's timeout ends
// it) and no benchmarks.
package ktest

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

var (
	regMu    sync.Mutex
	registry = map[string]func(*T){}
)

// Register adds a test. It panics on an empty name, a name with white
// space, a comma or an unprintable rune (the command line could not name
// it), the name "all", a nil function, or a name registered before:
// tests are registered at init, so these are programming errors.
func Register(name string, fn func(*T)) {
	if err := validName(name); err != nil {
		panic(err.Error())
	}
	if fn == nil {
		panic("ktest: Register(" + strconv.Quote(name) + ", nil)")
	}
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("ktest: test " + strconv.Quote(name) + " registered twice")
	}
	registry[name] = fn
}

func validName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("ktest: a test needs a name")
	case name == "all":
		return fmt.Errorf(`ktest: "all" cannot name a test: test=all runs every test`)
	}
	for _, r := range name {
		if r == ',' || unicode.IsSpace(r) || !strconv.IsPrint(r) {
			return fmt.Errorf("ktest: test name %q has %q: names must be printable, without white space or commas", name, r)
		}
	}
	return nil
}

// Names returns the registered test names, sorted.
func Names() []string {
	regMu.Lock()
	defer regMu.Unlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Run runs tests and writes their results to w in go test -v format,
// ending with a line PASS or FAIL; ok reports whether every test passed
// (skipped tests pass).
//
// filter is the value of the kernel command line's test= option: "all"
// runs every registered test, in name order (as Names); otherwise it is a
// comma-separated list of exact names, run in the order given (a repeated
// name runs once; white space around names and empty items are ignored;
// "all" among names means all). A name that is not registered, or a
// filter with no name at all, is an error (ok is false): then no test
// runs, and w gets only the line FAIL, the caller reporting err.
func Run(w io.Writer, filter string) (ok bool, err error) {
	if w == nil {
		w = io.Discard
	}
	names, err := selectTests(filter)
	if err != nil {
		fmt.Fprintln(w, "FAIL")
		return false, err
	}
	regMu.Lock()
	fns := make([]func(*T), len(names))
	for i, n := range names {
		fns[i] = registry[n]
	}
	regMu.Unlock()

	r := &runner{p: &printer{w: w}}
	ok = true
	for i, n := range names {
		t := &T{name: n, r: r}
		t.run(fns[i])
		if t.Failed() {
			ok = false
		}
	}
	r.mu.Lock()
	if r.lateFailure {
		ok = false
	}
	r.mu.Unlock()
	if ok {
		r.p.print("", "PASS\n")
	} else {
		r.p.print("", "FAIL\n")
	}
	return ok, nil
}

// selectTests resolves a filter to test names.
func selectTests(filter string) ([]string, error) {
	var names, unknown []string
	all := false
	for _, n := range strings.Split(filter, ",") {
		n = strings.TrimSpace(n)
		switch {
		case n == "":
		case n == "all":
			all = true
		case slices.Contains(names, n) || slices.Contains(unknown, n):
		default:
			regMu.Lock()
			_, found := registry[n]
			regMu.Unlock()
			if found {
				names = append(names, n)
			} else {
				unknown = append(unknown, n)
			}
		}
	}
	registered := "none"
	if r := Names(); len(r) > 0 {
		registered = strings.Join(r, ", ")
	}
	switch {
	case len(unknown) == 1:
		return nil, fmt.Errorf("ktest: no test named %q; registered: %s", unknown[0], registered)
	case len(unknown) > 1:
		return nil, fmt.Errorf("ktest: no tests named %s; registered: %s", quoteAll(unknown), registered)
	case all:
		return Names(), nil
	case len(names) == 0:
		return nil, fmt.Errorf("ktest: test=%q names no test (want all, or names from: %s)", filter, registered)
	}
	return names, nil
}

func quoteAll(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = strconv.Quote(x)
	}
	return strings.Join(q, ", ")
}

// runner is the state of one Run.
type runner struct {
	p           *printer
	mu          sync.Mutex
	lateFailure bool // a test failed after it finished
}

// printer writes to the output, saying "=== NAME" when a log line is not
// from the test that printed last (go test -v's rule).
type printer struct {
	mu   sync.Mutex
	w    io.Writer
	last string
}

// print writes s, which starts a test's own line (=== RUN, its result)
// or the final verdict: no === NAME before it.
func (p *printer) print(name, s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last = name
	io.WriteString(p.w, s)
}

// log writes a log line of test name.
func (p *printer) log(name, s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last != "" && p.last != name {
		fmt.Fprintf(p.w, "=== NAME  %s\n", name)
	}
	p.last = name
	io.WriteString(p.w, s)
}

// T is a test's handle: what testing.T is to a go test.
type T struct {
	name   string
	parent *T
	r      *runner

	mu       sync.Mutex
	failed   bool
	skipped  bool
	stopped  bool   // FailNow or SkipNow ended the test
	done     bool   // the result is out
	output   []byte // subtests' results, printed with this test's
	cleanups []func()
	helpers  map[string]bool
	subNames map[string]int
}

// Name returns the test's name: "parent/child" for a subtest.
func (t *T) Name() string { return t.name }

// Helper marks its caller as a helper function: log lines name the
// caller's caller instead (as testing.T.Helper).
func (t *T) Helper() {
	var pc [1]uintptr
	if runtime.Callers(2, pc[:]) == 0 {
		return
	}
	f, _ := runtime.CallersFrames(pc[:]).Next()
	t.mu.Lock()
	if t.helpers == nil {
		t.helpers = map[string]bool{}
	}
	t.helpers[f.Function] = true
	t.mu.Unlock()
}

func (t *T) isHelper(fn string) bool {
	for c := t; c != nil; c = c.parent {
		c.mu.Lock()
		h := c.helpers[fn]
		c.mu.Unlock()
		if h {
			return true
		}
	}
	return false
}

// methodPrefix begins the names of T's methods, which a log line never
// names; bodyFunc is (*T).body, which calls the test function: where the
// search for a log line's caller stops.
var methodPrefix, bodyFunc string

func init() {
	var pc [1]uintptr
	runtime.Callers(1, pc[:])
	f, _ := runtime.CallersFrames(pc[:]).Next() // ".../ktest.init.0"
	pkg := f.Function[:strings.LastIndex(f.Function, ".init")]
	methodPrefix = pkg + ".(*T)."
	bodyFunc = methodPrefix + "body"
}

// caller returns the file (base name) and line that a log line names:
// the first caller, from skip frames up, that is neither a method of T
// nor a helper. Reaching the test's runner (all helpers) names the test
// function itself, as testing does.
func (t *T) caller(skip int) (string, int) {
	var pc [64]uintptr
	n := runtime.Callers(skip+2, pc[:])
	frames := runtime.CallersFrames(pc[:n])
	var first, prev runtime.Frame
	for {
		f, more := frames.Next()
		if f.Function == bodyFunc {
			if prev.File != "" {
				return base(prev.File), prev.Line
			}
			break
		}
		if !strings.HasPrefix(f.Function, methodPrefix) {
			if first.File == "" {
				first = f
			}
			if !t.isHelper(f.Function) {
				return base(f.File), f.Line
			}
			prev = f
		}
		if !more {
			break
		}
	}
	if first.File == "" {
		return "???", 1
	}
	return base(first.File), first.Line
}

func base(file string) string {
	if i := strings.LastIndexAny(file, `/\`); i >= 0 {
		return file[i+1:]
	}
	return file
}

// decorate formats a log message as go test does.
func decorate(file string, line int, s string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "    %s:%d: ", file, line)
	writeIndented(&b, s)
	return b.String()
}

// writeIndented writes s, further lines indented eight spaces, and a
// newline; a final newline of s is dropped first.
func writeIndented(b *strings.Builder, s string) {
	lines := strings.Split(s, "\n")
	if n := len(lines); n > 1 && lines[n-1] == "" {
		lines = lines[:n-1]
	}
	for i, l := range lines {
		if i > 0 {
			b.WriteString("\n        ")
		}
		b.WriteString(l)
	}
	b.WriteByte('\n')
}

// log prints a message as from the caller skip frames above log's caller.
func (t *T) log(s string, skip int) {
	file, line := t.caller(skip + 1)
	t.r.p.log(t.name, decorate(file, line, s))
}

// Log formats its arguments as fmt.Sprintln and prints them under the test.
func (t *T) Log(args ...any) { t.log(fmt.Sprintln(args...), 1) }

// Logf formats its arguments as fmt.Sprintf and prints them under the test.
func (t *T) Logf(format string, args ...any) { t.log(fmt.Sprintf(format, args...), 1) }

// Fail marks the test, and its parents, failed; the test goes on.
func (t *T) Fail() {
	t.mu.Lock()
	late := t.done
	t.failed = true
	t.mu.Unlock()
	if late {
		t.r.mu.Lock()
		t.r.lateFailure = true
		t.r.mu.Unlock()
		file, line := t.caller(1)
		t.r.p.log(t.name, decorate(file, line, "Fail after "+t.name+" has completed"))
	}
	if t.parent != nil {
		t.parent.Fail()
	}
}

// Failed reports whether the test has failed.
func (t *T) Failed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed
}

// FailNow marks the test failed and stops it by runtime.Goexit: its
// cleanups run, then the next test. Call it from the test's goroutine.
func (t *T) FailNow() {
	t.Fail()
	t.mu.Lock()
	t.stopped = true
	t.mu.Unlock()
	runtime.Goexit()
}

// Error is Log then Fail.
func (t *T) Error(args ...any) { t.log(fmt.Sprintln(args...), 1); t.Fail() }

// Errorf is Logf then Fail.
func (t *T) Errorf(format string, args ...any) { t.log(fmt.Sprintf(format, args...), 1); t.Fail() }

// Fatal is Log then FailNow.
func (t *T) Fatal(args ...any) { t.log(fmt.Sprintln(args...), 1); t.FailNow() }

// Fatalf is Logf then FailNow.
func (t *T) Fatalf(format string, args ...any) { t.log(fmt.Sprintf(format, args...), 1); t.FailNow() }

// SkipNow marks the test skipped and stops it by runtime.Goexit. A test
// that failed before is still reported failed.
func (t *T) SkipNow() {
	t.mu.Lock()
	t.skipped, t.stopped = true, true
	t.mu.Unlock()
	runtime.Goexit()
}

// Skip is Log then SkipNow.
func (t *T) Skip(args ...any) { t.log(fmt.Sprintln(args...), 1); t.SkipNow() }

// Skipf is Logf then SkipNow.
func (t *T) Skipf(format string, args ...any) { t.log(fmt.Sprintf(format, args...), 1); t.SkipNow() }

// Skipped reports whether the test was skipped.
func (t *T) Skipped() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.skipped
}

// Cleanup registers f to run when the test and its subtests have
// finished, in the test's goroutine; cleanups run last registered first,
// also after a panic or FailNow.
func (t *T) Cleanup(f func()) {
	t.mu.Lock()
	t.cleanups = append(t.cleanups, f)
	t.mu.Unlock()
}

// Run runs fn as a subtest of t named t.Name()+"/"+name (name made unique
// and printable as go test does) in its own goroutine, waits for it and
// reports whether it did not fail. A failing subtest fails t.
func (t *T) Run(name string, fn func(*T)) bool {
	sub := &T{name: t.name + "/" + t.uniqueName(rewrite(name)), parent: t, r: t.r}
	sub.run(fn)
	return !sub.Failed()
}

// rewrite makes a subtest name printable: white space becomes _ and
// unprintable runes are escaped as in a Go string literal.
func rewrite(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			b.WriteByte('_')
		case !strconv.IsPrint(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// uniqueName returns name, or name#01, name#02, ... when taken (and #00
// for an empty name), among t's subtests.
func (t *T) uniqueName(name string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.subNames == nil {
		t.subNames = map[string]int{}
	}
	forceSuffix := name == ""
	for {
		n, taken := t.subNames[name]
		if !taken && !forceSuffix {
			t.subNames[name] = 1
			return name
		}
		t.subNames[name] = n + 1
		name = fmt.Sprintf("%s#%02d", name, n)
		forceSuffix = false
	}
}

// run prints === RUN, runs fn in its own goroutine, waits, and reports.
func (t *T) run(fn func(*T)) {
	t.r.p.print(t.name, "=== RUN   "+t.name+"\n")
	start := time.Now()
	done := make(chan struct{})
	go t.body(fn, done)
	<-done
	t.report(time.Since(start))
}

// body runs the test function, then its cleanups, whether fn returns,
// calls FailNow or SkipNow, or panics.
func (t *T) body(fn func(*T), done chan struct{}) {
	defer close(done)
	defer t.runCleanups()
	returned := false
	defer func() {
		if returned {
			return
		}
		if v := recover(); v != nil {
			t.panicked(v, debug.Stack())
			return
		}
		t.mu.Lock()
		stopped := t.stopped
		t.mu.Unlock()
		if !stopped {
			t.failLine("test executed runtime.Goexit without FailNow or SkipNow (FailNow from another test's goroutine?)")
		}
	}()
	fn(t)
	returned = true
}

// failLine prints a message of ktest's own under the test and fails it.
func (t *T) failLine(msg string) {
	var b strings.Builder
	b.WriteString("    ")
	writeIndented(&b, msg)
	t.r.p.log(t.name, b.String())
	t.Fail()
}

// panicked reports a recovered panic: its value and the stack.
func (t *T) panicked(v any, stack []byte) {
	t.failLine(fmt.Sprintf("panic: %v\n%s", v, strings.TrimRight(string(stack), "\n")))
}

// runCleanups runs the cleanups, last first. Each runs from a deferred
// call, so that one that panics or calls runtime.Goexit does not keep the
// others from running.
func (t *T) runCleanups() {
	t.mu.Lock()
	n := len(t.cleanups)
	if n == 0 {
		t.mu.Unlock()
		return
	}
	f := t.cleanups[n-1]
	t.cleanups = t.cleanups[:n-1]
	t.mu.Unlock()
	defer t.runCleanups()
	defer func() {
		if v := recover(); v != nil {
			t.failLine(fmt.Sprintf("panic in Cleanup: %v\n%s", v, strings.TrimRight(string(debug.Stack()), "\n")))
		}
	}()
	f()
}

// report prints the result: a top-level test's straight out, a subtest's
// into its parent's output, indented, to follow the parent's result.
func (t *T) report(d time.Duration) {
	t.mu.Lock()
	verdict := "PASS"
	switch {
	case t.failed:
		verdict = "FAIL"
	case t.skipped:
		verdict = "SKIP"
	}
	s := fmt.Sprintf("--- %s: %s (%.2fs)\n", verdict, t.name, d.Seconds()) + string(t.output)
	t.output = nil
	t.done = true
	t.mu.Unlock()
	if t.parent == nil {
		t.r.p.print(t.name, s)
		return
	}
	t.parent.mu.Lock()
	for _, l := range strings.SplitAfter(s, "\n") {
		if l != "" {
			t.parent.output = append(t.parent.output, "    "+l...)
		}
	}
	t.parent.mu.Unlock()
}
