package qemu

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Boot tests: the kernel of configs/ktest (core's defaults plus core's
// in-kernel tests), built with the image tool and the GOOS=tamago go in
// AERO_GO (make test sets it), booted under TCG on each machine shape the
// core issue names. Each checks the boot summary against what QEMU was
// given and turns every in-kernel test into a subtest.

// bootTimeout bounds one boot from QEMU start to its exit; generous because
// TCG on a loaded 2-core host is slow (a boot takes 1-5 s when idle).
const bootTimeout = 3 * time.Minute

var (
	ktestOnce sync.Once
	ktestELF  string
	ktestISO  string
	ktestErr  error
)

// ktestKernel builds configs/ktest once per test binary: ELF and ISO.
func ktestKernel(t *testing.T, iso bool) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no boot tests")
	}
	if _, err := exec.LookPath(DefaultBinary); err != nil {
		t.Skip("no " + DefaultBinary)
	}
	if os.Getenv("AERO_GO") == "" {
		t.Skip("AERO_GO is not set (make test sets it to the GOOS=tamago go)")
	}
	ktestOnce.Do(func() {
		out, err := os.MkdirTemp("", "aero-boot-test-")
		if err != nil {
			ktestErr = err
			return
		}
		cmd := exec.Command("go", "run", "./image/cmd/aero-image", "iso", "-config", "configs/ktest", "-o", out)
		cmd.Dir = ".."
		msg, err := cmd.CombinedOutput()
		if err != nil {
			ktestErr = fmt.Errorf("aero-image iso -config configs/ktest: %v\n%s", err, msg)
			return
		}
		ktestELF = filepath.Join(out, "aero-ktest.elf")
		ktestISO = filepath.Join(out, "aero-ktest.iso")
	})
	if ktestErr != nil {
		t.Fatal(ktestErr)
	}
	if iso {
		return ktestISO
	}
	return ktestELF
}

// wantNode is what a node line must say.
type wantNode struct {
	cpus string // CPU list, exact
	mib  int    // memory QEMU gave the node; the kernel may see up to 1% less
	dist string // distances to every node, or "" to skip the check
}

type bootCase struct {
	name  string
	opts  Options
	nodes []wantNode
}

var bootCases = []bootCase{
	{"q35-smp1", Options{CPUs: 1, Memory: "1G"}, []wantNode{{"0", 1024, "10"}}},
	{"q35-smp2", Options{CPUs: 2, Memory: "1G"}, []wantNode{{"0-1", 1024, "10"}}},
	{"q35-smp4", Options{CPUs: 4, Memory: "1G"}, []wantNode{{"0-3", 1024, "10"}}},
	{"q35-smp8", Options{CPUs: 8, Memory: "1G"}, []wantNode{{"0-7", 1024, "10"}}},
	// Two sockets of 3 cores: APIC IDs 0-2 and 4-6, not contiguous.
	{"q35-smp6-2sockets", Options{CPUs: 6, Sockets: 2, Memory: "1G"}, []wantNode{{"0-5", 1024, "10"}}},
	{"pc-smp2", Options{Machine: MachinePC, CPUs: 2, Memory: "1G"}, []wantNode{{"0-1", 1024, "10"}}},
	{"microvm-smp2", Options{Machine: MachineMicrovm, CPUs: 2, Memory: "1G"}, []wantNode{{"0-1", 1024, "10"}}},
	{"q35-smp4-numa2", Options{CPUs: 4, Memory: "2G", Nodes: 2},
		[]wantNode{{"0-1", 1024, "10,20"}, {"2-3", 1024, "20,10"}}},
	{"q35-smp6-numa3-uneven", Options{CPUs: 6,
		Numa:      []Node{{"0-2", "2G"}, {"3", "1G"}, {"4-5", "1G"}},
		Distances: []Distance{{0, 1, 20}, {0, 2, 30}, {1, 2, 25}}},
		[]wantNode{{"0-2", 2048, "10,20,30"}, {"3", 1024, "20,10,25"}, {"4-5", 1024, "30,25,10"}}},
}

var (
	bootLine = regexp.MustCompile(`^aero: boot cpus=(\d+) nodes=(\d+) mem=(\d+) clock=(\w+)@(\d+) sched=(\S+)`)
	nodeLine = regexp.MustCompile(`^aero: node (\d+) cpus=(\S+) mem=(\d+) dist=(\S+)`)
)

func TestBoot(t *testing.T) {
	elf := ktestKernel(t, false)
	for _, c := range bootCases {
		t.Run(c.name, func(t *testing.T) {
			o := c.opts
			o.Kernel, o.DebugExit, o.Append = elf, true, "test=all"
			vm := startVM(t, o)
			checkSummary(t, vm, c)
			runKTests(t, vm)
		})
	}
}

