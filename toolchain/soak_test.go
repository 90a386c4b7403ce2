package toolchain_test

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aerokernel/aero/qemu/qemutest"
	"github.com/aerokernel/aero/toolchain/smoke/checks"
)

// SoakEnv, when set to a count N, makes TestSoak boot the smoke kernel N
// times at -smp 2 and N times at -smp 4 (`make soak SOAK=N`). Unset, the
// test skips: a soak is not part of `make test`.
const SoakEnv = "AERO_SOAK"

// GCStressEnv, when set to a count N, makes TestGCStress boot the gcstress
// kernel (smoke/gcstress) N times at -smp 4 and N at -smp 2; each boot
// runs the gc check (or the check GCStressCheckEnv names, such as gcstw)
// GCStressRounds times with a GCStressTimeout timeout.
const (
	GCStressEnv      = "AERO_GCSTRESS"
	GCStressCheckEnv = "AERO_GCSTRESS_CHECK"
	GCStressRounds   = 10
	GCStressTimeout  = checks.DefaultTimeout
)

// TestGCStress counts the gc check's rounds that overran their timeout
// (a stalled collection) over many boots of smoke/gcstress.
func TestGCStress(t *testing.T) {
	n := soakCount(t, GCStressEnv)
	requireQEMU(t)
	goBin, err := tamagoGo()
	if err != nil {
		t.Fatal(err)
	}
	elf, err := buildKernel(goBin, "./smoke/gcstress")
	if err != nil {
		t.Fatal(err)
	}
	roundLine := regexp.MustCompile(`^gcstress: round \d+ (PASS|FAIL) took=(\S+)`)
	done := regexp.MustCompile(`^gcstress: DONE `)
	rounds, fails, hung := 0, 0, 0
	var took []time.Duration
	for _, cpus := range []int{4, 2} {
		for i := range n {
			t.Run(fmt.Sprintf("smp%d/%03d", cpus, i+1), func(t *testing.T) {
				opts := smokeOptions(elf, cpus)
				opts.Append = fmt.Sprintf("gcstress.rounds=%d gcstress.timeout=%d", GCStressRounds, int(GCStressTimeout/time.Second))
				if c := os.Getenv(GCStressCheckEnv); c != "" {
					opts.Append += " gcstress.check=" + c
				}
				vm := qemutest.Boot(t, opts)
				// A stop-the-world that never ends freezes the kernel:
				// the host's timeout is what sees it.
				_, _, err := vm.VM.Expect(done, time.Duration(GCStressRounds)*(GCStressTimeout+time.Minute))
				for _, l := range vm.Lines() {
					if m := roundLine.FindStringSubmatch(l.Text); m != nil {
						rounds++
						if m[1] == "FAIL" {
							fails++
							t.Errorf("%s", l.Text)
						}
						if d, err := time.ParseDuration(m[2]); err == nil {
							took = append(took, d)
						}
					}
				}
				if err != nil {
					hung++
					vm.Kill()
					t.Fatalf("no DONE line: %v\n%s", err, vm.TailReport())
				}
			})
		}
	}
	slices.Sort(took)
	worst := time.Duration(0)
	if len(took) > 0 {
		worst = took[len(took)-1]
	}
	fmt.Printf("gcstress: %d boots, %d rounds, %d rounds over %v, %d boots hung; worst round %v\n",
		2*n, rounds, fails, GCStressTimeout, hung, worst)
}

// soakCount is the positive count in the environment variable env; the
// test skips when env is unset.
func soakCount(t *testing.T, env string) int {
	t.Helper()
	v := os.Getenv(env)
	if v == "" {
		t.Skipf("set %s=N to run it", env)
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive count", env, v)
	}
	return n
}

// soakBoot is what TestSoak keeps of one boot.
type soakBoot struct {
	name   string
	failed bool
	took   time.Duration // QEMU start to exit
	checks []checkTime
	tail   string // the failed boot's last serial lines
}

// TestSoak boots the smoke kernel again and again, judging every boot as
// TestSmoke does (checkSmokeRun); it prints a line per boot (a failed
// one's serial tail after it), then the failures and per check the median and worst time on the host clock.
// A check's time runs from the line before its result line (the info line
// for the first check) to its result line.
func TestSoak(t *testing.T) {
	n := soakCount(t, SoakEnv)
	requireQEMU(t)
	k := buildKernels(t)
	start := time.Now()
	var boots []soakBoot
	for _, cpus := range []int{2, 4} {
		for i := range n {
			b := soakBoot{name: fmt.Sprintf("smp%d/%03d", cpus, i+1)}
			ok := t.Run(b.name, func(t *testing.T) {
				r := bootSmoke(t, k.smoke, cpus)
				b.took = r.bootTime
				b.checks = checkTimes(r)
				t.Cleanup(func() {
					if t.Failed() {
						b.tail = r.tail()
					}
				})
				checkSmokeRun(t, r, cpus)
			})
			b.failed = !ok
			boots = append(boots, b)
			if ok {
				fmt.Printf("soak: %s ok in %v\n", b.name, b.took.Round(time.Millisecond))
			} else {
				fmt.Printf("soak: %s FAIL in %v; its tail:\n%s\n", b.name, b.took.Round(time.Millisecond), b.tail)
			}
		}
	}
	fmt.Print(soakReport(boots, time.Since(start)))
}

// checkTime is how long one check took.
type checkTime struct {
	name string
	d    time.Duration
}

// checkTimes is how long each check of r took, in the order they ran, from
// the line before its result line to the result line, on the host's clock.
func checkTimes(r *smokeRun) []checkTime {
	var times []checkTime
	var prev time.Time
	for _, l := range r.lines {
		if infoLine.MatchString(l.Text) {
			prev = l.Time
			continue
		}
		m := resultLine.FindStringSubmatch(l.Text)
		if m == nil || prev.IsZero() {
			continue
		}
		times = append(times, checkTime{m[2], l.Time.Sub(prev)})
		prev = l.Time
	}
	return times
}

// soakReport is the closing note: the count of failures, the failed
// boots, and per check (in the order of first appearance) the
// median and worst time over the boots that printed it.
func soakReport(boots []soakBoot, took time.Duration) string {
	var b strings.Builder
	var failed []soakBoot
	var order []string
	per := map[string][]time.Duration{}
	var boot []time.Duration
	for _, s := range boots {
		if s.failed {
			failed = append(failed, s)
		}
		boot = append(boot, s.took)
		for _, c := range s.checks {
			if _, seen := per[c.name]; !seen {
				order = append(order, c.name)
			}
			per[c.name] = append(per[c.name], c.d)
		}
	}
	var names []string
	for _, s := range failed {
		names = append(names, s.name)
	}
	fmt.Fprintf(&b, "soak: %d boots, %d failures, %v in all\n", len(boots), len(failed), took.Round(time.Second))
	if len(failed) > 0 {
		fmt.Fprintf(&b, "soak: failed: %s (each boot's tail is printed after its line above)\n", strings.Join(names, " "))
	}
	row := func(name string, d []time.Duration) {
		slices.Sort(d)
		fmt.Fprintf(&b, "soak: %-12s n=%-4d median=%-10v worst=%v\n", name, len(d),
			d[len(d)/2].Round(time.Millisecond), d[len(d)-1].Round(time.Millisecond))
	}
	if len(boot) > 0 {
		row("boot", boot)
	}
	for _, name := range order {
		row(name, per[name])
	}
	return b.String()
}
