// Package qemutest boots Aero kernels under QEMU from Go tests:
// BuildConfig builds a kernel config of the tree (once per test binary),
// Boot starts QEMU for a test and ends it with the test, Expect and
// WaitExit fail the test with the guest's last serial lines (killing a hung
// guest at its timeout), CheckSummary compares the boot summary with what
// QEMU was given, and RunKTests turns the kernel's in-kernel tests into
// subtests.
//
//	func TestBoot(t *testing.T) {
//		elf := qemutest.BuildConfig(t, "configs/ktest")
//		vm := qemutest.Boot(t, qemu.Options{Kernel: elf, CPUs: 4, Nodes: 2, Append: "test=all"})
//		vm.CheckSummary(time.Minute, 1)
//		qemutest.RunKTests(t, vm, 3*time.Minute)
//	}
//
// A kernel panic (a line matching PanicLine) fails RunKTests with the panic
// and its stack; vm.FailOnPanic() makes Expect and WaitExit fail on it too.
// Every method that fails the test calls t.Fatalf or t.Errorf, so it must be
// called from the test's goroutine.
//
// Environment:
//   - AERO_QEMU_ECHO=1 copies every serial line to the test log as it
//     arrives (shown with -v, or when the test fails).
//   - AERO_QEMU_ACCEL sets the accelerator of a Boot whose Options leave it
//     empty (tcg when unset; auto tries KVM, see qemu.Start).
package qemutest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aerokernel/aero/core/report"
	"github.com/aerokernel/aero/qemu"
)

// ReportLines is how many serial lines a failure report shows.
const ReportLines = 40

// Panic stack collection: after a "panic:" or "fatal error:" line, the lines
// that follow are taken as its stack until QEMU exits, panicLines lines
// were read, or no line came for panicQuiet.
var (
	panicLines = 200
	panicQuiet = 2 * time.Second
)

// PanicLine matches the first line of a kernel panic or fatal runtime error.
// It must start the line: a panic that ktest recovered inside a test is
// logged indented and does not match.
var PanicLine = regexp.MustCompile(`^(panic: |fatal error: )`)

// VM is a QEMU started by Boot. The embedded qemu.VM gives the command
// line, the accelerator, Lines, Tail, Stderr, Kill and the error-returning
// Expect and Wait (as vm.VM.Expect and vm.Wait); the methods here fail the
// test instead.
type VM struct {
	*qemu.VM
	// Options are those QEMU was started with (Accel and DebugExit set).
	Options qemu.Options

	t           testing.TB
	failOnPanic bool

	// timedOut is set when Expect or WaitExit killed QEMU at its timeout.
	timedOut bool

	mu    sync.Mutex
	shown int // serial lines when a failure message last showed the tail
}

// anyLine matches every line: Expect with it reads the next line.
var anyLine = regexp.MustCompile(``)

// Boot starts QEMU for opts and ends it when the test ends. It adds
// isa-debug-exit (Options.DebugExit) and, when opts.Accel is empty, uses
// $AERO_QEMU_ACCEL or else TCG. When the test has failed by its end, the
// cleanup logs the command line, the accelerator, QEMU's stderr and the last
// ReportLines serial lines (unless a failure message of this VM showed them
// and no line came since). It fails the test when QEMU cannot be started.
func Boot(t testing.TB, opts qemu.Options) *VM {
	t.Helper()
	if opts.Accel == "" {
		opts.Accel = os.Getenv("AERO_QEMU_ACCEL")
	}
	if opts.Accel == "" {
		opts.Accel = qemu.AccelTCG
	}
	opts.DebugExit = true
	var echo *echoWriter
	var w io.Writer
	if os.Getenv("AERO_QEMU_ECHO") == "1" {
		echo = &echoWriter{t: t}
		w = echo
	}
	ctx, cancel := context.WithCancel(context.Background())
	qvm, err := qemu.StartEcho(ctx, opts, w)
	if err != nil {
		cancel()
		t.Fatalf("qemutest: %v", err)
	}
	vm := &VM{VM: qvm, Options: opts, t: t, shown: -1}
	if qvm.Fallback != "" {
		t.Logf("qemutest: KVM abandoned for TCG: %s", qvm.Fallback)
	}
	t.Cleanup(func() {
		echo.stop()
		running := vm.exitText() == "still running"
		qvm.Kill()
		cancel()
		if t.Failed() {
			t.Log(vm.report(running))
		}
	})
	return vm
}

// FailOnPanic makes Expect fail the test as soon as the kernel prints a
// line matching PanicLine that is not the line it waits for, with the panic
// and the stack lines after it; and WaitExit fail the same way when such a
// line came after the last Expect. It returns vm.
func (vm *VM) FailOnPanic() *VM {
	vm.failOnPanic = true
	return vm
}

