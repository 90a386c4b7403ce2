package ktest

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// run registers tests (name, fn, name, fn, ...) in an empty registry and
// runs filter.
func run(t *testing.T, filter string, tests ...any) (string, bool, error) {
	t.Helper()
	withRegistry(t)
	for i := 0; i < len(tests); i += 2 {
		Register(tests[i].(string), tests[i+1].(func(*T)))
	}
	var out strings.Builder
	ok, err := Run(&out, filter)
	return out.String(), ok, err
}

func TestRegisterRejects(t *testing.T) {
	withRegistry(t)
	Register("dup", func(*T) {})
	for _, c := range []struct {
		name string
		fn   func(*T)
		want string
	}{
		{"", func(*T) {}, "a test needs a name"},
		{"a b", func(*T) {}, `test name "a b" has ' '`},
		{"a\tb", func(*T) {}, `has '\t'`},
		{"a,b", func(*T) {}, `has ','`},
		{"ctl\x01", func(*T) {}, `has '\x01'`},
		{"all", func(*T) {}, `"all" cannot name a test`},
		{"nil", nil, `Register("nil", nil)`},
		{"dup", func(*T) {}, `test "dup" registered twice`},
	} {
		func() {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, c.want) {
					t.Errorf("Register(%q) panicked with %v, want %q", c.name, r, c.want)
				}
			}()
			Register(c.name, c.fn)
		}()
	}
	equal(t, Names(), []string{"dup"})
}

func TestNames(t *testing.T) {
	withRegistry(t)
	equal(t, Names(), []string{})
	for _, n := range []string{"time/sleep", "acpi/clean", "cpus/parallel", "a/b/c", "é"} {
		Register(n, func(*T) {})
	}
	equal(t, Names(), []string{"a/b/c", "acpi/clean", "cpus/parallel", "time/sleep", "é"})
}

func TestRunSelect(t *testing.T) {
	var ran []string
	tests := []any{}
	for _, n := range []string{"c", "a", "b"} {
		tests = append(tests, n, func(t *T) { ran = append(ran, t.Name()) })
	}
	for _, c := range []struct {
		filter string
		want   []string
	}{
		{"all", []string{"a", "b", "c"}}, // name order
		{"b", []string{"b"}},
		{"c,a", []string{"c", "a"}},        // the order given
		{" b , ,a,b,", []string{"b", "a"}}, // trimmed, empty items dropped, once each
		{"a,all", []string{"a", "b", "c"}}, // all among names
		{"all,all", []string{"a", "b", "c"}},
	} {
		ran = nil
		out, ok, err := run(t, c.filter, tests...)
		if !ok || err != nil {
			t.Errorf("Run(%q) = %v, %v", c.filter, ok, err)
		}
		equal(t, ran, c.want)
		if !strings.HasSuffix(out, "\nPASS\n") {
			t.Errorf("Run(%q) output does not end with PASS:\n%s", c.filter, out)
		}
	}
}

func TestRunUnknown(t *testing.T) {
	ran := false
	fn := func(*T) { ran = true }
	for _, c := range []struct {
		filter, want string
	}{
		{"a,nope", `ktest: no test named "nope"; registered: a, b`},
		{"x,a,y", `ktest: no tests named "x", "y"; registered: a, b`},
		{"all,nope", `no test named "nope"`},
		{"", `ktest: test="" names no test (want all, or names from: a, b)`},
		{" , ", `names no test`},
	} {
		out, ok, err := run(t, c.filter, "a", fn, "b", fn)
		if ok || err == nil || err.Error() != c.want && !strings.Contains(err.Error(), c.want) {
			t.Errorf("Run(%q) = %v, %v; want false and an error %q", c.filter, ok, err, c.want)
		}
		if ran || out != "FAIL\n" {
			t.Errorf("Run(%q): ran %v, output %q; want nothing run, FAIL", c.filter, ran, out)
		}
	}
	_, _, err := run(t, "x")
	if err == nil || err.Error() != `ktest: no test named "x"; registered: none` {
		t.Errorf("no tests registered: %v", err)
	}
}

func TestRunEmpty(t *testing.T) {
	out, ok, err := run(t, "all")
	if !ok || err != nil || out != "PASS\n" {
		t.Errorf("Run(all) with no tests = %q, %v, %v", out, ok, err)
	}
}

var stackLine = regexp.MustCompile(`^        `)

