package qemu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aerokernel/aero/core/report"
)

// The test binary doubles as a fake QEMU: with FAKE_QEMU set it behaves as
// the mode named there and never runs the tests.
func TestMain(m *testing.M) {
	if mode := os.Getenv("FAKE_QEMU"); mode != "" {
		os.Exit(fakeQEMU(mode, os.Args[1:]))
	}
	code := m.Run()
	if smokeELF != "" {
		os.Remove(smokeELF) // built by realKernel
	}
	os.Exit(code)
}

func fakeQEMU(mode string, args []string) int {
	accel := ""
	if i := slices.Index(args, "-accel"); i >= 0 && i+1 < len(args) {
		accel, _, _ = strings.Cut(args[i+1], ",")
	}
	kvm := accel == "kvm"
	switch mode {
	case "exit": // print, then exit with FAKE_EXIT
		fmt.Printf("hello from %s\r\n", accel)
		fmt.Println("aero: boot cpus=4 nodes=2")
		fmt.Print("no newline at the end")
		code, _ := strconv.Atoi(os.Getenv("FAKE_EXIT"))
		return code
	case "hang": // print 30 lines, then hang
		for i := range 30 {
			fmt.Printf("line %d\n", i)
		}
		time.Sleep(time.Hour)
	case "kvm-internal": // KVM: internal error on stderr, VM stopped
		if kvm {
			fmt.Fprintln(os.Stderr, "KVM internal error. Suberror: 1")
			fmt.Fprintln(os.Stderr, "emulation failure")
			time.Sleep(time.Hour)
		}
	case "kvm-fail": // KVM: QEMU cannot start
		if kvm {
			fmt.Fprintln(os.Stderr, "qemu-system-x86_64: failed to initialize kvm: Permission denied")
			return 1
		}
	case "kvm-silent": // KVM: the guest never prints
		if kvm {
			time.Sleep(time.Hour)
		}
	case "kvm-late-error": // KVM: output first, so KVM is kept
	}
	fmt.Printf("guest up under %s\n", accel)
	return 0
}

func fake(t *testing.T, mode string) Options {
	t.Helper()
	t.Setenv("FAKE_QEMU", mode)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Options{Binary: exe, Kernel: "k.elf", CPUs: 4, Nodes: 2, Memory: "2G"}
}

func TestCapture(t *testing.T) {
	o := fake(t, "exit")
	var echo bytes.Buffer
	vm, err := StartEcho(context.Background(), o, &echo)
	if err != nil {
		t.Fatal(err)
	}
	l, m, err := vm.Expect(regexp.MustCompile(`^aero: boot cpus=(\d+) nodes=(\d+)$`), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if m[1] != "4" || m[2] != "2" {
		t.Errorf("submatches %q", m)
	}
	if l.Time.Before(vm.Start) || l.Time.After(time.Now()) {
		t.Errorf("line time %v outside [%v, now]", l.Time, vm.Start)
	}
	// Expect searches after the previous match only.
	if _, _, err := vm.Expect(regexp.MustCompile(`hello`), 10*time.Second); err == nil || !strings.Contains(err.Error(), "exited") {
		t.Errorf("Expect of an earlier line: %v", err)
	}
	status, err := vm.Wait(10 * time.Second)
	if err != nil || status != 0 {
		t.Fatalf("Wait = %d, %v", status, err)
	}
	want := []string{"hello from tcg", "aero: boot cpus=4 nodes=2", "no newline at the end"}
	if got := vm.Tail(10); !slices.Equal(got, want) {
		t.Errorf("Tail(10) = %q", got)
	}
	if got := vm.Tail(1); !slices.Equal(got, want[2:]) {
		t.Errorf("Tail(1) = %q", got)
	}
	if echo.String() != strings.Join(want, "\n")+"\n" {
		t.Errorf("echo %q", echo.String())
	}
	if vm.Command[0] != o.Binary || !slices.Contains(vm.Command, "node,nodeid=1,cpus=2-3,memdev=m1") {
		t.Errorf("Command %q", vm.Command)
	}
}

// TestTerminalEcho: StartTerminal copies the output as it comes, partial
// lines and CRs included, and Expect still reads lines.
func TestTerminalEcho(t *testing.T) {
	o := fake(t, "exit")
	var echo bytes.Buffer
	vm, err := StartTerminal(context.Background(), o, &echo)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := vm.Expect(regexp.MustCompile(`^aero: boot cpus=4 nodes=2$`), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := vm.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if want := "hello from tcg\r\naero: boot cpus=4 nodes=2\nno newline at the end"; echo.String() != want {
		t.Errorf("echo %q, want %q", echo.String(), want)
	}
	if got := vm.Tail(1); !slices.Equal(got, []string{"no newline at the end"}) {
		t.Errorf("Tail(1) = %q", got)
	}
}

func TestExitStatus(t *testing.T) {
	for _, tc := range []struct {
		status, code int
		ok           bool
	}{{0, 0, false}, {2, 0, false}, {1, 0, true}, {7, 3, true}, {0x21, 0x10, true}} {
		o := fake(t, "exit")
		t.Setenv("FAKE_EXIT", strconv.Itoa(tc.status))
		vm, err := Start(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		status, err := vm.Wait(10 * time.Second)
		if err != nil || status != tc.status {
			t.Fatalf("Wait = %d, %v; want %d", status, err, tc.status)
		}
		if code, ok := report.DebugExitCode(status); code != tc.code || ok != tc.ok {
			t.Errorf("report.DebugExitCode(%d) = %d, %v; want %d, %v", status, code, ok, tc.code, tc.ok)
		}
		if vm.ExitStatus() != tc.status {
			t.Errorf("ExitStatus = %d", vm.ExitStatus())
		}
	}
}

func TestTimeoutKill(t *testing.T) {
	vm, err := Start(context.Background(), fake(t, "hang"))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = vm.Expect(regexp.MustCompile(`never`), 300*time.Millisecond)
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "line 29") {
		t.Errorf("Expect: %v", err)
	}
	begin := time.Now()
	_, err = vm.Wait(200 * time.Millisecond)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Wait: %v", err)
	}
	var ve *Error
	if !errors.As(err, &ve) || len(ve.Tail) != TailLines || ve.Tail[TailLines-1] != "line 29" || ve.Tail[0] != "line 10" {
		t.Errorf("tail in error: %v", err)
	}
	if !strings.Contains(err.Error(), "killed") || !strings.Contains(err.Error(), "\tline 29") {
		t.Errorf("error text: %v", err)
	}
	select {
	case <-vm.Done():
	default:
		t.Error("QEMU still running after Wait timed out")
	}
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("kill took %v", d)
	}
	vm.Kill() // again: no-op
}

func TestContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	vm, err := Start(ctx, fake(t, "hang"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := vm.Expect(regexp.MustCompile(`line 3`), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := vm.Wait(10 * time.Second); err == nil || errors.Is(err, ErrTimeout) {
		t.Errorf("Wait after cancel: %v", err)
	}
}

func TestStartErrors(t *testing.T) {
	if _, err := Start(context.Background(), Options{Machine: "virt", Kernel: "k"}); err == nil {
		t.Error("bad options started")
	}
	if _, err := Start(context.Background(), Options{Binary: "/nonexistent/qemu", Kernel: "k"}); err == nil {
		t.Error("missing binary started")
	}
}

func TestAutoFallback(t *testing.T) {
	saved, savedProbe := kvmUsable, probeWindow
	t.Cleanup(func() { kvmUsable, probeWindow = saved, savedProbe })
	probeWindow = 500 * time.Millisecond
	for _, tc := range []struct {
		mode, accel, why string
		kvm, gdb         bool
	}{
		{"kvm-internal", "tcg", "KVM internal error", true, false},
		{"kvm-fail", "tcg", "exited with status 1 before any serial output", true, false},
		{"kvm-silent", "tcg", "no serial output within", true, false},
		{"kvm-late-error", "kvm", "", true, false},
		{"kvm-silent", "kvm", "", true, true}, // with -S the guest is silent: keep KVM
		{"kvm-internal", "tcg", "", false, false},
	} {
		t.Run(fmt.Sprintf("%s/kvm=%v/gdb=%v", tc.mode, tc.kvm, tc.gdb), func(t *testing.T) {
			kvmUsable = func() bool { return tc.kvm }
			o := fake(t, tc.mode)
			o.Accel, o.GDB = AccelAuto, tc.gdb
			var echo bytes.Buffer
			vm, err := StartEcho(context.Background(), o, &echo)
			if err != nil {
				t.Fatal(err)
			}
			defer vm.Kill()
			if vm.Accel != tc.accel || !strings.Contains(vm.Fallback, tc.why) || (tc.why == "") != (vm.Fallback == "") {
				t.Errorf("Accel %q Fallback %q; want %q and %q", vm.Accel, vm.Fallback, tc.accel, tc.why)
			}
			if tc.gdb {
				return
			}
			if _, _, err := vm.Expect(regexp.MustCompile(`^guest up under `+tc.accel+`$`), 10*time.Second); err != nil {
				t.Fatal(err)
			}
			if _, err := vm.Wait(10 * time.Second); err != nil {
				t.Fatal(err)
			}
			if echo.String() != "guest up under "+tc.accel+"\n" {
				t.Errorf("echo %q", echo.String())
			}
		})
	}
}

func TestShellJoin(t *testing.T) {
	got := ShellJoin([]string{"qemu", "-append", "console=ttyS0 x", "", "it's", "a,b=c:1@2%3+4"})
	want := `qemu -append 'console=ttyS0 x' '' 'it'\''s' a,b=c:1@2%3+4`
	if got != want {
		t.Errorf("ShellJoin = %s, want %s", got, want)
	}
}
