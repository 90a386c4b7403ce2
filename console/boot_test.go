package console_test

import (
	"bytes"
	"math/rand"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aerokernel/aero/core/report"
	"github.com/aerokernel/aero/qemu"
	"github.com/aerokernel/aero/qemu/qemutest"
)

// bootTimeout bounds the boot; cmdTimeout one command's output (TCG on a
// loaded 2-core host is slow).
const (
	bootTimeout = 3 * time.Minute
	cmdTimeout  = time.Minute
)

// session drives the shell of a booted kernel from subtests: it uses the
// error-returning methods of qemu.VM and fails the subtest that called.
type session struct {
	vm *qemutest.VM
}

func (s *session) send(t *testing.T, keys string) {
	t.Helper()
	if _, err := s.vm.VM.WriteSerial([]byte(keys)); err != nil {
		t.Fatal(err)
	}
}

func (s *session) expect(t *testing.T, pattern string) []string {
	t.Helper()
	_, m, err := s.vm.VM.Expect(regexp.MustCompile(pattern), cmdTimeout)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// prompt is the root shell's prompt line once Enter ends it.
const prompt = `^aero> $`

// run types keys (a command, perhaps edited), Enter and one more Enter,
// and returns the lines from the command's echo to the empty prompt the
// second Enter ends: the command's output, its echo first. Empty prompt
// lines left from before (a Ctrl-C's) are skipped.
func (s *session) run(t *testing.T, keys string) []string {
	t.Helper()
	n := len(s.vm.Lines())
	s.send(t, keys+"\r\r")
	for {
		s.expect(t, prompt)
		var out []string
		for _, l := range s.vm.Lines()[n:] {
			if l.Text == "aero> " {
				if len(out) == 0 {
					continue // an empty prompt from before
				}
				return out
			}
			out = append(out, l.Text)
		}
	}
}

// cmd runs a command typed plainly and returns its output, checking the
// echo.
func (s *session) cmd(t *testing.T, line string) []string {
	t.Helper()
	out := s.run(t, line)
	if out[0] != "aero> "+line {
		t.Fatalf("%q: echo line %q", line, out[0])
	}
	return out[1:]
}

func match(t *testing.T, lines []string, pattern string) []string {
	t.Helper()
	re := regexp.MustCompile(pattern)
	for _, l := range lines {
		if m := re.FindStringSubmatch(l); m != nil {
			return m
		}
	}
	t.Fatalf("no line matches %q in:\n\t%s", pattern, strings.Join(lines, "\n\t"))
	return nil
}

// TestShell boots configs/console-test once (q35, 4 CPUs, 2 NUMA nodes)
// and drives its root shell over the serial line: each command's output
// against what QEMU was given, line editing and history, bad input of
// every kind, the kernel log, virtual console switching and a new shell,
// and, last, a panic that kills the kernel shown with the shell in front.
func TestShell(t *testing.T) {
	qemutest.NeedQEMU(t)
	elf := qemutest.BuildConfig(t, "configs/console-test")
	// An e1000 for pci to find (the kernel links no NIC driver).
	opts := qemu.Options{CPUs: 4, Nodes: 2, Memory: "2G", Kernel: elf, Net: qemu.NetE1000}
	layout, err := opts.Layout()
	if err != nil {
		t.Fatal(err)
	}
	vm := qemutest.Boot(t, opts)
	vm.CheckSummary(bootTimeout, 1)
	vm.Expect(`^aero: hrt entry$`, bootTimeout)
	s := &session{vm: vm}
	s.send(t, "\r")
	vm.Expect(prompt, cmdTimeout)

	t.Run("help", func(t *testing.T) {
		got := map[string]string{}
		for _, l := range s.cmd(t, "help") {
			m := regexp.MustCompile(`^  (\S+)\s+(\S.*)$`).FindStringSubmatch(l)
			if m == nil {
				t.Errorf("help line %q is not a command and its description", l)
				continue
			}
			got[m[1]] = m[2]
		}
		// Exactly the commands of what the kernel links: console
		// (pci among them), sched (threads), shelltest, the shell's
		// help; no net (net/netstack is not linked).
		want := []string{"bench", "cores", "devs", "dmesg", "fail", "gc", "halt", "help", "log", "loglevel", "meminfo", "numa", "oops", "pci", "peek", "poke", "reboot", "sleep", "test", "threads", "time"}
		var names []string
		for n := range got {
			names = append(names, n)
		}
		slices.Sort(names)
		if !slices.Equal(names, want) {
			t.Errorf("help lists %q, want %q", names, want)
		}
	})

	t.Run("cores", func(t *testing.T) {
		out := s.cmd(t, "cores")
		match(t, out, `^4 CPUs `)
		rows := 0
		for _, l := range out {
			f := strings.Fields(l)
			if len(f) != 3 {
				continue
			}
			cpu, err1 := strconv.Atoi(f[0])
			apic, err2 := strconv.Atoi(f[1])
			node, err3 := strconv.Atoi(f[2])
			if err1 != nil || err2 != nil || err3 != nil {
				continue
			}
			rows++
			if apic != cpu || !slices.Contains(layout.Nodes[node].CPUs, cpu) {
				t.Errorf("cpu %d: apic %d node %d; QEMU gave node %d cpus %v", cpu, apic, node, node, layout.Nodes[node].CPUs)
			}
		}
		if rows != layout.CPUs {
			t.Errorf("%d CPU rows, QEMU gave %d CPUs:\n%s", rows, layout.CPUs, strings.Join(out, "\n"))
		}
	})

	t.Run("numa", func(t *testing.T) {
		out := s.cmd(t, "numa")
		match(t, out, `^2 NUMA nodes `)
		for i, n := range layout.Nodes {
			m := match(t, out, `^node `+strconv.Itoa(i)+`: cpus (\S+), memory (\d+) MiB, distances (.*)$`)
			mem, _ := strconv.Atoi(m[2])
			if m[1] != report.FormatCPUList(n.CPUs) || mem < n.MemMiB*99/100 || mem > n.MemMiB || m[3] != intsString(n.Dist) {
				t.Errorf("node %d: %q; QEMU gave cpus %s, %d MiB, distances %v", i, m[0], report.FormatCPUList(n.CPUs), n.MemMiB, n.Dist)
			}
		}
	})

	t.Run("meminfo", func(t *testing.T) {
		out := s.cmd(t, "meminfo")
		m := match(t, out, `^memory (\S+): (\d+) zones$`)
		zones, _ := strconv.Atoi(m[2])
		seen := 0
		for _, l := range out {
			z := regexp.MustCompile(`^  zone (\d+) node (\d+|any): total ([\d.]+) MiB, free ([\d.]+) MiB`).FindStringSubmatch(l)
			if z == nil {
				continue
			}
			seen++
			total, _ := strconv.ParseFloat(z[3], 64)
			free, _ := strconv.ParseFloat(z[4], 64)
			node, err := strconv.Atoi(z[2])
			if total <= 0 || free > total || z[2] != "any" && (err != nil || node >= len(layout.Nodes)) {
				t.Errorf("zone line %q: total %v free %v, node out of QEMU's %d", l, total, free, len(layout.Nodes))
			}
		}
		if zones == 0 || seen != zones {
			t.Errorf("%d zones announced, %d listed:\n%s", zones, seen, strings.Join(out, "\n"))
		}
		match(t, out, `^go heap: region [\d.]+ MiB at 0x[0-9a-f]+; in use [\d.]+ MiB \(\d+ objects\)`)
	})

	t.Run("devs-time-gc", func(t *testing.T) {
		match(t, s.cmd(t, "devs"), `^uart0   16550 COM1, ports 0x3f8-0x3ff, ISA IRQ 4: [1-9]\d* bytes received`)
		m := match(t, s.cmd(t, "time"), `^up (\S+); clock default \(tsc, calibrated against (\w+)\)`)
		if up, err := time.ParseDuration(m[1]); err != nil || up <= 0 {
			t.Errorf("time: up %q", m[1])
		}
		match(t, s.cmd(t, "gc"), `^gc took \S+: heap in use .*, GCs (\d+) -> (\d+)$`)
	})

	t.Run("pci", func(t *testing.T) {
		out := s.cmd(t, "pci")
		t.Log("pci:\n" + strings.Join(out, "\n"))
		m := match(t, out, `^(\d+) PCI functions \(configuration space through (ports|ecam)\)$`)
		fre := regexp.MustCompile(`^([0-9a-f]{2}):([0-9a-f]{2})\.([0-7]) ([0-9a-f]{4}):([0-9a-f]{4}) (.*)$`)
		var funcs, nics []string
		for i, l := range out {
			f := fre.FindStringSubmatch(l)
			if f == nil {
				continue
			}
			funcs = append(funcs, l)
			if strings.Contains(f[6], "network controller: ethernet") {
				nics = append(nics, f[4]+":"+f[5])
				// The e1000's BAR0: its 128 KiB of registers
				// (82540EM manual, §4.1), placed by the firmware.
				if i+1 >= len(out) || !regexp.MustCompile(`^    bar0 mem32 0x[1-9a-f][0-9a-f]*\+0x20000$`).MatchString(out[i+1]) {
					t.Errorf("e1000 %q: no 128 KiB bar0 after it", l)
				}
			}
		}
		if n, _ := strconv.Atoi(m[1]); n != len(funcs) || n < 2 {
			t.Errorf("%s functions announced, %d listed:\n%s", m[1], len(funcs), strings.Join(out, "\n"))
		}
		// q35's host bridge (the Q35 MCH), and the one NIC QEMU was
		// given (-device e1000: 8086:100e, the 82540EM).
		match(t, out, `^00:00\.0 8086:29c0 bridge: host bridge \(intel\)$`)
		if !slices.Equal(nics, []string{"8086:100e"}) {
			t.Errorf("network controllers %q, QEMU was given one e1000 (8086:100e)", nics)
		}
	})

	t.Run("threads", func(t *testing.T) {
		out := s.cmd(t, "threads")
		t.Log("threads:\n" + strings.Join(out, "\n"))
		m := match(t, out, `^(\d+) kernel threads \(scheduler rr; this command runs on thread (\d+)\)$`)
		n, _ := strconv.Atoi(m[1])
		self, _ := strconv.Atoi(m[2])
		match(t, out, `^\s*tid\s+name\s+cpu\s+state\s+bound\s+switches\s+runtime\s+preempts$`)
		row := regexp.MustCompile(`^\s*(\d+) (\S+)\s+(-?\d+) (running|runnable|blocked)\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)$`)
		rows, last, selfSeen := 0, -1, false
		var total time.Duration
		for _, l := range out {
			r := row.FindStringSubmatch(l)
			if r == nil {
				continue
			}
			rows++
			tid, _ := strconv.Atoi(r[1])
			cpu, _ := strconv.Atoi(r[3])
			run, err := time.ParseDuration(r[7])
			if tid <= last || cpu < -1 || cpu >= layout.CPUs || err != nil {
				t.Errorf("thread line %q: tid after %d, cpu of %d, run time %v", l, last, layout.CPUs, err)
			}
			last = tid
			total += run
			if tid == self {
				selfSeen = true
				if r[4] != "running" || cpu < 0 {
					t.Errorf("the thread running the command: %q", l)
				}
			}
		}
		// The boot M (thread 0) and at least one thread per CPU: the
		// default entry ran as many goroutines at once as there are
		// CPUs, each on an M of its own.
		if rows != n || n < layout.CPUs || !selfSeen || total <= 0 {
			t.Errorf("%d threads announced, %d listed (want at least %d), this one's seen %v, run time %v in all:\n%s", n, rows, layout.CPUs, selfSeen, total, strings.Join(out, "\n"))
		}
		match(t, out, `^\s*0 `)
		match(t, s.cmd(t, "threads now"), `^usage: threads$`)
	})

	t.Run("sleep", func(t *testing.T) {
		start := time.Now()
		m := match(t, s.cmd(t, "sleep 300ms"), `^slept (\S+) \(asked 300ms\)$`)
		slept, err := time.ParseDuration(m[1])
		if err != nil || slept < 300*time.Millisecond || time.Since(start) < 300*time.Millisecond {
			t.Errorf("sleep 300ms: slept %v by the kernel's clock, %v by the host's", m[1], time.Since(start))
		}
		match(t, s.cmd(t, "sleep forever"), `^usage: sleep DURATION$`)
	})

	t.Run("bench", func(t *testing.T) {
		out := s.cmd(t, "bench mutex chan")
		match(t, out, `^mutex\s+\d+ ops\s+\S+/op`)
		match(t, out, `^chan\s+\d+ ops\s+\S+/op`)
	})

	t.Run("peek-poke", func(t *testing.T) {
		match(t, s.cmd(t, "peek 0"), `^peek: .*0x0 is not mapped \(PT entry 0 not present\)$`)
		match(t, s.cmd(t, "peek 0x7fff00000000"), `^peek: .*is not mapped \(PML4 entry 255 not present\)$`)
		match(t, s.cmd(t, "poke 0x10 1"), `^poke: .*0x0 is not mapped`)
		match(t, s.cmd(t, "peek 0x8000000000000000"), `is not a canonical address$`)
		// The kernel image is linked at 1 MiB: its ELF header.
		match(t, s.cmd(t, "peek 0x100000 4"), `^0000000000100000  7f 45 4c 46 `)
		// 0x70000: conventional memory (0x7e00-0x7ffff) that neither
		// the BIOS nor Aero uses once booted.
		match(t, s.cmd(t, "poke 0x70000 0x1234abcd 4"), `^wrote 0x1234abcd \(4 bytes\) at 0x70000$`)
		match(t, s.cmd(t, "peek 0x70000 4"), `^0000000000070000  cd ab 34 12 `)
		match(t, s.cmd(t, "poke 0x70001 1 4"), `^usage: poke ADDR VALUE \[1\|2\|4\|8\]$`)
		match(t, s.cmd(t, "peek"), `^usage: peek ADDR \[N\]$`)
		match(t, s.cmd(t, "peek 0x1000 99999"), `^peek: bad arguments: count "99999"`)
	})

	t.Run("bad-input", func(t *testing.T) {
		match(t, s.cmd(t, "frobnicate now"), `^unknown command "frobnicate": help lists the commands$`)
		match(t, s.cmd(t, "fail"), `^fail: failed on purpose$`)
		match(t, s.cmd(t, `cores "unterminated`), `^unterminated " quote$`)
		match(t, s.cmd(t, "cores extra"), `^usage: cores$`)
		// A line longer than the editor takes is cut at 512 bytes.
		out := s.run(t, strings.Repeat("x", 2000))
		match(t, out, `^unknown command "x{512}": help lists the commands$`)
	})

	t.Run("panicking-command", func(t *testing.T) {
		out := s.cmd(t, "oops")
		match(t, out, `^oops: panic: assignment to entry in nil map$`)
		match(t, out, `^goroutine \d+ \[running\]:$`)
		match(t, out, `shelltest/shelltest\.go:\d+`)
		match(t, s.cmd(t, "cores"), `^4 CPUs `) // the shell goes on
	})

	t.Run("editing", func(t *testing.T) {
		const left, right, home, end, up, down = "\x1b[D", "\x1b[C", "\x1b[H", "\x1b[F", "\x1b[A", "\x1b[B"
		// Backspace, left and right, home and end each fix a line.
		match(t, s.run(t, "coers\x7f\x7f\x7fres"), `^4 CPUs `)
		match(t, s.run(t, "nua"+left+"m"+right), `^2 NUMA nodes `)
		match(t, s.run(t, "ores"+home+"c"+end), `^4 CPUs `)
		match(t, s.run(t, "gone"+"\x15"+"numa"), `^2 NUMA nodes `) // Ctrl-U kills the line
		// History: up runs numa again; up up runs the cores before it.
		match(t, s.run(t, up), `^2 NUMA nodes `)
		match(t, s.run(t, up+up+up+down), `^4 CPUs `)
		// Ctrl-C cancels a line: halt is not run.
		out := s.run(t, "halt\x03")
		if out[0] != "aero> halt^C" {
			t.Errorf("Ctrl-C: echo %q", out[0])
		}
		match(t, s.cmd(t, "cores"), `^4 CPUs `)
	})

	t.Run("noise", func(t *testing.T) {
		// 10 KiB of random bytes, then help. The backtick is left out:
		// it starts the console switch, which noise may rightly do.
		rng := rand.New(rand.NewSource(time.Now().UnixNano()))
		noise := make([]byte, 0, 10<<10)
		for len(noise) < cap(noise) {
			if c := byte(rng.Intn(256)); c != '`' {
				noise = append(noise, c)
			}
		}
		s.send(t, string(noise))
		s.send(t, "\x03help\r")
		s.expect(t, `^  time\s+time since boot`)
		s.send(t, "\r")
		s.expect(t, prompt)
		match(t, s.cmd(t, "cores"), `^4 CPUs `)
	})

	t.Run("dmesg", func(t *testing.T) {
		out := s.cmd(t, "dmesg")
		match(t, out, `^\[\s*\d+\.\d{6}\] cpu0 shelltest: printed in package init, before the console came up$`)
		match(t, out, `^\[\s*\d+\.\d{6}\] cpu\d+ aero: boot cpus=4 `) // the boot thread may move: sched/rr steals
		s.cmd(t, "log warn console test warning")
		s.cmd(t, "log debug console test debug")
		out = s.cmd(t, "dmesg -l warn")
		match(t, out, `^\[\s*\d+\.\d{6}\] cpu\d+ warn: console test warning$`)
		for _, l := range out {
			if strings.Contains(l, "aero: boot") || strings.Contains(l, "console test debug") {
				t.Errorf("dmesg -l warn shows %q", l)
			}
		}
		match(t, s.cmd(t, "dmesg -l debug 2"), `debug: console test debug$`)
		match(t, s.cmd(t, "dmesg -l loud"), `^usage: dmesg \[-l LEVEL\] \[N\]$`)
	})

	t.Run("ktests", func(t *testing.T) {
		out := s.cmd(t, "test")
		match(t, out, `^--- PASS: console/log-from-boot `)
		match(t, out, `^--- PASS: console/log-levels `)
		match(t, out, `^PASS$`)
	})

	t.Run("consoles", func(t *testing.T) {
		match(t, s.cmd(t, "numa"), `^2 NUMA nodes `)
		// ``1: the kernel log, redrawn: the boot summary and the warning
		// logged above (shown: warn is within loglevel=info), not the
		// debug line (kept, not shown).
		n := len(vm.Lines())
		s.send(t, "``1")
		s.expect(t, `^aero: boot cpus=4 `)
		s.expect(t, `^console test warning$`)
		time.Sleep(time.Second) // the rest of the redraw
		for _, l := range vm.Lines()[n:] {
			if strings.Contains(l.Text, "console test debug") {
				t.Errorf("the kernel log shows a line above loglevel: %q", l.Text)
			}
		}
		// The kernel log takes no commands; Enter says so.
		s.send(t, "cores\r")
		s.expect(t, "^\\(this is the kernel log: ``2 goes to the shell")
		// ``2 (next, around): the shell again, its output intact.
		s.send(t, "``2")
		s.expect(t, `^aero> numa$`)
		s.expect(t, `^2 NUMA nodes `)
		s.send(t, "\r")
		s.expect(t, prompt)
		// ``3 lists the consoles; + opens a new shell.
		s.send(t, "``3")
		s.expect(t, `^  a  kernel log$`)
		s.expect(t, `^  b  root shell  \(in front\)$`)
		s.send(t, "+cores\r")
		s.expect(t, `aero:c> cores$`)
		s.expect(t, `^4 CPUs `)
		// Back to the root shell by letter: its history is its own.
		s.send(t, "``3b")
		s.expect(t, `^aero> numa$`)
		s.send(t, "\x1b[A\r\r")
		s.expect(t, `^aero> numa(\x1b\[K)?$`) // the history's line replaces the one typed: erase to its end
		s.expect(t, `^2 NUMA nodes `)
		s.expect(t, prompt)
	})

	t.Run("kernel-panic-shown", func(t *testing.T) {
		// With the shell in front, a panic that kills the kernel must
		// still be seen: the console brings the kernel log to the front.
		s.send(t, "oops go\r")
		s.expect(t, `^panic: shelltest: an unrecovered panic in a goroutine$`)
		s.expect(t, `^goroutine \d+ \[running\]:$`)
		status, err := vm.VM.Wait(cmdTimeout)
		if code, ok := report.DebugExitCode(status); err != nil || !ok || code == 0 {
			t.Errorf("after the panic QEMU exited with status %d (%v), want a failing isa-debug-exit code", status, err)
		}
	})
}

func intsString(v []int) string {
	var b bytes.Buffer
	for i, x := range v {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(x))
	}
	return b.String()
}

// TestBytePathIsNosplit: the console's PutByte (called from printk with
// interrupts off, inside the runtime's print) and send (the goroutines'
// output, holding the lock PutByte spins on) must not check the stack,
// which the linker does not verify through an interface call; printk
// itself, with the kernel log it feeds, is checked too.
func TestBytePathIsNosplit(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds a kernel")
	}
	elf := qemutest.BuildConfig(t, "configs/console-test")
	qemutest.CheckNosplit(t, elf,
		"runtime/goos.Printk",
		"github.com/aerokernel/aero/console.(*Console).PutByte",
		"github.com/aerokernel/aero/console.(*Console).send",
	)
}