// TestBootISO boots the GRUB ISO: multiboot2 instead of PVH, same kernel.
func TestBootISO(t *testing.T) {
	iso := ktestKernel(t, true)
	if _, err := exec.LookPath("grub-mkrescue"); err != nil {
		t.Skip("no grub-mkrescue")
	}
	c := bootCase{"iso-q35-smp2", Options{CPUs: 2, Memory: "1G"}, []wantNode{{"0-1", 1024, "10"}}}
	o := c.opts
	o.ISO, o.DebugExit = iso, true
	vm := startVM(t, o)
	if _, m, err := vm.Expect(regexp.MustCompile(`booted by (\S+) `), bootTimeout); err != nil || m[1] != "multiboot2" {
		t.Fatalf("banner: %v %v", m, err)
	}
	checkSummary(t, vm, c)
	runKTests(t, vm)
}

// TestBootSleep times the in-kernel time.Sleep(time.Second) by the host's
// clock, with the TSC calibrated against each reference timer QEMU offers:
// the serial lines around it must arrive 1 s ± 5% apart.
func TestBootSleep(t *testing.T) {
	elf := ktestKernel(t, false)
	for _, c := range []struct {
		ref string
		o   Options
	}{
		{"hpet", Options{CPUs: 4}},
		{"pmtimer", Options{CPUs: 2, Extra: []string{"-machine", "hpet=off"}}},
		{"pit", Options{Machine: MachineMicrovm, CPUs: 2}},
	} {
		t.Run(c.ref, func(t *testing.T) {
			o := c.o
			o.Memory, o.Kernel, o.DebugExit, o.Append = "1G", elf, true, "test=time/sleep"
			vm := startVM(t, o)
			if _, m, err := vm.Expect(regexp.MustCompile(`^aero: boot .* clockref=(\S+)`), bootTimeout); err != nil {
				t.Fatal(err)
			} else if m[1] != c.ref {
				t.Errorf("TSC calibrated against %s, want %s", m[1], c.ref)
			}
			start, _, err := vm.Expect(regexp.MustCompile(`^aero-test: sleep-start`), bootTimeout)
			if err != nil {
				t.Fatal(err)
			}
			end, m, err := vm.Expect(regexp.MustCompile(`^aero-test: sleep-end elapsed=(\d+)`), bootTimeout)
			if err != nil {
				t.Fatal(err)
			}
			host := end.Time.Sub(start.Time)
			guest, _ := strconv.ParseInt(m[1], 10, 64)
			t.Logf("time.Sleep(1s): host saw %v, kernel measured %v", host, time.Duration(guest))
			if host < 950*time.Millisecond || host > 1050*time.Millisecond {
				t.Errorf("host clock: time.Sleep(1s) took %v, want 1s ± 5%%", host)
			}
			waitPass(t, vm)
		})
	}
}

// TestBootPanic: a kernel panic prints the panic and a Go stack trace on
// the console and ends QEMU with a failing status.
func TestBootPanic(t *testing.T) {
	elf := ktestKernel(t, false)
	vm := startVM(t, Options{CPUs: 2, Memory: "1G", Kernel: elf, DebugExit: true, Append: "crash=panic test=all"})
	// A boot test reading in-kernel results fails with the panic text.
	_, _, _, err := readKTests(vm)
	if err == nil || !strings.Contains(err.Error(), "panic: aero: crash=panic on the command line") {
		t.Fatalf("readKTests on a panicking kernel: %v; want an error with the panic", err)
	}
	t.Logf("as a boot test reports it: %.300s", err)
	if !regexp.MustCompile(`(?m)^goroutine \d+ \[running\]:`).MatchString(err.Error()) {
		t.Errorf("the reported panic has no goroutine trace:\n%s", err)
	}
	if !strings.Contains(err.Error(), "core.Boot(") {
		t.Errorf("no core.Boot frame in the reported stack trace:\n%s", err)
	}
	status, err := vm.Wait(bootTimeout)
	if err != nil {
		t.Fatal(err)
	}
	if code, ok := DebugExitCode(status); !ok || code == 0 {
		t.Errorf("QEMU exit status %d after a panic, want a failing isa-debug-exit code", status)
	}
}

func startVM(t *testing.T, o Options) *VM {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*bootTimeout)
	vm, err := Start(ctx, o)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		vm.Kill()
		cancel()
		if t.Failed() {
			t.Logf("QEMU: %s\nlast serial lines:\n%s\nstderr:\n%s", strings.Join(vm.Command, " "),
				strings.Join(vm.Tail(40), "\n"), strings.Join(vm.Stderr(), "\n"))
		}
	})
	return vm
}