// Expect waits up to timeout for a serial line matching pattern (a string,
// compiled as a regexp, or a *regexp.Regexp), searching the lines after the
// previous match, and returns the line (text and host arrival time) and the
// submatches. It fails the test with the last serial lines when QEMU exits
// or the timeout passes first; at the timeout it kills QEMU, so that a hung
// guest does not hold the machine until the test ends and later Expects
// fail at once.
func (vm *VM) Expect(pattern any, timeout time.Duration) (qemu.Line, []string) {
	vm.t.Helper()
	var re *regexp.Regexp
	switch p := pattern.(type) {
	case *regexp.Regexp:
		re = p
	case string:
		var err error
		if re, err = regexp.Compile(p); err != nil {
			vm.t.Fatalf("qemutest: Expect: %v", err)
		}
	default:
		vm.t.Fatalf("qemutest: Expect: pattern %#v is neither a string nor a *regexp.Regexp", pattern)
	}
	deadline := time.Now().Add(timeout)
	for {
		l, err := vm.next(deadline)
		if err != nil {
			if errors.Is(err, qemu.ErrTimeout) {
				vm.killAtTimeout()
				vm.t.Fatalf("qemutest: no serial line matched %q within %v: QEMU killed%s", re, timeout, vm.failureTail())
			}
			vm.t.Fatalf("qemutest: QEMU exited (%s) before a serial line matched %q%s", vm.exitText(), re, vm.failureTail())
		}
		if m := re.FindStringSubmatch(l.Text); m != nil {
			return l, m
		}
		if vm.failOnPanic && PanicLine.MatchString(l.Text) {
			vm.t.Fatalf("qemutest: the kernel panicked while Expect waited for %q:\n%s", re, strings.Join(vm.collectPanic(l), "\n"))
		}
	}
}

// WaitExit waits up to timeout (0: no limit) for QEMU to exit and returns
// the value the guest wrote to isa-debug-exit (status (v<<1)|1 gives v). It
// fails the test, with the last serial lines, when the timeout passes (QEMU
// is killed), when QEMU did not exit through isa-debug-exit (another
// status, a signal), or when status 1 comes from QEMU itself: the guest
// printed nothing and QEMU printed on stderr.
func (vm *VM) WaitExit(timeout time.Duration) int {
	vm.t.Helper()
	status, err := vm.Wait(timeout)
	if err != nil {
		if errors.Is(err, qemu.ErrTimeout) {
			vm.killAtTimeout() // qemu.VM.Wait killed it; note why
			vm.t.Fatalf("qemutest: QEMU still running after %v: killed%s", timeout, vm.failureTail())
		}
		vm.t.Fatalf("qemutest: QEMU ended abnormally (%s)%s", vm.exitText(), vm.failureTail())
	}
	if vm.failOnPanic {
		if l, _, err := vm.VM.Expect(PanicLine, 0); err == nil {
			vm.t.Fatalf("qemutest: the kernel panicked (QEMU %s):\n%s", vm.exitText(), strings.Join(vm.collectPanic(l), "\n"))
		}
	}
	code, ok := report.DebugExitCode(status)
	if !ok {
		vm.t.Fatalf("qemutest: QEMU exited with status %d, not through isa-debug-exit%s", status, vm.failureTail())
	}
	if status == 1 && len(vm.Lines()) == 0 && len(vm.Stderr()) > 0 {
		vm.t.Fatalf("qemutest: QEMU failed (status 1) before the guest printed anything%s", vm.failureTail())
	}
	return code
}

// ExpectSummary waits up to timeout for the boot line and then for each of
// its node lines, and returns them parsed. It fails the test on a
// malformed summary (see qemu.ParseSummary).
func (vm *VM) ExpectSummary(timeout time.Duration) qemu.Summary {
	vm.t.Helper()
	boot, _ := vm.Expect(`^\s*aero: boot\b`, timeout)
	lines := []string{boot.Text}
	b, err := report.ParseBootLine(boot.Text)
	if err != nil {
		vm.t.Fatalf("qemutest: %v%s", err, vm.failureTail())
	}
	for range b.Nodes {
		l, _ := vm.Expect(`^\s*aero: node\b`, timeout)
		lines = append(lines, l.Text)
	}
	s, err := report.ParseSummary(lines)
	if err != nil {
		vm.t.Fatalf("qemutest: %v%s", err, vm.failureTail())
	}
	return s
}

// CheckSummary is ExpectSummary followed by qemu.CheckSummary against the
// Options QEMU was started with: each mismatch fails the test (t.Errorf,
// the test goes on). memTolerance is the percentage of memory the kernel
// may see less than QEMU gave.
func (vm *VM) CheckSummary(timeout time.Duration, memTolerance float64) qemu.Summary {
	vm.t.Helper()
	s := vm.ExpectSummary(timeout)
	for _, err := range qemu.CheckSummary(vm.Options, s, memTolerance) {
		vm.t.Errorf("qemutest: boot summary: %v", err)
	}
	return s
}

