package qemu_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aerokernel/aero/qemu"
	"github.com/aerokernel/aero/qemu/qemutest"
)

// TestSchedSeam builds configs/seams-sched, with the GOOS=tamago go in
// AERO_GO, and checks its kernel: the hooks' machine code (nosplit), then
// a boot (TestSchedSeam/boot).
func TestSchedSeam(t *testing.T) {
	if os.Getenv("AERO_GO") == "" {
		t.Skip("AERO_GO is not set (make test sets it to the GOOS=tamago go)")
	}
	out := t.TempDir()
	cmd := exec.Command("go", "run", "./image/cmd/aero-image", "build", "-config", "configs/seams-sched", "-o", out)
	cmd.Dir = ".."
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("aero-image build -config configs/seams-sched: %v\n%s", err, msg)
	}
	elf := filepath.Join(out, "aero-seams-sched.elf")
	t.Run("nosplit", func(t *testing.T) { testSchedSeamNosplit(t, elf) })
	t.Run("boot", func(t *testing.T) { testBootSchedSeam(t, elf) })
}

// testBootSchedSeam is the proof of core's Scheduler seam (issue 7): the
// kernel of configs/seams-sched links core/seamtest/countsched, whose thread
// hooks count Start, Sleep and Wake and pass them through to the platform's
// one-M-per-CPU behaviour, and whose AP entry runs on every AP. At -smp 4
// the summary must name it, its in-kernel test must pass, and the counts it
// reports must show every AP entered and started once and threads sleeping
// and being woken through the hooks.
func testBootSchedSeam(t *testing.T, elf string) {
	needQEMU(t)
	const cpus = 4
	start := time.Now()
	vm := qemutest.Boot(t, qemu.Options{CPUs: cpus, Memory: "1G", Kernel: elf}).FailOnPanic()
	s := vm.CheckSummary(bootTimeout, 1)
	booted := time.Since(start)
	if s.Boot.Sched != "countsched" {
		t.Errorf("boot line: sched=%s, want countsched", s.Boot.Sched)
	}
	run := qemutest.RunKTests(t, vm, bootTimeout)
	t.Logf("summary %v after QEMU started; tests done after %v", booted.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))

	var counts map[string]int
	for _, k := range run.Tests {
		if k.Name != "sched/countsched" {
			continue
		}
		for _, l := range k.Log {
			if c := parseCounts(l); c != nil {
				counts = c
			}
		}
	}
	if counts == nil {
		t.Fatal("sched/countsched reported no counts line")
	}
	t.Logf("the kernel counted: %v", counts)
	if counts["cpus"] != cpus || counts["entries"] != cpus-1 || counts["starts"] != cpus-1 {
		t.Errorf("cpus=%d entries=%d starts=%d, want %d CPUs, the AP entry and one Start on each of the %d APs",
			counts["cpus"], counts["entries"], counts["starts"], cpus, cpus-1)
	}
	if counts["sleeps"] == 0 || counts["wakes"] == 0 {
		t.Errorf("sleeps=%d wakes=%d: the hooks saw no Sleep or no Wake", counts["sleeps"], counts["wakes"])
	}
}

var countsLine = regexp.MustCompile(`counts: cpus=(\d+) entries=(\d+) starts=(\d+) sleeps=(\d+) wakes=(\d+) `)

// parseCounts reads countsched's "counts: ..." log line (nil if l is not
// one).
func parseCounts(l string) map[string]int {
	m := countsLine.FindStringSubmatch(l)
	if m == nil {
		return nil
	}
	c := map[string]int{}
	for i, key := range []string{"cpus", "entries", "starts", "sleeps", "wakes"} {
		c[key], _ = strconv.Atoi(m[i+1])
	}
	return c
}

// testSchedSeamNosplit checks, in the kernel of configs/seams-sched, what the
// linker cannot: countsched's Sleep and Wake hooks and its AP entry are
// called through func values (by the runtime, from interrupt context for
// Wake, and with g == nil for the entry), so neither they nor anything they
// call directly may have a stack check. It disassembles them and every
// function they reach by direct calls, and fails on any call to
// runtime.morestack. Calls to the runtime's panic functions (a failed
// bounds check) are not followed: a panic there is fatal either way.
func testSchedSeamNosplit(t *testing.T, elf string) {
	roots := []string{
		"github.com/aerokernel/aero/core/seamtest/countsched.sleep",
		"github.com/aerokernel/aero/core/seamtest/countsched.wake",
		"github.com/aerokernel/aero/core/seamtest/countsched.entry",
		"github.com/aerokernel/aero/core/platform.apMain",
	}
	seen := map[string]bool{}
	todo := slices.Clone(roots)
	for len(todo) > 0 {
		funcs, err := disassemble(elf, todo)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range todo {
			seen[name] = true
			calls, ok := funcs[name]
			if !ok {
				t.Errorf("%s is not in the kernel (renamed or inlined? the check needs it)", name)
			}
			for _, c := range calls {
				if strings.HasPrefix(c, "runtime.morestack") {
					t.Errorf("%s has a stack check (calls %s): it must be nosplit", name, c)
				}
			}
		}
		var next []string
		for _, name := range todo {
			for _, c := range funcs[name] {
				if !seen[c] && !slices.Contains(next, c) && !strings.HasPrefix(c, "runtime.morestack") && !isPanic(c) {
					next = append(next, c)
				}
			}
		}
		todo = next
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range seen {
			if !yield(n) {
				return
			}
		}
	})
	t.Logf("checked %d functions: %s", len(names), strings.Join(names, " "))
}

// isPanic reports whether a call target is one of the runtime's panics for
// failed checks (bounds, nil, division).
func isPanic(name string) bool {
	return strings.HasPrefix(name, "runtime.panic") || strings.HasPrefix(name, "runtime.goPanic")
}

var (
	textLine = regexp.MustCompile(`^TEXT (\S+)\(SB\)`)
	callLine = regexp.MustCompile(`\sCALL (\S+)\(SB\)`)
)

// disassemble returns, for each function named, the direct call targets in
// its machine code (from go tool objdump).
func disassemble(elf string, names []string) (map[string][]string, error) {
	var re []string
	for _, n := range names {
		re = append(re, regexp.QuoteMeta(n))
	}
	out, err := exec.Command("go", "tool", "objdump", "-s", "^("+strings.Join(re, "|")+")$", elf).Output()
	if err != nil {
		return nil, fmt.Errorf("go tool objdump %s: %v", elf, err)
	}
	funcs := map[string][]string{}
	cur := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if m := textLine.FindStringSubmatch(sc.Text()); m != nil {
			cur = m[1]
			funcs[cur] = funcs[cur][:0:0]
			continue
		}
		if m := callLine.FindStringSubmatch(sc.Text()); m != nil && cur != "" {
			funcs[cur] = append(funcs[cur], m[1])
		}
	}
	return funcs, sc.Err()
}
