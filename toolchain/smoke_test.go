package toolchain_test

import (
	"bufio"
	"bytes"
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

	"github.com/aerokernel/aero/core/report"
	"github.com/aerokernel/aero/image/builder"
	"github.com/aerokernel/aero/qemu"
	"github.com/aerokernel/aero/qemu/qemutest"
	"github.com/aerokernel/aero/toolchain/smoke/checks"
	"github.com/aerokernel/aero/toolchain/smoke/workload"
)

const (
	// bootTimeout bounds one boot of the smoke kernel under TCG, from QEMU
	// start to the DONE line.
	bootTimeout = 4 * time.Minute
	// panicMessage is panicker.Message (a tamago-only package).
	panicMessage = "aero smoke: deliberate panic"
	smokeMemory  = "2G"
)

var (
	resultLine = regexp.MustCompile(`^smoke: (PASS|FAIL|SKIP) ([\w-]+):? ?(.*)$`)
	infoLine   = regexp.MustCompile(`^smoke: info `)
	doneLine   = regexp.MustCompile(`^smoke: DONE `)
)

var workDir string // temporary directory for kernels, made by TestMain

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "aero-toolchain-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	workDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	if err := qemutest.RemoveBuilds(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// requireQEMU skips when QEMU is missing on a developer's machine; in CI
// (CI set) a missing QEMU is a failure, so tests cannot silently not run.
func requireQEMU(tb testing.TB) {
	tb.Helper()
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("qemu-system-x86_64 not found and CI is set: %v", err)
		}
		tb.Skip("qemu-system-x86_64 not installed (apt-get install qemu-system-x86); skipping guest boots")
	}
}

// tamagoGo finds the GOOS=tamago go command, once per test binary: $AERO_GO,
// else $TAMAGO, else whatever toolchain/build.sh builds (it prints the
// binary's path last).
var tamagoGo = sync.OnceValues(findTamagoGo)

func findTamagoGo() (string, error) {
	for _, env := range []string{"AERO_GO", "TAMAGO"} {
		if p := os.Getenv(env); p != "" {
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("$%s: %w", env, err)
			}
			return p, nil
		}
	}
	cmd := exec.Command("bash", "build.sh")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("toolchain/build.sh: %v\n%s", err, stderr.String())
	}
	var last string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" {
			last = s
		}
	}
	if fi, err := os.Stat(last); err != nil || fi.IsDir() {
		return "", fmt.Errorf("toolchain/build.sh printed %q, not a go binary", last)
	}
	return last, nil
}

type kernels struct {
	smoke, panicker string
	err             error
}

var (
	buildOnce sync.Once
	built     kernels
)

// buildKernels builds the smoke and panicker kernels once per test binary.
func buildKernels(tb testing.TB) kernels {
	tb.Helper()
	buildOnce.Do(func() {
		goBin, err := tamagoGo()
		if err != nil {
			built.err = err
			return
		}
		if built.smoke, built.err = buildKernel(goBin, "./smoke"); built.err != nil {
			return
		}
		built.panicker, built.err = buildKernel(goBin, "./smoke/panicker")
	})
	if built.err != nil {
		tb.Fatal(built.err)
	}
	return built
}

// buildKernel builds the kernel in package pkg (a directory of this
// module) with goBin into workDir, named after the package.
func buildKernel(goBin, pkg string) (string, error) {
	out := filepath.Join(workDir, filepath.Base(pkg)+".elf")
	cmd := exec.Command(goBin, "build", "-tags", "linkcpuinit", "-ldflags", builder.LDFlags, "-o", out, pkg)
	cmd.Env = append(os.Environ(), "GOOS=tamago", "GOARCH=amd64", "GOOSPKG=github.com/usbarmory/tamago", "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%s build %s: %v\n%s", goBin, pkg, err, msg)
	}
	return out, nil
}

// smokeOptions is how the smoke kernel boots: microvm under TCG, the
// CPUs as cores of one socket (tamago's amd64.NumCPU counts the cores
// CPUID reports per package); qemutest.Boot adds isa-debug-exit.
func smokeOptions(kernel string, cpus int) qemu.Options {
	return qemu.Options{
		Machine: qemu.MachineMicrovm,
		CPUs:    cpus,
		Sockets: 1,
		Memory:  smokeMemory,
		Kernel:  kernel,
	}
}

// smokeRun is one boot of the smoke kernel, read to the end.
type smokeRun struct {
	vm       *qemutest.VM
	lines    []qemu.Line
	status   int
	err      error // from Expect or Wait: a hang, a crash, a bad exit
	bootTime time.Duration
}

// bootSmoke boots the smoke kernel and reads it to its exit; a hang is
// killed at bootTimeout and kept in r.err (with the last serial lines) for
// the boot subtest to report, so the other subtests still report what came.
func bootSmoke(tb testing.TB, kernel string, cpus int) *smokeRun {
	tb.Helper()
	vm := qemutest.Boot(tb, smokeOptions(kernel, cpus))
	r := &smokeRun{vm: vm, status: -1}
	_, _, r.err = vm.VM.Expect(doneLine, bootTimeout)
	if r.err == nil {
		r.status, r.err = vm.Wait(30 * time.Second)
	} else {
		vm.Kill()
	}
	r.bootTime = time.Since(vm.Start)
	r.lines = vm.Lines()
	return r
}

func (r *smokeRun) find(re *regexp.Regexp) (qemu.Line, bool) {
	for _, l := range r.lines {
		if re.MatchString(l.Text) {
			return l, true
		}
	}
	return qemu.Line{}, false
}

func (r *smokeRun) tail() string { return r.vm.TailReport() }

