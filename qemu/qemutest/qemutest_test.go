package qemutest

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aerokernel/aero/qemu"
)

// wantText checks that every substring is in s.
func wantText(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s does not contain %q:\n%s", what, sub, s)
		}
	}
}

func TestBootExpect(t *testing.T) {
	o := fakeQEMU(t, lines("SeaBIOS", "Aero 0.1 booted by pvh", "aero: boot cpus=2 nodes=1", "hello 42").exit(1))
	var vm *VM
	r := record(t, func(r *rec) {
		vm = Boot(r, o)
		l, m := vm.Expect(`booted by (\w+)`, 10*time.Second)
		if l.Text != "Aero 0.1 booted by pvh" || m[1] != "pvh" {
			t.Errorf("Expect string: %q %q", l.Text, m)
		}
		if l.Time.Before(vm.Start) || l.Time.After(time.Now()) {
			t.Errorf("line time %v outside [%v, now]", l.Time, vm.Start)
		}
		l, m = vm.Expect(regexp.MustCompile(`^hello (\d+)$`), 10*time.Second)
		if m[1] != "42" {
			t.Errorf("Expect regexp: %q %q", l.Text, m)
		}
		if code := vm.WaitExit(10 * time.Second); code != 0 {
			t.Errorf("WaitExit = %d", code)
		}
	})
	if r.Failed() {
		t.Fatalf("failed:\n%s", r.text())
	}
	if vm.Options.Accel != qemu.AccelTCG || !vm.Options.DebugExit || vm.Accel != qemu.AccelTCG {
		t.Errorf("Options %+v, Accel %q: want tcg with isa-debug-exit", vm.Options, vm.Accel)
	}
	if !slices.Contains(vm.Command, "isa-debug-exit,iobase=0xf4,iosize=0x04") || !slices.Contains(vm.Command, "tcg,thread=multi") {
		t.Errorf("Command %q", vm.Command)
	}
	if r.text() != "" {
		t.Errorf("a passing test logged:\n%s", r.text())
	}
}

func TestBootAccelEnv(t *testing.T) {
	t.Setenv("AERO_QEMU_ACCEL", "kvm")
	o := fakeQEMU(t, lines("up").exit(1))
	r := record(t, func(r *rec) {
		vm := Boot(r, o)
		if !slices.Contains(vm.Command, "kvm") || vm.Accel != qemu.AccelKVM {
			t.Errorf("AERO_QEMU_ACCEL=kvm: Command %q Accel %q", vm.Command, vm.Accel)
		}
		o.Accel = qemu.AccelTCG // given: the environment does not override it
		if vm := Boot(r, o); vm.Accel != qemu.AccelTCG {
			t.Errorf("explicit tcg: Accel %q", vm.Accel)
		}
	})
	if r.Failed() {
		t.Fatal(r.text())
	}
}

func TestBootFails(t *testing.T) {
	o := fakeQEMU(t, lines("up").exit(1))
	o.Machine = "virt"
	r := record(t, func(r *rec) { Boot(r, o); t.Error("Boot returned") })
	if !r.fatal {
		t.Error("Boot of bad options did not stop the test")
	}
	wantText(t, "failure", r.text(), `qemutest: qemu: unknown machine "virt"`)
}