func TestPanic(t *testing.T) {
	cleaned := false
	var logAt, panicAt, afterAt int
	out, ok, err := run(t, "all",
		"a/panics", func(t *T) {
			t.Cleanup(func() { cleaned = true })
			t.Log("before")
			logAt = line() - 1
			panicAt = line() + 1
			panic("boom")
		},
		"b/after", func(t *T) {
			t.Log("still runs")
			afterAt = line() - 1
		},
	)
	if ok || err != nil {
		t.Fatalf("Run = %v, %v; want false, nil", ok, err)
	}
	if !cleaned {
		t.Error("the cleanup did not run after the panic")
	}
	out = normalize(out)
	lines := strings.Split(out, "\n")
	equal(t, lines[:4], []string{"=== RUN   a/panics", fmt.Sprintf("    ktest_test.go:%d: before", logAt), "    panic: boom", "        goroutine " + lines[3][len("        goroutine "):]})
	// The stack, indented eight spaces, names the panicking function.
	i := 3
	for ; i < len(lines) && stackLine.MatchString(lines[i]); i++ {
	}
	stack := strings.Join(lines[3:i], "\n")
	if !strings.Contains(stack, "ktest.TestPanic.func") || !strings.Contains(stack, fmt.Sprintf("ktest_test.go:%d", panicAt)) {
		t.Errorf("stack does not show the panic:\n%s", stack)
	}
	equal(t, lines[i:], []string{
		"--- FAIL: a/panics (X.XXs)",
		"=== RUN   b/after",
		fmt.Sprintf("    ktest_test.go:%d: still runs", afterAt),
		"--- PASS: b/after (X.XXs)",
		"FAIL", "",
	})
}