// intField is the key=value field key of a smoke line as a number.
func intField(line, key string) (int64, error) {
	v, ok := report.Field(line, key)
	if !ok {
		return 0, fmt.Errorf("no %s= in %q", key, line)
	}
	return strconv.ParseInt(v, 10, 64)
}

// TestSmoke boots the smoke kernel on one and on four processors and turns
// each check it prints into a subtest, plus the host's view of its clock
// and its exit status.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("boots kernels under TCG")
	}
	requireQEMU(t)
	k := buildKernels(t)
	for _, cpus := range []int{1, 4} {
		t.Run(fmt.Sprintf("smp%d", cpus), func(t *testing.T) {
			r := bootSmoke(t, k.smoke, cpus)
			t.Logf("boot to exit %v, QEMU status %d", r.bootTime.Round(time.Millisecond), r.status)
			checkSmokeRun(t, r, cpus)
		})
	}
}

func checkSmokeRun(t *testing.T, r *smokeRun, cpus int) {
	t.Run("boot", func(t *testing.T) {
		if r.err != nil {
			t.Fatal(r.err)
		}
		code, ok := report.DebugExitCode(r.status)
		if !ok || code != 0 {
			t.Fatalf("QEMU exit status %d (guest code %d, via isa-debug-exit: %v), want 1 (code 0)\n%s", r.status, code, ok, r.tail())
		}
	})

	t.Run("gomaxprocs", func(t *testing.T) {
		l, ok := r.find(infoLine)
		if !ok {
			t.Fatalf("no info line\n%s", r.tail())
		}
		t.Log(l.Text)
		if n, err := intField(l.Text, "gomaxprocs"); err != nil || n != int64(cpus) {
			t.Errorf("GOMAXPROCS = %d (%v), want %d for -smp %d", n, err, cpus, cpus)
		}
	})

	results := map[string][]string{}
	for _, l := range r.lines {
		if m := resultLine.FindStringSubmatch(l.Text); m != nil {
			results[m[2]] = m
		}
	}
	// The kernel runs checks.All plus the kernel-only checks, which the
	// host cannot list (they build only for GOOS=tamago).
	names := []string{}
	for _, c := range checks.All() {
		names = append(names, c.Name)
	}
	names = append(names, "net")
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			m, ok := results[name]
			if !ok {
				t.Fatalf("no result line for %s\n%s", name, r.tail())
			}
			switch m[1] {
			case "PASS":
				t.Log(m[0])
			case "SKIP":
				if name == "smp" && cpus > 1 {
					t.Fatalf("smp skipped with -smp %d: %s", cpus, m[3])
				}
				t.Skip(m[3])
			default:
				t.Fatal(m[3])
			}
		})
	}

	t.Run("sleep-host-clock", func(t *testing.T) {
		// The kernel checked each window on its own clock; the host's
		// view of at least one must agree (a late line spoils one, a
		// wrong clock every one: checks.SleepWindows).
		var host []time.Duration
		var seen []string
		for w := range checks.SleepWindows {
			start, ok1 := r.find(regexp.MustCompile(fmt.Sprintf(`^smoke: sleep-start w=%d$`, w)))
			end, ok2 := r.find(regexp.MustCompile(fmt.Sprintf(`^smoke: sleep-end w=%d `, w)))
			if !ok1 || !ok2 {
				t.Fatalf("sleep-start/sleep-end lines of window %d missing\n%s", w, r.tail())
			}
			guestNS, err := intField(end.Text, "elapsed")
			if err != nil {
				t.Fatal(err)
			}
			host = append(host, end.Time.Sub(start.Time))
			seen = append(seen, fmt.Sprintf("window %d: host %v, kernel %v", w, host[w], time.Duration(guestNS)))
		}
		t.Logf("time.Sleep(%v): %s", checks.SleepFor, strings.Join(seen, "; "))
		if err := qemutest.HostSleep(host, checks.SleepFor, checks.SleepTolerance); err != nil {
			t.Error(err)
		}
	})

	t.Run("bench", func(t *testing.T) {
		l, ok := r.find(regexp.MustCompile(`^smoke: bench `))
		if !ok {
			if m, failed := results["bench"]; failed {
				t.Fatal(m[0])
			}
			t.Fatalf("no bench line\n%s", r.tail())
		}
		b, err := workload.ParseLine(l.Text)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("spawn+join %v/goroutine, channel round trip %v, GOMAXPROCS %d", b.SpawnJoin, b.ChanRTT, b.GOMAXPROCS)
	})
}

// TestPanic boots a kernel that panics on purpose: the panic must reach
// the console with a goroutine trace and end QEMU with a failing status.
func TestPanic(t *testing.T) {
	if testing.Short() {
		t.Skip("boots kernels under TCG")
	}
	requireQEMU(t)
	k := buildKernels(t)
	vm := qemutest.Boot(t, smokeOptions(k.panicker, 1))
	vm.Expect(`^panicker: about to panic$`, bootTimeout)
	code := vm.WaitExit(time.Minute)
	var out strings.Builder
	for _, l := range vm.Lines() {
		out.WriteString(l.Text + "\n")
	}
	text := out.String()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^panic: ` + regexp.QuoteMeta(panicMessage) + `$`),
		regexp.MustCompile(`(?m)^goroutine 1 \[running\]:$`),
		// a frame of the panicking function and its file:line
		regexp.MustCompile(`(?m)^main\.explode\(.*\)\n\t.*panicker/main\.go:\d+`),
		regexp.MustCompile(`(?m)^main\.main\(\)$`),
	} {
		if !want.MatchString(text) {
			t.Errorf("console lacks %q\n%s", want, vm.TailReport())
		}
	}
	if code == 0 {
		t.Errorf("isa-debug-exit code 0 after a panic, want a failing code")
	}
	t.Logf("guest exit code %d", code)
}
