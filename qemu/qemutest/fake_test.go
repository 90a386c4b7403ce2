package qemutest

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/aerokernel/aero/qemu"
)

// The tests run a fake QEMU: a shell script that ignores its arguments,
// prints serial lines on stdout (and diagnostics on stderr), may sleep, and
// exits with a status as isa-debug-exit would ((v<<1)|1) or hangs.

// script is a fake QEMU's body.
type script struct{ b strings.Builder }

// serial prints lines on the serial console.
func (s *script) serial(lines ...string) *script {
	s.b.WriteString("cat <<'SERIAL_EOF'\n" + strings.Join(lines, "\n") + "\nSERIAL_EOF\n")
	return s
}

// stderr prints lines as QEMU's diagnostics.
func (s *script) stderr(lines ...string) *script {
	s.b.WriteString("cat >&2 <<'STDERR_EOF'\n" + strings.Join(lines, "\n") + "\nSTDERR_EOF\n")
	return s
}

func (s *script) sleep(secs string) *script {
	s.b.WriteString("sleep " + secs + "\n")
	return s
}

// exit ends with status (the debug-exit code v gives status v<<1|1).
func (s *script) exit(status int) string {
	return s.b.String() + fmt.Sprintf("exit %d\n", status)
}

// hang never ends (exec: killing QEMU kills the sleep).
func (s *script) hang() string {
	return s.b.String() + "exec sleep 600\n"
}

func lines(l ...string) *script { return new(script).serial(l...) }

// fakeQEMU writes body as a QEMU binary and returns Options running it.
func fakeQEMU(t *testing.T, body string) qemu.Options {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fake-qemu")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return fakeQEMUAt(path)
}

// fakeQEMUAt returns Options running the fake QEMU at path.
func fakeQEMUAt(path string) qemu.Options {
	return qemu.Options{Binary: path, Kernel: "k.elf", CPUs: 2, Memory: "1G"}
}

// rec is a recording testing.TB with subtests, so that tests can check how
// this package fails a test. Methods it does not override reach the real
// test, which none of this package's code should need.
type rec struct {
	testing.TB
	name string

	mu       sync.Mutex
	failed   bool
	skipped  bool
	fatal    bool // stopped by FailNow/Fatal
	out      strings.Builder
	subs     []*rec
	cleanups []func()
}

func (r *rec) Name() string { return r.name }
func (r *rec) Helper()      {}

func (r *rec) print(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.out.WriteString(strings.TrimSuffix(s, "\n") + "\n")
}

func (r *rec) Log(args ...any)                 { r.print(fmt.Sprintln(args...)) }
func (r *rec) Logf(format string, args ...any) { r.print(fmt.Sprintf(format, args...)) }
func (r *rec) Fail() {
	r.mu.Lock()
	r.failed = true
	r.mu.Unlock()
}
func (r *rec) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}
func (r *rec) FailNow() {
	r.Fail()
	r.mu.Lock()
	r.fatal = true
	r.mu.Unlock()
	runtime.Goexit()
}
func (r *rec) Error(args ...any)                 { r.Log(args...); r.Fail() }
func (r *rec) Errorf(format string, args ...any) { r.Logf(format, args...); r.Fail() }
func (r *rec) Fatal(args ...any)                 { r.Log(args...); r.FailNow() }
func (r *rec) Fatalf(format string, args ...any) { r.Logf(format, args...); r.FailNow() }
func (r *rec) SkipNow() {
	r.mu.Lock()
	r.skipped = true
	r.mu.Unlock()
	runtime.Goexit()
}
func (r *rec) Skip(args ...any)                 { r.Log(args...); r.SkipNow() }
func (r *rec) Skipf(format string, args ...any) { r.Logf(format, args...); r.SkipNow() }
func (r *rec) Skipped() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.skipped
}
func (r *rec) Cleanup(f func()) {
	r.mu.Lock()
	r.cleanups = append(r.cleanups, f)
	r.mu.Unlock()
}
func (r *rec) Output() io.Writer { return recWriter{r} }

type recWriter struct{ r *rec }

func (w recWriter) Write(p []byte) (int, error) {
	w.r.mu.Lock()
	defer w.r.mu.Unlock()
	w.r.out.Write(p)
	return len(p), nil
}

func (r *rec) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.String()
}

// run is runner.run: f runs on its own goroutine, as a subtest does.
func (r *rec) run(name string, f func(runner)) bool {
	sub := &rec{TB: r.TB, name: r.name + "/" + name}
	r.mu.Lock()
	r.subs = append(r.subs, sub)
	r.mu.Unlock()
	sub.do(func() { f(sub) })
	if sub.Failed() {
		r.Fail()
	}
	return !sub.Failed()
}

// do runs f on its own goroutine, then the cleanups, last first.
func (r *rec) do(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

// record runs f with a fresh recorder named name and returns it.
func record(t *testing.T, f func(r *rec)) *rec {
	r := &rec{TB: t, name: "T"}
	r.do(func() { f(r) })
	return r
}

// verdict is a subtest's result as go test names it.
func (r *rec) verdict() string {
	switch {
	case r.Failed():
		return "FAIL"
	case r.Skipped():
		return "SKIP"
	}
	return "PASS"
}

// tree lists every subtest below r as "name VERDICT", depth first.
func (r *rec) tree() []string {
	var out []string
	for _, s := range r.subs {
		out = append(out, s.name+" "+s.verdict())
		out = append(out, s.tree()...)
	}
	return out
}

// sub returns the subtest with the full name, or nil.
func (r *rec) sub(name string) *rec {
	for _, s := range r.subs {
		if s.name == name {
			return s
		}
		if f := s.sub(name); f != nil {
			return f
		}
	}
	return nil
}