func TestExpectTimeout(t *testing.T) {
	var serial []string
	for i := range 50 {
		serial = append(serial, fmt.Sprintf("line %d", i))
	}
	o := fakeQEMU(t, lines(serial...).stderr("qemu: a warning").hang())
	var vm *VM
	begin := time.Now()
	r := record(t, func(r *rec) {
		vm = Boot(r, o)
		vm.Expect(`line 49`, 10*time.Second)
		vm.Expect(`never`, 300*time.Millisecond)
		t.Error("Expect returned")
	})
	if !r.fatal {
		t.Fatal("Expect did not stop the test")
	}
	wantText(t, "failure", r.text(), `qemutest: no serial line matched "never" within 300ms: QEMU killed`,
		"last 40 serial lines:\n\tline 10\n", "\tline 49\n", "QEMU stderr:\n\tqemu: a warning",
		// The cleanup's report: command line, accelerator, and no second tail.
		"qemutest: QEMU (tcg; killed at a timeout): "+o.Binary+" -machine q35", "(the serial tail is in the failure above)")
	if strings.Contains(r.text(), "line 9\n") {
		t.Errorf("more than 40 lines reported:\n%s", r.text())
	}
	select {
	case <-vm.Done():
	default:
		t.Error("QEMU still running after the test ended")
	}
	if d := time.Since(begin); d > 8*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestExpectExit(t *testing.T) {
	o := fakeQEMU(t, lines("only line").exit(7))
	r := record(t, func(r *rec) {
		Boot(r, o).Expect(`never`, 10*time.Second)
	})
	wantText(t, "failure", r.text(), `QEMU exited (status 7: isa-debug-exit code 3) before a serial line matched "never"`,
		"last 1 serial lines:\n\tonly line", "(nothing on QEMU's stderr)")
}

func TestExpectBadPattern(t *testing.T) {
	o := fakeQEMU(t, lines("x").exit(1))
	for pattern, want := range map[any]string{
		`a(`: "qemutest: Expect: error parsing regexp",
		42:   "pattern 42 is neither a string nor a *regexp.Regexp",
	} {
		r := record(t, func(r *rec) { Boot(r, o).Expect(pattern, time.Second) })
		if !r.fatal {
			t.Errorf("%v: not fatal", pattern)
		}
		wantText(t, "failure", r.text(), want)
	}
}

// panicking prints a kernel panic and exits as core's panic does (code 2).
var panicking = lines("aero: boot cpus=2",
	"=== RUN   smp/parallel",
	"panic: aero: crash=panic on the command line",
	"",
	"goroutine 1 [running]:",
	"github.com/aerokernel/aero/core.Boot(0x0)",
	"\t/src/core/boot_tamago.go:41 +0x1d").exit(5)

func TestFailOnPanic(t *testing.T) {
	o := fakeQEMU(t, panicking)
	r := record(t, func(r *rec) { Boot(r, o).FailOnPanic().Expect(`never`, 10*time.Second) })
	if !r.fatal {
		t.Fatal("not fatal")
	}
	wantText(t, "failure", r.text(),
		"qemutest: the kernel panicked while Expect waited for \"never\":\npanic: aero: crash=panic on the command line\n\ngoroutine 1 [running]:\n"+
			"github.com/aerokernel/aero/core.Boot(0x0)\n\t/src/core/boot_tamago.go:41 +0x1d\n",
		"(the serial tail is in the failure above)")

	// Expect can still wait for the panic itself.
	r = record(t, func(r *rec) {
		vm := Boot(r, o).FailOnPanic()
		if _, m := vm.Expect(`^panic: (.*)`, 10*time.Second); m[1] != "aero: crash=panic on the command line" {
			t.Errorf("%q", m)
		}
		if code := vm.WaitExit(10 * time.Second); code != 2 {
			t.Errorf("WaitExit = %d", code)
		}
	})
	if r.Failed() {
		t.Error(r.text())
	}

	// WaitExit reports a panic no Expect read.
	r = record(t, func(r *rec) {
		vm := Boot(r, o).FailOnPanic()
		vm.Expect(`aero: boot`, 10*time.Second)
		vm.WaitExit(10 * time.Second)
	})
	wantText(t, "failure", r.text(), "qemutest: the kernel panicked (QEMU status 5: isa-debug-exit code 2):\npanic: aero: crash=panic",
		"goroutine 1 [running]:")

	// Without FailOnPanic, Expect waits on and says QEMU exited.
	r = record(t, func(r *rec) { Boot(r, o).Expect(`never`, 10*time.Second) })
	wantText(t, "failure", r.text(), `QEMU exited (status 5: isa-debug-exit code 2) before a serial line matched "never"`)
}

func TestWaitExit(t *testing.T) {
	for _, tc := range []struct {
		name   string
		body   string
		code   int
		failed string // "" for success
	}{
		{"code 0", lines("bye").exit(1), 0, ""},
		{"code 3", lines("bye").exit(7), 3, ""},
		{"even status", lines("bye").exit(2), 0, "QEMU exited with status 2, not through isa-debug-exit"},
		{"status 0", lines("bye").exit(0), 0, "QEMU exited with status 0, not through isa-debug-exit"},
		{"QEMU's own error", new(script).stderr("qemu-system-x86_64: -kernel k.elf: error loading").exit(1), 0,
			"QEMU failed (status 1) before the guest printed anything"},
		{"timeout", lines("still", "going").hang(), 0, "QEMU still running after 300ms: killed\nlast 2 serial lines:\n\tstill\n\tgoing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := fakeQEMU(t, tc.body)
			code := -1
			r := record(t, func(r *rec) { code = Boot(r, o).WaitExit(300 * time.Millisecond) })
			if tc.failed == "" {
				if r.Failed() || code != tc.code {
					t.Errorf("WaitExit = %d, want %d:\n%s", code, tc.code, r.text())
				}
				return
			}
			if !r.fatal {
				t.Errorf("not fatal; code %d", code)
			}
			wantText(t, "failure", r.text(), tc.failed)
		})
	}
}

