package qemutest

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeQEMU writes a shell script that stands in for QEMU.
func fakeQEMU(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "qemu")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestArgs(t *testing.T) {
	args := Config{Machine: "microvm", CPUs: 4, Kernel: "k.elf", DebugExit: true}.Args()
	got := strings.Join(args, " ")
	for _, want := range []string{
		"-machine microvm", "-accel tcg,thread=multi", "-cpu max", "-m 2G",
		"-smp 4,sockets=1,cores=4,threads=1", "-serial stdio", "-no-reboot",
		"-device isa-debug-exit,iobase=0xf4,iosize=0x04", "-kernel k.elf", "-nic none",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("args %q lack %q", got, want)
		}
	}
	if slices.Contains(args, "-initrd") || slices.Contains(args, "-append") {
		t.Errorf("args %q have unset options", got)
	}
	args = Config{Machine: "q35", Extra: []string{"-netdev", "user,id=n0"}}.Args()
	if strings.Contains(strings.Join(args, " "), "-nic none") {
		t.Errorf("args %q turn off the network the caller asked for", args)
	}
}

func TestExpectAndWait(t *testing.T) {
	q := fakeQEMU(t, `echo "boot"; printf 'smoke: PASS a x=1\r\n'; sleep 0.3; echo "smoke: sleep-end elapsed=5"; printf 'no newline'; exit 3`)
	vm, err := Start(Config{QEMU: q, Machine: "microvm"})
	if err != nil {
		t.Fatal(err)
	}
	l, m, err := vm.Expect(regexp.MustCompile(`^smoke: PASS (\w+)`), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if m[1] != "a" || l.Text != "smoke: PASS a x=1" {
		t.Errorf("got %q %q", l.Text, m)
	}
	l2, _, err := vm.Expect(regexp.MustCompile(`sleep-end`), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if d := l2.Time.Sub(l.Time); d < 250*time.Millisecond {
		t.Errorf("lines %v apart, want about 300ms", d)
	}
	if v, err := IntField(l2.Text, "elapsed"); err != nil || v != 5 {
		t.Errorf("IntField = %d, %v", v, err)
	}
	// Expect only looks forward: the first line is behind the cursor.
	if _, _, err := vm.Expect(regexp.MustCompile(`^boot$`), 5*time.Second); !errors.Is(err, ErrExited) {
		t.Errorf("Expect of a passed line: %v, want ErrExited", err)
	}
	status, err := vm.Wait(5 * time.Second)
	if err != nil || status != 3 {
		t.Fatalf("Wait = %d, %v; want 3", status, err)
	}
	if code, ok := DebugExitCode(status); !ok || code != 1 {
		t.Errorf("DebugExitCode(3) = %d, %v", code, ok)
	}
	lines := vm.Lines()
	if last := lines[len(lines)-1].Text; last != "no newline" {
		t.Errorf("last line %q", last)
	}
}

func TestTimeoutKillsAndReports(t *testing.T) {
	q := fakeQEMU(t, `i=0; while [ $i -lt 50 ]; do echo "line $i"; i=$((i+1)); done; echo oops >&2; exec sleep 60`)
	vm, err := Start(Config{QEMU: q, Machine: "microvm"})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, _, err = vm.Expect(regexp.MustCompile(`never`), 500*time.Millisecond)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Expect = %v, want ErrTimeout", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "line 49") || strings.Contains(msg, "| line 9\n") || !strings.Contains(msg, "oops") {
		t.Errorf("report should hold the last %d lines and stderr:\n%s", TailLines, msg)
	}
	if status, err := vm.Wait(5 * time.Second); err == nil || errors.Is(err, ErrTimeout) {
		t.Errorf("Wait after kill = %d, %v; want a killed-by-signal error", status, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("kill took %v", d)
	}
}

func TestWaitTimeout(t *testing.T) {
	q := fakeQEMU(t, `echo up; exec sleep 60`)
	vm, err := Start(Config{QEMU: q, Machine: "microvm"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vm.Wait(300 * time.Millisecond); !errors.Is(err, ErrTimeout) {
		t.Fatalf("Wait = %v, want ErrTimeout", err)
	}
}

func TestDebugExitCode(t *testing.T) {
	for _, c := range []struct {
		status, code int
		ok           bool
	}{{1, 0, true}, {3, 1, true}, {5, 2, true}, {0, 0, false}, {2, 0, false}, {-1, 0, false}} {
		code, ok := DebugExitCode(c.status)
		if code != c.code || ok != c.ok {
			t.Errorf("DebugExitCode(%d) = %d, %v", c.status, code, ok)
		}
	}
}
