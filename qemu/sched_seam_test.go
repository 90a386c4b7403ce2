package qemu_test

import (
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/aerokernel/aero/qemu"
	"github.com/aerokernel/aero/qemu/qemutest"
)

// TestSchedSeam builds configs/seams-sched, with the GOOS=tamago go in
// AERO_GO, and checks its kernel: the hooks' machine code (nosplit), then
// a boot (TestSchedSeam/boot).
func TestSchedSeam(t *testing.T) {
	elf := qemutest.BuildConfig(t, "configs/seams-sched")
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
	qemutest.NeedQEMU(t)
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

// testSchedSeamNosplit checks that countsched's Sleep and Wake hooks and
// its AP entry, which the runtime calls through func values (Wake from
// interrupt context, the entry with g == nil), have no stack check, nor
// anything they call.
func testSchedSeamNosplit(t *testing.T, elf string) {
	qemutest.CheckNosplit(t, elf,
		"github.com/aerokernel/aero/core/seamtest/countsched.sleep",
		"github.com/aerokernel/aero/core/seamtest/countsched.wake",
		"github.com/aerokernel/aero/core/seamtest/countsched.entry",
		"github.com/aerokernel/aero/core/platform.apMain",
	)
}
