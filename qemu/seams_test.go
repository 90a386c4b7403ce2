package qemu_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aerokernel/aero/core/report"
	"github.com/aerokernel/aero/qemu"
	"github.com/aerokernel/aero/qemu/qemutest"
)

// seamKernel returns the configs/seamtest kernel, for booting.
func seamKernel(t *testing.T) string {
	t.Helper()
	qemutest.NeedQEMU(t)
	return qemutest.BuildConfig(t, "configs/seamtest")
}

// captureMarker starts every line the test console (core/seamtest/capture)
// passes on to COM1: a line without it did not go through the console.
const captureMarker = "capture| "

// TestBootSeams boots configs/seamtest once — the capture console, the
// clock at twice real time, core/seamtest.Main as the entry — and checks
// that the chosen Console and Clock are what the machine uses:
//   - every line of kernel output, the boot summary, fmt.Println, println
//     and a panic's message and stack trace, reached the capture console;
//   - bytes typed on the serial line reached the console's input: a flood
//     while nobody read, held up to the buffer's size and the rest counted
//     as dropped, then a line;
//   - time.Sleep(time.Second) took 0.5 s ± 10% by the host's clock (in
//     one of two windows at least: qemutest.HostSleep), and
//     the switch to that clock kept time continuous.
func TestBootSeams(t *testing.T) {
	vm := qemutest.Boot(t, qemu.Options{CPUs: 2, Memory: "1G", Kernel: seamKernel(t)})
	m := `^` + strings.ReplaceAll(captureMarker, "|", `\|`)

	// Boot times itself from before the clock switch to after it: a
	// switch that is not continuous shows as a negative or absurd time
	// (the fast clock alone starts at 0, behind the TSC's time since
	// power-on).
	_, bm := vm.Expect(m+`aero: Aero .* booted by \S+ in (\S+); `, bootTimeout)
	if took, err := time.ParseDuration(bm[1]); err != nil || took <= 0 || took > bootTimeout {
		t.Errorf("the kernel says it booted in %s: want a positive time (the clock switch is continuous)", bm[1])
	}
	boot, _ := vm.Expect(m+`aero: boot `, bootTimeout)
	b, err := report.ParseBootLine(strings.TrimPrefix(boot.Text, captureMarker))
	if err != nil {
		t.Fatal(err)
	}
	if b.Console != "capture" || b.Clock != "fast2x" {
		t.Errorf("boot line names console=%s clock=%s, want console=capture clock=fast2x@...", b.Console, b.Clock)
	}

	vm.Expect(m+`seamtest: fmt\.Println reaches console=capture clock=fast$`, bootTimeout)
	vm.Expect(m+`seamtest: println reaches the console too$`, bootTimeout)

	host, ends := vm.ExpectSleeps(m+`seamtest: sleep-start w=%d$`, m+`seamtest: sleep-end w=%d kernel=(\d+)$`, 2, bootTimeout)
	for w, sm := range ends {
		kernel, _ := strconv.ParseInt(sm[1], 10, 64)
		t.Logf("time.Sleep(1s) on the 2x clock, window %d: host saw %v, kernel measured %v (host/kernel %.3f)", w, host[w], time.Duration(kernel), host[w].Seconds()/time.Duration(kernel).Seconds())
		if kernel < int64(time.Second) {
			t.Errorf("kernel clock: time.Sleep(1s), window %d, took %v, less than it asked for", w, time.Duration(kernel))
		}
	}
	if err := qemutest.HostSleep(host, 500*time.Millisecond, 0.10); err != nil {
		t.Errorf("host clock: time.Sleep(1s) on the clock at twice real time: %v", err)
	}

	// A flood while the kernel does not read: its console input keeps
	// core.InputBufferSize (4096) bytes, the oldest, and counts the rest.
	_, fm := vm.Expect(m+`seamtest: not reading; send (\d+) bytes$`, bootTimeout)
	flood, _ := strconv.Atoi(fm[1])
	vm.Send(strings.Repeat("x", flood))
	_, fl := vm.Expect(m+`seamtest: flood received=(\d+) buffered=(\d+) dropped=(\d+) intact=(\w+)$`, bootTimeout)
	const held = 4096
	if want := []string{fm[1], strconv.Itoa(held), strconv.Itoa(flood - held), "true"}; !slices.Equal(fl[1:], want) {
		t.Errorf("after a flood of %d bytes: received=%s buffered=%s dropped=%s intact=%s, want received=%s buffered=%s dropped=%s intact=%s",
			flood, fl[1], fl[2], fl[3], fl[4], want[0], want[1], want[2], want[3])
	}

	vm.Expect(m+`seamtest: waiting for a line of input$`, bootTimeout)
	const typed = "ping from the host 42"
	vm.Send(typed + "\n")
	_, in := vm.Expect(m+`seamtest: input "(.*)" received=(\d+) dropped=(\d+)$`, bootTimeout)
	if in[1] != typed || in[3] != fl[3] {
		t.Errorf("the kernel read %q (dropped %s in all), want %q with no more dropped than the flood's %s", in[1], in[3], typed, fl[3])
	}

	vm.Expect(m+`panic: seamtest: the panic the console must capture$`, bootTimeout)
	vm.Expect(m+`goroutine \d+ \[running\]:$`, 30*time.Second)
	vm.Expect(m+`github\.com/aerokernel/aero/core/seamtest\.Main\(\)$`, 30*time.Second)
	vm.Expect(m+`github\.com/aerokernel/aero/core\.Boot\(`, 30*time.Second)
	if code := vm.WaitExit(bootTimeout); code == 0 {
		t.Errorf("isa-debug-exit code 0 after a panic, want a failing one")
	}

	var missed []string
	for _, l := range vm.Lines() {
		if !strings.HasPrefix(l.Text, captureMarker) {
			missed = append(missed, l.Text)
		}
	}
	if len(missed) > 0 {
		t.Errorf("%d serial lines did not go through the console:\n\t%s", len(missed), strings.Join(missed, "\n\t"))
	}
}

