package qemu_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aerokernel/aero/image/builder"
	"github.com/aerokernel/aero/qemu"
	"github.com/aerokernel/aero/qemu/qemutest"
)

// TestSched boots the kernel threads of sched (issue 10) under two
// policies: configs/sched (sched/rr, with core's in-kernel tests too) and
// configs/customsched (examples/customsched, strict priority). In each
// boot the summary names the policy, sched/schedtest's tests pass
// (binding on every CPU, 16 locked goroutines on 4 CPUs) and its order
// workload prints the order that policy makes: round robin interleaves
// the workers, strict priority runs each to the end, highest first. The
// scheduler's hooks, idle loop and the policies' methods, which run
// without a g or in interrupt context, are checked for stack checks
// first.
func TestSched(t *testing.T) {
	for _, c := range []struct {
		config, policy, pkg, order string
	}{
		{"configs/sched", "rr", "github.com/aerokernel/aero/sched/rr", "0 1 2 0 1 2 0 1 2 0 1 2"},
		{"configs/customsched", "prio", "github.com/aerokernel/aero/examples/customsched", "2 2 2 2 1 1 1 1 0 0 0 0"},
	} {
		t.Run(c.policy, func(t *testing.T) {
			elf := qemutest.BuildConfig(t, c.config)
			t.Run("nosplit", func(t *testing.T) {
				roots := append(schedNosplitRoots, c.pkg+".(*Policy).Ready", c.pkg+".(*Policy).Next")
				if c.policy == "rr" {
					roots = append(roots, c.pkg+".(*Policy).Slice", c.pkg+".(*Policy).Preempt")
				}
				qemutest.CheckNosplit(t, elf, roots...)
			})
			t.Run("boot", func(t *testing.T) { testBootSched(t, elf, c.policy, c.order) })
		})
	}
}

// schedNosplitRoots are sched's functions that run without a P, without a
// g or in interrupt context (see sched's package documentation), and
// snapshot, which holds the scheduler lock with interrupts off.
var schedNosplitRoots = []string{
	"github.com/aerokernel/aero/sched.snapshot",
	"github.com/aerokernel/aero/sched.start",
	"github.com/aerokernel/aero/sched.sleep",
	"github.com/aerokernel/aero/sched.wake",
	"github.com/aerokernel/aero/sched.yield",
	"github.com/aerokernel/aero/sched.entry",
	"github.com/aerokernel/aero/sched.idleMain",
	"github.com/aerokernel/aero/sched.onTick",
}

func testBootSched(t *testing.T, elf, policy, order string) {
	qemutest.NeedQEMU(t)
	vm := qemutest.Boot(t, qemu.Options{CPUs: 4, Memory: "1G", Kernel: elf}).FailOnPanic()
	s := vm.CheckSummary(bootTimeout, 1)
	if s.Boot.Sched != policy {
		t.Errorf("boot line: sched=%s, want %s", s.Boot.Sched, policy)
	}
	run := qemutest.RunKTests(t, vm, bootTimeout)
	want := "policy=" + policy + " order=" + order
	for _, k := range run.Tests {
		if k.Name != "sched/order" {
			continue
		}
		for _, l := range k.Log {
			if i := strings.Index(l, "policy="); i >= 0 {
				if got := l[i:]; got != want {
					t.Errorf("sched/order printed %q, want %q", got, want)
				}
				return
			}
		}
	}
	t.Errorf("sched/order printed no order line (want %q)", want)
}

