package ktest

// The scen* functions are tests that ktest runs here and that
// TestGoTestTwin also compiles as go tests (*T becoming *testing.T, scen
// becoming Test, the line below becoming an import of testing, every line
// where it is), to check that both print the same. Keep them to what both
// do alike: no panics, no Goexit.
// twin: import "testing"

import (
	"fmt"
	"sync"
)

func scenPass(t *T) {
	t.Logf("hello %d", 1)
	t.Log("two", "words", 3)
	t.Log("two\nlines")
}

func scenFail(t *T) {
	t.Error("first")
	t.Errorf("second: %v", fmt.Errorf("wrapped"))
	t.Fatalf("stop here")
	t.Error("not reached")
}

func scenSkip(t *T) {
	t.Skipf("not on %s", "this machine")
	t.Error("not reached")
}

func scenSkipNow(t *T) {
	t.SkipNow()
}

func scenSkipAfterError(t *T) {
	t.Error("failed first")
	t.Skip("then skipped: still a failure")
}

func scenFailOnly(t *T) {
	t.Fail()
	if !t.Failed() {
		t.Error("Failed is false after Fail")
	}
}

func scenSubtests(t *T) {
	t.Log("parent before")
	t.Run("ok", func(t *T) { t.Log("in ok") })
	t.Run("bad", func(t *T) {
		t.Run("deep", func(t *T) { t.Error("deep failure") })
		t.Run("deep ok", func(t *T) {})
	})
	t.Run("skip", func(t *T) { t.Skip("skipped child") })
	t.Log("parent after")
}

func scenSubtestNames(t *T) {
	t.Run("a", func(t *T) {})
	t.Run("a", func(t *T) {})
	t.Run("a#01", func(t *T) {})
	t.Run("", func(t *T) {})
	t.Run("", func(t *T) {})
	t.Run("has space\tand tab", func(t *T) {})
	t.Run("ctl\x01é", func(t *T) {})
	t.Run("nested/slash", func(t *T) { t.Log(t.Name()) })
}

func scenSubtestFatal(t *T) {
	ok := t.Run("fatal", func(t *T) { t.Fatal("stop the child") })
	t.Logf("Run returned %v, parent Failed %v", ok, t.Failed())
	t.Run("skip", func(t *T) { t.SkipNow() })
	t.Skip("parent skips")
}

func scenSubtestsPass(t *T) {
	if !t.Run("one", func(t *T) {}) {
		t.Error("Run returned false")
	}
	t.Run("two", func(t *T) {
		t.Run("three", func(t *T) { t.Log("deepest") })
	})
}

func logHelper(t *T, msg string) {
	t.Helper()
	t.Log(msg)
}

func twoLevelHelper(t *T) {
	t.Helper()
	logHelper(t, "through two helpers")
}

func notHelper(t *T) {
	t.Log("from a function that is not a helper")
}

func scenHelper(t *T) {
	logHelper(t, "from a helper")
	twoLevelHelper(t)
	notHelper(t)
	func() {
		t.Helper()
		t.Log("from a helper closure")
	}()
}

func scenSelfHelper(t *T) {
	t.Helper()
	t.Log("the test function itself marked as a helper")
}

func scenEmptyLogs(t *T) {
	t.Log()
	t.Log("trailing\n")
	t.Logf("")
	t.Logf("%s", "a\n\nb\n")
}

func scenCleanup(t *T) {
	t.Cleanup(func() { t.Log("cleanup 1 (runs last)") })
	t.Cleanup(func() { t.Log("cleanup 2 (runs first)") })
	t.Run("sub", func(t *T) {
		t.Cleanup(func() { t.Log("sub cleanup") })
		t.Log("in sub")
	})
}

func scenCleanupAfterFatal(t *T) {
	t.Cleanup(func() { t.Log("cleanup after Fatal") })
	t.Fatal("fatal")
}

func scenGoroutineLog(t *T) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t.Log("from another goroutine")
	}()
	wg.Wait()
	t.Log("back")
}

func scenName(t *T) {
	t.Log(t.Name())
	t.Run("x", func(t *T) { t.Log(t.Name()) })
}