// A panicking subtest fails; its parent goes on with the next subtest.
func TestPanicInSubtest(t *testing.T) {
	var at int
	out, ok, _ := run(t, "all", "p", func(t *T) {
		if t.Run("bad", func(t *T) { var m []int; _ = m[3] }) {
			t.Error("Run returned true")
		}
		t.Run("good", func(t *T) {})
		t.Log("parent goes on")
		at = line() - 1
	})
	if ok {
		t.Error("ok after a panic")
	}
	for _, want := range []string{
		"=== RUN   p/bad\n    panic: runtime error: index out of range [3] with length 0\n        goroutine ",
		fmt.Sprintf("=== RUN   p/good\n=== NAME  p\n    ktest_test.go:%d: parent goes on\n--- FAIL: p (X.XXs)\n    --- FAIL: p/bad (X.XXs)\n    --- PASS: p/good (X.XXs)\nFAIL\n", at),
	} {
		if !strings.Contains(normalize(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestPanicValues(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{errors.New("an error"), "    panic: an error\n"},
		{fmt.Errorf("wrapped: %w", io.EOF), "    panic: wrapped: EOF\n"},
		{42, "    panic: 42\n"},
		{"two\nlines", "    panic: two\n        lines\n        goroutine "},
		{nil, "    panic: panic called with nil argument"},
	} {
		out, ok, _ := run(t, "all", "p", func(*T) { panic(c.v) })
		if ok || !strings.Contains(out, c.want) {
			t.Errorf("panic(%#v): ok %v, output lacks %q:\n%s", c.v, ok, c.want, out)
		}
	}
}

func TestGoexit(t *testing.T) {
	out, ok, _ := run(t, "all", "g", func(*T) { runtime.Goexit() })
	want := "=== RUN   g\n    test executed runtime.Goexit without FailNow or SkipNow (FailNow from another test's goroutine?)\n--- FAIL: g (X.XXs)\nFAIL\n"
	if ok || normalize(out) != want {
		t.Errorf("ok %v, output\n%s\nwant\n%s", ok, out, want)
	}
}

// FailNow on the parent from a subtest ends the subtest's goroutine: the
// subtest fails and the parent is marked failed; nothing hangs.
func TestFailNowOnParent(t *testing.T) {
	out, ok, _ := run(t, "all", "p", func(p *T) {
		p.Run("c", func(*T) { p.FailNow() })
		p.Log("parent goes on")
	})
	if ok || !strings.Contains(out, "--- FAIL: p (") || !strings.Contains(out, "    --- FAIL: p/c (") || !strings.Contains(out, "runtime.Goexit") {
		t.Errorf("ok %v, output\n%s", ok, out)
	}
}

func TestCleanupPanicsAndGoexit(t *testing.T) {
	var order []int
	out, ok, _ := run(t, "all", "c", func(t *T) {
		t.Cleanup(func() { order = append(order, 1) })
		t.Cleanup(func() { order = append(order, 2); panic("in cleanup") })
		t.Cleanup(func() { order = append(order, 3); t.FailNow() })
		t.Cleanup(func() { order = append(order, 4); runtime.Goexit() })
		t.Cleanup(func() { order = append(order, 5) })
	})
	equal(t, order, []int{5, 4, 3, 2, 1})
	if ok || !strings.Contains(out, "    panic in Cleanup: in cleanup\n") || !strings.Contains(out, "--- FAIL: c (") {
		t.Errorf("ok %v, output\n%s", ok, out)
	}
}

// Log and Fail after the test has finished: printed, and the run fails.
func TestLateLogAndFail(t *testing.T) {
	release, finished := make(chan struct{}), make(chan struct{})
	var logAt, errAt int
	out, ok, _ := run(t, "a,b",
		"a", func(t *T) {
			go func() {
				<-release
				t.Log("late log")
				logAt = line() - 1
				t.Error("late error")
				errAt = line() - 1
				close(finished)
			}()
		},
		"b", func(*T) {
			close(release)
			<-finished
		},
	)
	want := "=== RUN   a\n--- PASS: a (X.XXs)\n=== RUN   b\n" +
		fmt.Sprintf("=== NAME  a\n    ktest_test.go:%d: late log\n    ktest_test.go:%d: late error\n", logAt, errAt) +
		fmt.Sprintf("    ktest_test.go:%d: Fail after a has completed\n", errAt) +
		"--- PASS: b (X.XXs)\nFAIL\n" // a result line names its test: no === NAME
	if ok || normalize(out) != want {
		t.Errorf("ok %v, output\n%s\nwant\n%s", ok, out, want)
	}
}

// Log lines from many goroutines at once come out whole.
func TestConcurrentLogs(t *testing.T) {
	out, ok, _ := run(t, "all", "c", func(t *T) {
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range 50 {
					t.Logf("goroutine %d line %d\nsecond line", i, j)
				}
			}()
		}
		wg.Wait()
	})
	if !ok {
		t.Fatal(out)
	}
	lines := strings.Split(out, "\n")
	n := 0
	for i, l := range lines {
		if strings.Contains(l, "goroutine ") {
			n++
			if !regexp.MustCompile(`^    ktest_test.go:\d+: goroutine \d line \d+$`).MatchString(l) || lines[i+1] != "        second line" {
				t.Fatalf("line %d mangled: %q, %q", i, l, lines[i+1])
			}
		}
	}
	if n != 400 {
		t.Errorf("%d log lines, want 400", n)
	}
}

func TestDuration(t *testing.T) {
	out, _, _ := run(t, "all", "slow", func(*T) { time.Sleep(30 * time.Millisecond) })
	m := regexp.MustCompile(`--- PASS: slow \((\d+)\.(\d\d)s\)`).FindStringSubmatch(out)
	if m == nil || m[1] != "0" || m[2] < "03" {
		t.Errorf("duration of a 30 ms test: %q", out)
	}
}

func TestNilWriter(t *testing.T) {
	withRegistry(t)
	Register("x", func(t *T) { t.Log("to nowhere") })
	if ok, err := Run(nil, "x"); !ok || err != nil {
		t.Errorf("Run(nil, x) = %v, %v", ok, err)
	}
}

func TestSkippedFailed(t *testing.T) {
	var failed, skipped []bool
	_, ok, _ := run(t, "all", "s", func(t *T) {
		defer func() { failed, skipped = append(failed, t.Failed()), append(skipped, t.Skipped()) }()
		failed, skipped = append(failed, t.Failed()), append(skipped, t.Skipped())
		t.Skip()
	})
	equal(t, failed, []bool{false, false})
	equal(t, skipped, []bool{false, true})
	if !ok {
		t.Error("a skipped test fails the run")
	}
}

func equal[S any](t *testing.T, got, want S) {
	t.Helper()
	if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", want) {
		t.Errorf("got  %#v\nwant %#v", got, want)
	}
}

// line returns the line it is called from.
func line() int {
	_, _, l, _ := runtime.Caller(1)
	return l
}