func TestCleanupReport(t *testing.T) {
	o := fakeQEMU(t, lines("one", "two").stderr("warning: TCG doesn't support requested feature").exit(3))
	r := record(t, func(r *rec) {
		vm := Boot(r, o)
		vm.Expect(`two`, 10*time.Second)
		vm.WaitExit(10 * time.Second)
		r.Errorf("the test failed by itself")
	})
	wantText(t, "report", r.text(), "the test failed by itself\nqemutest: QEMU (tcg; status 3: isa-debug-exit code 1): "+o.Binary+" -machine q35 -accel tcg,thread=multi",
		"QEMU stderr:\n\twarning: TCG doesn't support requested feature", "last 2 serial lines:\n\tone\n\ttwo")
}

func TestEcho(t *testing.T) {
	o := fakeQEMU(t, lines("first", "second").exit(1))
	r := record(t, func(r *rec) { Boot(r, o).WaitExit(10 * time.Second) })
	if r.text() != "" {
		t.Errorf("echo without AERO_QEMU_ECHO:\n%s", r.text())
	}
	t.Setenv("AERO_QEMU_ECHO", "1")
	r = record(t, func(r *rec) { Boot(r, o).WaitExit(10 * time.Second) })
	if r.text() != "serial| first\nserial| second\n" {
		t.Errorf("echo %q", r.text())
	}
}

// numa2 is a kernel's summary for 4 CPUs, 2 GiB on 2 nodes.
var numa2 = []string{
	"aero: boot cpus=4 nodes=2 mem=2046 clock=tsc@2400 sched=default clockref=hpet loader=pvh",
	"aero: node 0 cpus=0-1 mem=1023 dist=10,20",
	"aero: node 1 cpus=2-3 mem=1023 dist=20,10",
}

func TestCheckSummary(t *testing.T) {
	o := fakeQEMU(t, lines(append([]string{"Aero 0.1"}, numa2...)...).exit(1))
	o.CPUs, o.Memory, o.Nodes = 4, "2G", 2
	var s qemu.Summary
	r := record(t, func(r *rec) { s = Boot(r, o).CheckSummary(10*time.Second, 1) })
	if r.Failed() {
		t.Fatal(r.text())
	}
	if s.Boot.Fields["clockref"] != "hpet" || len(s.Nodes) != 2 || s.Nodes[1].MemMiB != 1023 {
		t.Errorf("%+v", s)
	}

	// Booted with other options: each mismatch fails the test, which goes on.
	o.CPUs, o.Nodes, o.Memory = 6, 3, "3G"
	r = record(t, func(r *rec) {
		Boot(r, o).CheckSummary(10*time.Second, 1)
		r.Log("went on")
	})
	if !r.Failed() || r.fatal {
		t.Errorf("failed %v fatal %v", r.Failed(), r.fatal)
	}
	wantText(t, "failure", r.text(), "qemutest: boot summary: boot line: cpus=4, QEMU has 6",
		"qemutest: boot summary: node 0: dist=10,20, QEMU's table says 10,20,20", "qemutest: boot summary: node 2: no node line", "went on")
}

func TestExpectSummaryMalformed(t *testing.T) {
	for _, tc := range []struct {
		serial []string
		want   string
	}{
		{[]string{"aero: boot cpus=x nodes=1 mem=1 clock=tsc@1 sched=s"}, `bad boot line "aero: boot cpus=x`},
		{[]string{"aero: boot failed: no ACPI"}, `"failed:" is not key=value`},
		{[]string{numa2[0], numa2[1], numa2[1]}, "node 0 given twice"},
		{[]string{numa2[0], "aero: node 0 cpus=0-1 mem=1023 dist=10", numa2[2]}, "dist= has 1 entries for 2 nodes"},
		{[]string{numa2[0], numa2[1]}, `QEMU exited (status 1: isa-debug-exit code 0) before a serial line matched "^\\s*aero: node\\b"`},
	} {
		o := fakeQEMU(t, lines(tc.serial...).exit(1))
		r := record(t, func(r *rec) { Boot(r, o).ExpectSummary(10 * time.Second) })
		if !r.fatal {
			t.Errorf("%q: not fatal", tc.serial)
		}
		wantText(t, "failure", r.text(), tc.want)
	}
}