// TestBootConsoleFault boots configs/seamtest with capture=fault: the
// capture console faults in its own output path (it reads address 0) at
// the end of a line, and core must fall back to COM1 for good, so the
// fault's panic (a Go panic naming the #PF) reaches the host unmarked and the machine
// exits failing.
func TestBootConsoleFault(t *testing.T) {
	vm := qemutest.Boot(t, qemu.Options{CPUs: 2, Memory: "1G", Kernel: seamKernel(t), Append: "capture=fault"})
	m := `^` + strings.ReplaceAll(captureMarker, "|", `\|`)
	vm.Expect(m+`seamtest: fault the console$`, bootTimeout)
	note, _ := vm.Expect(`^aero: the console's output path faulted or printed; output continues on COM1$`, 30*time.Second)
	vm.Expect(`^panic: runtime error: .*CPU exception #PF \(page fault\)`, 30*time.Second)
	vm.Expect(`^goroutine \d+ .*\[running\]:$`, 30*time.Second)
	if code := vm.WaitExit(bootTimeout); code == 0 {
		t.Errorf("isa-debug-exit code 0 after the console faulted, want a failing one")
	}
	after := false
	for _, l := range vm.Lines() {
		if l.Text == note.Text {
			after = true
		}
		if after && strings.HasPrefix(l.Text, captureMarker) {
			t.Errorf("a line still went through the faulted console: %q", l.Text)
		}
	}
}

// TestSeamPathsAreNosplit reads the machine code of configs/seamtest: the
// byte and time paths the runtime calls from nosplit code — goos.Printk and
// goos.Nanotime, and every PutByte and Nanotime method linked (core's
// defaults, the test console and clock, as the interfaces call them) —
// must not check the stack (no call to runtime.morestack), which the
// linker does not verify through an interface call.
func TestSeamPathsAreNosplit(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds a kernel")
	}
	elf := qemutest.BuildConfig(t, "configs/seamtest")
	qemutest.CheckNosplit(t, elf,
		"runtime/goos.Printk",
		"runtime/goos.Nanotime",
		"github.com/aerokernel/aero/core.(*serialConsole).PutByte",
		"github.com/aerokernel/aero/core.(*tscClock).Nanotime",
		"github.com/aerokernel/aero/core/seamtest/capture.(*Console).PutByte",
		"github.com/aerokernel/aero/core/seamtest/fastclock.(*Clock).Nanotime",
	)
}
