// Package ktest runs in-kernel tests and reports them in go test's verbose
// format, so that a host-side go test can turn each into a subtest.
//
// Kernel code registers tests from init():
//
//	func init() { ktest.Register("smp/parallel", testParallel) }
//
// and Boot, given test=all or test=a,b on the kernel command line, calls Run
// and exits QEMU with the result. Output, as go test -v prints it:
//
//	=== RUN   smp/parallel
//	    file.go:12: a log line
//	--- PASS: smp/parallel (0.01s)
//	PASS
//
// Tests run one at a time, in name order, each in its own goroutine; a
// test that panics fails (its panic value and stack are logged) and the
// others still run. The package is pure Go: host-testable.
package ktest

import (
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"
)

var registry = map[string]func(*T){}

// Register adds a test. It panics on an empty name, a name with white
// space or commas (the command line could not name it), or a duplicate:
// registration happens at init, so these are programming errors.
func Register(name string, fn func(*T)) {
	if name == "" || strings.ContainsAny(name, " \t\n,") {
		panic(fmt.Sprintf("ktest: invalid test name %q", name))
	}
	if fn == nil {
		panic("ktest: nil test " + name)
	}
	if _, dup := registry[name]; dup {
		panic("ktest: test " + name + " registered twice")
	}
	registry[name] = fn
}

// Names returns the registered test names, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// T is a test's handle, as testing.T.
type T struct {
	name     string
	w        io.Writer
	depth    int // 0 for a top-level test
	mu       sync.Mutex
	failed   bool
	skipped  bool
	finished bool
	logs     []string
	cleanups []func()
}

// Name returns the test's full name ("parent/child" for subtests).
func (t *T) Name() string { return t.name }

// Helper is accepted for compatibility with testing.T; log lines name the
// direct caller of Log/Error.
func (t *T) Helper() {}

func (t *T) log(s string) {
	_, file, line, ok := runtime.Caller(2)
	loc := "???:1"
	if ok {
		loc = fmt.Sprintf("%s:%d", filepath.Base(file), line)
	}
	s = strings.TrimSuffix(s, "\n")
	s = strings.ReplaceAll(s, "\n", "\n        ")
	t.mu.Lock()
	t.logs = append(t.logs, loc+": "+s)
	t.mu.Unlock()
}

// Log records a line, shown under the test's result.
func (t *T) Log(args ...any) { t.log(fmt.Sprintln(args...)) }

// Logf records a formatted line.
func (t *T) Logf(format string, args ...any) { t.log(fmt.Sprintf(format, args...)) }

// Fail marks the test failed and goes on.
func (t *T) Fail() {
	t.mu.Lock()
	t.failed = true
	t.mu.Unlock()
}

// Failed reports whether the test failed.
func (t *T) Failed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed
}

// Error is Log then Fail.
func (t *T) Error(args ...any) { t.log(fmt.Sprintln(args...)); t.Fail() }

// Errorf is Logf then Fail.
func (t *T) Errorf(format string, args ...any) { t.log(fmt.Sprintf(format, args...)); t.Fail() }

// FailNow marks the test failed and stops it (runtime.Goexit: call it from
// the test's goroutine).
func (t *T) FailNow() {
	t.Fail()
	t.mu.Lock()
	t.finished = true
	t.mu.Unlock()
	runtime.Goexit()
}

// Fatal is Log then FailNow.
func (t *T) Fatal(args ...any) { t.log(fmt.Sprintln(args...)); t.FailNow() }

// Fatalf is Logf then FailNow.
func (t *T) Fatalf(format string, args ...any) { t.log(fmt.Sprintf(format, args...)); t.FailNow() }

// SkipNow marks the test skipped and stops it.
func (t *T) SkipNow() {
	t.mu.Lock()
	t.skipped, t.finished = true, true
	t.mu.Unlock()
	runtime.Goexit()
}

// Skip is Log then SkipNow.
func (t *T) Skip(args ...any) { t.log(fmt.Sprintln(args...)); t.SkipNow() }

// Skipf is Logf then SkipNow.
func (t *T) Skipf(format string, args ...any) { t.log(fmt.Sprintf(format, args...)); t.SkipNow() }

// Skipped reports whether the test was skipped.
func (t *T) Skipped() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.skipped
}

// Cleanup registers f to run when the test ends, last registered first.
func (t *T) Cleanup(f func()) {
	t.mu.Lock()
	t.cleanups = append(t.cleanups, f)
	t.mu.Unlock()
}

// Run runs fn as the subtest name of t, waits for it and reports whether it
// passed. A failed subtest fails t.
func (t *T) Run(name string, fn func(*T)) bool {
	sub := &T{name: t.name + "/" + name, w: t.w, depth: t.depth + 1}
	ok := sub.run(fn)
	if !ok {
		t.Fail()
	}
	return ok
}

// run runs fn in its own goroutine and prints its result. go test prints a
// subtest's result (and logs) indented under its parent, after the
// parent's own === RUN line; ktest prints results as they complete, which
// matches go test -v for sequential tests.
func (t *T) run(fn func(*T)) bool {
	fmt.Fprintf(t.w, "=== RUN   %s\n", t.name)
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if r := recover(); r != nil {
				t.mu.Lock()
				t.failed = true
				t.logs = append(t.logs, fmt.Sprintf("panic: %v\n%s", r, indent(string(debug.Stack()))))
				t.mu.Unlock()
			}
			for i := len(t.cleanups) - 1; i >= 0; i-- {
				t.cleanups[i]()
			}
		}()
		fn(t)
	}()
	<-done
	d := time.Since(start)
	verdict := "PASS"
	switch {
	case t.Failed():
		verdict = "FAIL"
	case t.Skipped():
		verdict = "SKIP"
	}
	pad := strings.Repeat("    ", t.depth)
	fmt.Fprintf(t.w, "%s--- %s: %s (%.2fs)\n", pad, verdict, t.name, d.Seconds())
	t.mu.Lock()
	for _, l := range t.logs {
		fmt.Fprintf(t.w, "%s    %s\n", pad, l)
	}
	t.mu.Unlock()
	return verdict != "FAIL"
}

func indent(s string) string {
	return "        " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n        ")
}

// Run runs the tests filter names — "all", or a comma-separated list of
// exact names — writing go test -v output to w, and reports whether all
// passed. A name that matches no test is an error (nothing runs). The last
// line written is PASS or FAIL.
func Run(w io.Writer, filter string) (ok bool, err error) {
	var names []string
	if filter == "all" {
		names = Names()
	} else {
		var unknown []string
		for _, n := range strings.Split(filter, ",") {
			if _, found := registry[n]; !found {
				unknown = append(unknown, n)
			}
			names = append(names, n)
		}
		if len(unknown) > 0 {
			fmt.Fprintln(w, "FAIL")
			return false, fmt.Errorf("ktest: no test named %s; registered: %s",
				strings.Join(unknown, ", "), strings.Join(Names(), ", "))
		}
	}
	ok = true
	for _, n := range names {
		t := &T{name: n, w: w}
		if !t.run(registry[n]) {
			ok = false
		}
	}
	if ok {
		fmt.Fprintln(w, "PASS")
	} else {
		fmt.Fprintln(w, "FAIL")
	}
	return ok, nil
}