// TestSchedOutside is an HRT's own scheduler kept outside the tree: the
// test writes a module, example.com/myhrt, into a temporary directory
// (testdata/wakefirst: a policy that runs started and woken threads before
// those that yielded), and a config beside it that names the policy by
// its registered name and the module by its directory (use). The image
// tool finds it without a proxy; the booted kernel's summary names it, and
// the order workload prints the order only that policy makes.
func TestSchedOutside(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("testdata", "wakefirst", "wakefirst.go"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"myhrt/go.mod":                 "module example.com/myhrt\n\ngo 1.26.5\n",
		"myhrt/wakefirst/wakefirst.go": string(src),
		"myhrt.conf": "name myhrt\nscheduler wakefirst\nmemory default\ntopology default\nconsole default\nclock default\n" +
			"use myhrt\nmodule github.com/aerokernel/aero/sched/schedtest\ncmdline test=sched/order\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	elf := qemutest.BuildConfig(t, filepath.Join(dir, "myhrt.conf"))
	t.Run("nosplit", func(t *testing.T) {
		qemutest.CheckNosplit(t, elf, "example.com/myhrt/wakefirst.(*policy).Ready", "example.com/myhrt/wakefirst.(*policy).Next")
	})
	t.Run("boot", func(t *testing.T) { testBootSched(t, elf, "wakefirst", "2 1 0 2 1 0 2 1 0 2 1 0") })
}

// TestSchedSmoke builds the toolchain's smoke kernel (toolchain/smoke, a
// hand-written main on core.Boot) with sched/rr linked in, through an
// overlay file that adds the import, and boots it: every smoke check must
// pass with the runtime's Ms as preempted kernel threads. Among them,
// preempt (issue 10's GOMAXPROCS(1) spinner, which only sysmon, on a
// kernel thread of its own here, can preempt while a collection
// completes) must pass, not skip.
func TestSchedSmoke(t *testing.T) {
	qemutest.NeedQEMU(t)
	goBin := os.Getenv(qemutest.AeroGoEnv)
	if goBin == "" {
		t.Skipf("%s is not set", qemutest.AeroGoEnv)
	}
	root, err := qemutest.Root(".")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	extra := filepath.Join(dir, "rr.go")
	if err := os.WriteFile(extra, []byte("//go:build tamago\n\npackage main\n\nimport _ \"github.com/aerokernel/aero/sched/rr\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	overlay := filepath.Join(dir, "overlay.json")
	ov := fmt.Sprintf(`{"Replace":{%q:%q}}`, filepath.Join(root, "toolchain", "smoke", "zz_sched_rr.go"), extra)
	if err := os.WriteFile(overlay, []byte(ov), 0o644); err != nil {
		t.Fatal(err)
	}
	elf := filepath.Join(dir, "smoke-rr.elf")
	cmd := exec.Command(goBin, "build", "-overlay", overlay, "-tags", "linkcpuinit", "-ldflags", builder.LDFlags, "-o", elf, "./smoke")
	cmd.Dir = filepath.Join(root, "toolchain")
	cmd.Env = append(os.Environ(), "GOOS=tamago", "GOARCH=amd64", "GOOSPKG="+builder.DefaultGOOSPkg, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the smoke kernel with sched/rr: %v\n%s", err, out)
	}
	vm := qemutest.Boot(t, qemu.Options{Machine: qemu.MachineMicrovm, CPUs: 4, Sockets: 1, Memory: "2G", Kernel: elf}).FailOnPanic()
	s := vm.CheckSummary(bootTimeout, 1)
	if s.Boot.Sched != "rr" {
		t.Errorf("boot line: sched=%s, want rr", s.Boot.Sched)
	}
	l, m := vm.Expect(regexp.MustCompile(`^smoke: DONE pass=(\d+) fail=(\d+) skip=(\d+)`), 5*time.Minute)
	if m[2] != "0" {
		var failed []string
		for _, x := range vm.Lines() {
			if strings.HasPrefix(x.Text, "smoke: FAIL") {
				failed = append(failed, x.Text)
			}
		}
		t.Errorf("%s\n%s", l.Text, strings.Join(failed, "\n"))
	}
	t.Log(l.Text)
	found := false
	for _, x := range vm.Lines() {
		if strings.HasPrefix(x.Text, "smoke: PASS preempt") {
			found = true
			t.Log(x.Text)
		}
	}
	if !found {
		t.Error("the preempt check did not pass (sysmon under sched/rr)")
	}
}