// next returns the next serial line, or an error wrapping qemu.ErrTimeout
// when the deadline passes first, or another error when QEMU exited.
func (vm *VM) next(deadline time.Time) (qemu.Line, error) {
	l, _, err := vm.VM.Expect(anyLine, time.Until(deadline))
	if err != nil && !errors.Is(err, qemu.ErrTimeout) {
		// Expect may report the deadline or the exit when both are
		// there; an exit is what happened.
		return l, err
	}
	if err != nil {
		select {
		case <-vm.Done():
			if l, _, err2 := vm.VM.Expect(anyLine, 0); err2 == nil {
				return l, nil
			}
			return l, errors.New("QEMU exited")
		default:
		}
	}
	return l, err
}

// collectPanic returns first and the lines after it: the panic's text and
// stack, up to QEMU's exit, panicLines lines or a pause of panicQuiet.
func (vm *VM) collectPanic(first qemu.Line) []string {
	out := []string{first.Text}
	for len(out) < panicLines {
		l, err := vm.next(time.Now().Add(panicQuiet))
		if err != nil {
			break
		}
		out = append(out, l.Text)
	}
	vm.markShown()
	return out
}

// killAtTimeout kills QEMU (if still running) and notes that the harness
// did, for exitText.
func (vm *VM) killAtTimeout() {
	vm.mu.Lock()
	vm.timedOut = true
	vm.mu.Unlock()
	vm.Kill()
}

// exitText describes how QEMU ended.
func (vm *VM) exitText() string {
	select {
	case <-vm.Done():
	default:
		return "still running"
	}
	vm.mu.Lock()
	timedOut := vm.timedOut
	vm.mu.Unlock()
	if timedOut {
		return "killed at a timeout"
	}
	st := vm.ExitStatus()
	if st < 0 {
		return "killed by a signal"
	}
	if code, ok := report.DebugExitCode(st); ok {
		return fmt.Sprintf("status %d: isa-debug-exit code %d", st, code)
	}
	return fmt.Sprintf("status %d", st)
}

// TailReport returns the last ReportLines serial lines and QEMU's
// stderr as a failure of this package shows them, for a test that words
// its own failure.
func (vm *VM) TailReport() string { return strings.TrimPrefix(vm.failureTail(), "\n") }

// failureTail is the tail of the serial output for a failure message,
// "\n"-led, and notes it as shown.
func (vm *VM) failureTail() string {
	s := "\n" + tailText(vm.Tail(ReportLines))
	if st := vm.Stderr(); len(st) > 0 {
		s += "\nQEMU stderr:\n\t" + strings.Join(st, "\n\t")
	}
	vm.markShown()
	return s
}

func (vm *VM) markShown() {
	n := len(vm.Lines())
	vm.mu.Lock()
	vm.shown = n
	vm.mu.Unlock()
}

// report is what the cleanup of a failed test logs; running says QEMU was
// still running when the test ended.
func (vm *VM) report(running bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "qemutest: QEMU (%s", vm.Accel)
	if vm.Fallback != "" {
		fmt.Fprintf(&b, ", KVM abandoned: %s", vm.Fallback)
	}
	how := vm.exitText()
	if running {
		how = "killed as the test ended"
	}
	fmt.Fprintf(&b, "; %s): %s", how, qemu.ShellJoin(vm.Command))
	if st := vm.Stderr(); len(st) > 0 {
		fmt.Fprintf(&b, "\nQEMU stderr:\n\t%s", strings.Join(st, "\n\t"))
	} else {
		b.WriteString("\n(nothing on QEMU's stderr)")
	}
	vm.mu.Lock()
	shown := vm.shown
	vm.mu.Unlock()
	if shown == len(vm.Lines()) {
		b.WriteString("\n(the serial tail is in the failure above)")
	} else {
		b.WriteString("\n" + tailText(vm.Tail(ReportLines)))
	}
	return b.String()
}

func tailText(tail []string) string {
	if len(tail) == 0 {
		return "(no serial output)"
	}
	return fmt.Sprintf("last %d serial lines:\n\t%s", len(tail), strings.Join(tail, "\n\t"))
}

// echoWriter copies serial lines to the test log (AERO_QEMU_ECHO=1) until
// stop, which the cleanup calls before the test may no longer log.
type echoWriter struct {
	mu      sync.Mutex
	t       testing.TB
	stopped bool
}

func (w *echoWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.stopped {
		for _, l := range strings.SplitAfter(string(p), "\n") {
			if l != "" {
				fmt.Fprintf(w.t.Output(), "serial| %s", l)
			}
		}
	}
	return len(p), nil
}

func (w *echoWriter) stop() {
	if w == nil {
		return
	}
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
}