// checkSummary reads the boot and node lines and compares them with c.
func checkSummary(t *testing.T, vm *VM, c bootCase) {
	t.Helper()
	_, m, err := vm.Expect(bootLine, bootTimeout)
	if err != nil {
		t.Fatal(err)
	}
	cpus := c.opts.CPUs
	if cpus == 0 {
		cpus = 1
	}
	if got, _ := strconv.Atoi(m[1]); got != cpus {
		t.Errorf("boot line: cpus=%d, QEMU has %d", got, cpus)
	}
	if got, _ := strconv.Atoi(m[2]); got != len(c.nodes) {
		t.Errorf("boot line: nodes=%d, want %d", got, len(c.nodes))
	}
	if mhz, _ := strconv.Atoi(m[5]); m[4] != "tsc" || mhz < 100 {
		t.Errorf("boot line: clock=%s@%s, want a calibrated tsc", m[4], m[5])
	}
	total := 0
	for i, w := range c.nodes {
		_, n, err := vm.Expect(nodeLine, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		mib, _ := strconv.Atoi(n[3])
		total += w.mib
		switch {
		case n[1] != strconv.Itoa(i):
			t.Errorf("node line %d is for node %s", i, n[1])
		case n[2] != w.cpus:
			t.Errorf("node %d: cpus=%s, want %s", i, n[2], w.cpus)
		case mib > w.mib || mib*100 < w.mib*99:
			t.Errorf("node %d: mem=%d MiB, QEMU gave %d (want within 1%%)", i, mib, w.mib)
		case w.dist != "" && n[4] != w.dist:
			t.Errorf("node %d: dist=%s, want %s", i, n[4], w.dist)
		}
	}
	if mem, _ := strconv.Atoi(m[3]); mem > total || mem*100 < total*99 {
		t.Errorf("boot line: mem=%d MiB, QEMU gave %d", mem, total)
	}
}

// ktestResult is one in-kernel test as the kernel reported it.
type ktestResult struct {
	verdict string
	logs    []string
}

var (
	runLine    = regexp.MustCompile(`^=== RUN   (\S+)`)
	resultLine = regexp.MustCompile(`^\s*--- (PASS|FAIL|SKIP): (\S+) \(`)
	finalLine  = regexp.MustCompile(`^(PASS|FAIL)$`)
)

var panicLine = regexp.MustCompile(`^(panic: |fatal error: )`)

// readKTests reads in-kernel test output up to the final PASS/FAIL line. A
// kernel panic ends it with an error holding the panic and its stack.
func readKTests(vm *VM) (results map[string]*ktestResult, order []string, final string, err error) {
	results = map[string]*ktestResult{}
	var last *ktestResult
	any := regexp.MustCompile(`.*`)
	for final == "" {
		l, _, err := vm.Expect(any, bootTimeout)
		if err != nil {
			return nil, nil, "", fmt.Errorf("reading in-kernel test output: %w", err)
		}
		if panicLine.MatchString(l.Text) {
			text := []string{l.Text}
			for len(text) < 30 {
				more, _, err := vm.Expect(any, 10*time.Second)
				if err != nil {
					break
				}
				text = append(text, more.Text)
			}
			return nil, nil, "", fmt.Errorf("the kernel panicked:\n%s", strings.Join(text, "\n"))
		}
		switch {
		case runLine.MatchString(l.Text):
			name := runLine.FindStringSubmatch(l.Text)[1]
			last = &ktestResult{verdict: "(did not finish)"}
			results[name] = last
			order = append(order, name)
		case resultLine.MatchString(l.Text):
			m := resultLine.FindStringSubmatch(l.Text)
			if r := results[m[2]]; r != nil {
				r.verdict, last = m[1], r
			}
		case finalLine.MatchString(l.Text):
			final = l.Text
		case last != nil && strings.HasPrefix(l.Text, "    "):
			last.logs = append(last.logs, strings.TrimSpace(l.Text))
		}
	}
	return results, order, final, nil
}

// runKTests reads the in-kernel test output, turns each kernel test into a
// subtest, and checks the exit status.
func runKTests(t *testing.T, vm *VM) {
	t.Helper()
	results, order, final, err := readKTests(vm)
	if err != nil {
		t.Fatal(err)
	}
	if len(order) == 0 {
		t.Fatal("the kernel ran no in-kernel tests")
	}
	for _, name := range order {
		r := results[name]
		t.Run(name, func(t *testing.T) {
			for _, l := range r.logs {
				t.Log(l)
			}
			switch r.verdict {
			case "PASS":
			case "SKIP":
				t.Skip("skipped in the kernel")
			default:
				t.Errorf("in-kernel test: %s", r.verdict)
			}
		})
	}
	status, err := vm.Wait(bootTimeout)
	if err != nil {
		t.Fatal(err)
	}
	code, ok := DebugExitCode(status)
	wantCode := 0
	if final == "FAIL" {
		wantCode = 1
	}
	if !ok || code != wantCode {
		t.Errorf("kernel said %s but QEMU exited with status %d (want isa-debug-exit code %d)", final, status, wantCode)
	}
}

// waitPass waits for the final PASS line and a passing exit.
func waitPass(t *testing.T, vm *VM) {
	t.Helper()
	if _, _, err := vm.Expect(finalLine, bootTimeout); err != nil {
		t.Fatal(err)
	}
	status, err := vm.Wait(bootTimeout)
	if err != nil {
		t.Fatal(err)
	}
	if code, ok := DebugExitCode(status); !ok || code != 0 {
		t.Errorf("QEMU exit status %d, want a passing isa-debug-exit", status)
	}
}
