package ktest

import (
	"regexp"
	"strings"
	"testing"
)

func reset(t *testing.T) {
	saved := registry
	registry = map[string]func(*T){}
	t.Cleanup(func() { registry = saved })
}

// normalise replaces durations, which vary.
var durations = regexp.MustCompile(`\(\d+\.\d\ds\)`)

func TestRunOutput(t *testing.T) {
	reset(t)
	Register("b/pass", func(t *T) { t.Logf("hello %d", 1) })
	Register("a/fail", func(t *T) {
		t.Error("first")
		t.Fatalf("stop")
		t.Error("not reached")
	})
	Register("c/skip", func(t *T) { t.Skip("not here") })
	Register("d/panic", func(t *T) { panic("boom") })
	Register("e/sub", func(t *T) {
		t.Run("ok", func(t *T) {})
		t.Run("bad", func(t *T) { t.Fail() })
	})
	cleaned := false
	Register("f/cleanup", func(t *T) { t.Cleanup(func() { cleaned = true }) })

	var out strings.Builder
	ok, err := Run(&out, "all")
	if err != nil || ok {
		t.Fatalf("Run = %v, %v; want false, nil", ok, err)
	}
	if !cleaned {
		t.Error("cleanup did not run")
	}
	got := durations.ReplaceAllString(out.String(), "(X)")
	for _, want := range []string{
		"=== RUN   a/fail\n--- FAIL: a/fail (X)\n    ktest_test.go:22: first\n    ktest_test.go:23: stop\n",
		"=== RUN   b/pass\n--- PASS: b/pass (X)\n    ktest_test.go:20: hello 1\n",
		"=== RUN   c/skip\n--- SKIP: c/skip (X)\n    ktest_test.go:26: not here\n",
		"--- FAIL: d/panic (X)\n    panic: boom\n",
		"=== RUN   e/sub/ok\n    --- PASS: e/sub/ok (X)\n=== RUN   e/sub/bad\n    --- FAIL: e/sub/bad (X)\n--- FAIL: e/sub (X)\n",
		"--- PASS: f/cleanup (X)\nFAIL\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks\n%s\ngot:\n%s", want, got)
		}
	}
	if strings.Contains(got, "not reached") {
		t.Error("Fatalf did not stop the test")
	}
	if strings.Index(got, "a/fail") > strings.Index(got, "b/pass") {
		t.Error("tests not in name order")
	}
}

func TestRunNamed(t *testing.T) {
	reset(t)
	ran := ""
	Register("x", func(t *T) { ran += "x" })
	Register("y", func(t *T) { ran += "y" })
	var out strings.Builder
	if ok, err := Run(&out, "y"); !ok || err != nil || ran != "y" || !strings.HasSuffix(out.String(), "PASS\n") {
		t.Fatalf("Run(y) = %v, %v; ran %q; out %q", ok, err, ran, out.String())
	}
	ran = ""
	ok, err := Run(&out, "x,nope")
	if ok || err == nil || ran != "" {
		t.Fatalf("unknown name: ok %v err %v ran %q", ok, err, ran)
	}
	if !strings.Contains(err.Error(), "nope") || !strings.Contains(err.Error(), "x, y") {
		t.Errorf("error %q should name the unknown test and list the registered ones", err)
	}
}

func TestRegisterRejects(t *testing.T) {
	reset(t)
	Register("dup", func(*T) {})
	for _, name := range []string{"", "a b", "a,b", "dup"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q) did not panic", name)
				}
			}()
			Register(name, func(*T) {})
		}()
	}
}
