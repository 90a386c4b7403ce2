package ktest

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/gotest.golden from real go test -v output")

// scenarios are the scen* functions of scenarios_test.go, in source order
// (go test's order), under their go test names.
var scenarios = []struct {
	name string
	fn   func(*T)
}{
	{"TestPass", scenPass},
	{"TestFail", scenFail},
	{"TestSkip", scenSkip},
	{"TestSkipNow", scenSkipNow},
	{"TestSkipAfterError", scenSkipAfterError},
	{"TestFailOnly", scenFailOnly},
	{"TestSubtests", scenSubtests},
	{"TestSubtestNames", scenSubtestNames},
	{"TestSubtestFatal", scenSubtestFatal},
	{"TestSubtestsPass", scenSubtestsPass},
	{"TestHelper", scenHelper},
	{"TestSelfHelper", scenSelfHelper},
	{"TestEmptyLogs", scenEmptyLogs},
	{"TestCleanup", scenCleanup},
	{"TestCleanupAfterFatal", scenCleanupAfterFatal},
	{"TestGoroutineLog", scenGoroutineLog},
	{"TestName", scenName},
}

// withRegistry gives a test an empty registry, restored after it.
func withRegistry(t *testing.T) {
	t.Helper()
	regMu.Lock()
	saved := registry
	registry = map[string]func(*T){}
	regMu.Unlock()
	t.Cleanup(func() {
		regMu.Lock()
		registry = saved
		regMu.Unlock()
	})
}

// ktestScenarios runs the scenarios with ktest, in source order.
func ktestScenarios(t *testing.T) string {
	withRegistry(t)
	var names []string
	for _, s := range scenarios {
		Register(s.name, s.fn)
		names = append(names, s.name)
	}
	var out strings.Builder
	ok, err := Run(&out, strings.Join(names, ","))
	if err != nil || ok {
		t.Fatalf("Run = %v, %v; want false (some scenarios fail), nil", ok, err)
	}
	return out.String()
}

var durationRE = regexp.MustCompile(`\((\d+\.\d\d)s\)\n`)

// normalize replaces durations, which vary.
func normalize(s string) string { return durationRE.ReplaceAllString(s, "(X.XXs)\n") }

// TestGoldenOutput compares ktest's output with testdata/gotest.golden,
// which go test -v printed for the same tests (go test -update rewrites
// it that way).
func TestGoldenOutput(t *testing.T) {
	got := normalize(ktestScenarios(t))
	if *update {
		want, err := goTestTwin(t)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("testdata/gotest.golden", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("testdata/gotest.golden")
	if err != nil {
		t.Fatal(err)
	}
	compare(t, got, string(want))
}

// TestGoTestTwin compiles the scenarios as go tests, runs them with the
// host's go test -v and checks that ktest prints the same, byte for byte
// but for durations.
func TestGoTestTwin(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a go test binary")
	}
	want, err := goTestTwin(t)
	if err != nil {
		t.Fatal(err)
	}
	compare(t, normalize(ktestScenarios(t)), want)
}

// goTestTwin writes scenarios_test.go as a go test package and returns
// what go test -v prints for it, up to its PASS or FAIL line, normalized.
func goTestTwin(t *testing.T) (string, error) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(gobin); err != nil {
			t.Skip("no go command to compare with")
		}
	}
	src, err := os.ReadFile("scenarios_test.go")
	if err != nil {
		return "", err
	}
	lines := strings.Split(string(src), "\n")
	typeT := regexp.MustCompile(`\*T\b`)
	for i, l := range lines {
		switch {
		case l == "package ktest":
			l = "package twin"
		case l == `// twin: import "testing"`:
			l = `import "testing"`
		}
		l = typeT.ReplaceAllString(l, "*testing.T")
		lines[i] = strings.ReplaceAll(l, "func scen", "func Test")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module twin\n\ngo 1.22\n"), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "scenarios_test.go"), []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		return "", err
	}
	var names []string
	for _, s := range scenarios {
		names = append(names, s.name)
	}
	cmd := exec.Command(gobin, "test", "-v", "-count=1", "-run", "^("+strings.Join(names, "|")+")$", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=", "GOTOOLCHAIN=local", "GOPROXY=off")
	out, err := cmd.CombinedOutput()
	if _, exit := err.(*exec.ExitError); err != nil && !exit {
		return "", err
	}
	// Up to the first line that is PASS or FAIL: then go test's own
	// summary ("FAIL\ttwin\t0.01s").
	s := string(out)
	if i := strings.Index(s, "\nFAIL\n"); i >= 0 {
		s = s[:i+6]
	} else if i := strings.Index(s, "\nPASS\n"); i >= 0 {
		s = s[:i+6]
	} else {
		t.Fatalf("go test printed no PASS or FAIL line:\n%s", out)
	}
	// The twin must have run every scenario: a compile error would not.
	for _, n := range names {
		if !strings.Contains(s, "=== RUN   "+n+"\n") {
			t.Fatalf("go test did not run %s:\n%s", n, out)
		}
	}
	return normalize(s), nil
}

// compare reports the first line where got and want differ.
func compare(t *testing.T, got, want string) {
	t.Helper()
	if got == want {
		return
	}
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			t.Errorf("output differs from go test -v at line %d:\nktest:   %q\ngo test: %q\n\nktest's whole output:\n%s\ngo test's:\n%s",
				i+1, gl, wl, got, want)
			return
		}
	}
	t.Errorf("outputs differ (%d and %d bytes) %v", len(got), len(want), bytes.Equal([]byte(got), []byte(want)))
}
