//go:build tamago && amd64

package console

import (
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/aerokernel/aero/core"
	"github.com/aerokernel/aero/core/klog"
	"github.com/aerokernel/aero/core/ktest"
	"github.com/aerokernel/aero/core/pci"
	"github.com/aerokernel/aero/core/platform"
	"github.com/aerokernel/aero/core/report"
)

func init() {
	for _, c := range []core.Command{
		{Name: "cores", Help: "the CPUs: index, APIC ID, NUMA node", Run: onKernel(cores)},
		{Name: "numa", Help: "the NUMA nodes: CPUs, memory, distances", Run: onKernel(numa)},
		{Name: "meminfo", Help: "memory: the Memory module's zones and the Go heap", Run: onKernel(meminfo)},
		{Name: "pci", Help: "the PCI functions: bus:device.function, vendor:device, class, BARs, capabilities", Run: onKernel(pciList)},
		{Name: "devs", Help: "the devices and modules the kernel runs with", Run: onKernel(devs)},
		{Name: "time", Help: "time since boot, the clock, the date", Run: onKernel(uptime)},
		{Name: "sleep", Usage: "DURATION", Help: "sleep (1.5s, 200ms; a plain number is seconds)", Run: sleep},
		{Name: "bench", Usage: "[NAME...]", Help: "run built-in microbenchmarks (all, or those named)", Run: bench},
		{Name: "test", Usage: "[all|NAME,...]", Help: "run in-kernel tests (core/ktest) as go test -v prints them", Run: runTests},
		{Name: "gc", Help: "run the garbage collector and show the heap before and after", Run: collect},
		{Name: "peek", Usage: "ADDR [N]", Help: "show N bytes (16; at most 4096) at virtual address ADDR", Run: peek},
		{Name: "poke", Usage: "ADDR VALUE [1|2|4|8]", Help: "write VALUE (1 byte, or the width given) at virtual address ADDR", Run: poke},
		{Name: "dmesg", Usage: "[-l LEVEL] [N]", Help: "the kernel log with time, CPU and level (the last N lines; -l: logged lines up to LEVEL only)", Run: dmesg},
		{Name: "log", Usage: "LEVEL MESSAGE...", Help: "write a line to the kernel log at LEVEL (err, warn, info, ...)", Run: logLine},
		{Name: "loglevel", Usage: "[LEVEL]", Help: "show or set the level up to which the kernel log is shown", Run: logLevel},
		{Name: "halt", Help: "stop the machine (QEMU exits with status 0)", Run: halt},
		{Name: "reboot", Help: "reset the machine (8042 reset line)", Run: reboot},
	} {
		core.AddCommand(c)
	}
}

// onKernel makes a command without arguments that reads the running
// kernel.
func onKernel(run func(k *core.Kernel, w io.Writer) error) func([]string, io.Writer) error {
	return func(args []string, w io.Writer) error {
		if err := noArgs(args); err != nil {
			return err
		}
		k := core.Running()
		if k == nil {
			return fmt.Errorf("the kernel is not up yet")
		}
		return run(k, w)
	}
}

func noArgs(args []string) error {
	if len(args) > 0 {
		return core.UsageError("no arguments expected, got %q", strings.Join(args, " "))
	}
	return nil
}

func cores(k *core.Kernel, w io.Writer) error {
	fmt.Fprintf(w, "%d CPUs (this command runs on cpu %d); %d goroutines\n", len(k.CPUs), platform.CPUIndex(), runtime.NumGoroutine())
	fmt.Fprintf(w, "%5s %6s %5s\n", "cpu", "apic", "node")
	for _, c := range k.CPUs {
		fmt.Fprintf(w, "%5d %6d %5d\n", c.Index, c.APICID, c.Node)
	}
	return nil
}

func numa(k *core.Kernel, w io.Writer) error {
	t := k.Topology
	nodes := t.Nodes()
	fmt.Fprintf(w, "%d NUMA nodes (topology %s)\n", len(nodes), t.Name())
	for i, n := range nodes {
		var d []string
		for j := range nodes {
			d = append(d, strconv.Itoa(t.Distance(i, j)))
		}
		fmt.Fprintf(w, "node %d: cpus %s, memory %d MiB, distances %s\n", i, report.FormatCPUList(n.CPUs), n.MemoryBytes()>>20, strings.Join(d, " "))
	}
	return nil
}

func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func meminfo(k *core.Kernel, w io.Writer) error {
	fmt.Fprintf(w, "memory %s: %d zones\n", k.Memory.Name(), len(k.Memory.Stats()))
	for i, z := range k.Memory.Stats() {
		node := strconv.Itoa(z.Node)
		if z.Node < 0 {
			node = "any"
		}
		fmt.Fprintf(w, "  zone %d node %s: total %s, free %s, largest free %s; allocs %d, frees %d, failures %d\n",
			i, node, mib(z.Total), mib(z.Free), mib(z.Largest), z.Allocs, z.Frees, z.Failures)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(w, "go heap: region %s at %#x; in use %s (%d objects), heap %s (idle %s, released %s), stacks %s, runtime total %s; %d GCs, %v paused\n",
		mib(k.Heap.Size), k.Heap.Base, mib(ms.HeapAlloc), ms.HeapObjects, mib(ms.HeapSys), mib(ms.HeapIdle), mib(ms.HeapReleased),
		mib(ms.StackSys), mib(ms.Sys), ms.NumGC, time.Duration(ms.PauseTotalNs))
	return nil
}

// pciList prints the boot's one PCI scan (pci.Discover: the drivers'
// too), each function with its BARs and capabilities indented.
func pciList(k *core.Kernel, w io.Writer) error {
	b, err := pci.Discover(k.ACPI)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%d PCI functions (configuration space through %s)\n", len(b.Functions), b.Mechanism)
	for _, f := range b.Functions {
		fmt.Fprintln(w, f)
		for _, d := range f.Details() {
			fmt.Fprintln(w, "    "+d)
		}
	}
	for _, e := range b.Errors {
		fmt.Fprintln(w, "note:", e)
	}
	return nil
}

func devs(k *core.Kernel, w io.Writer) error {
	if c := running; c != nil && c.uart != nil {
		s := c.uart.Stats()
		fmt.Fprintf(w, "uart0   16550 COM1, ports %#x-%#x, ISA IRQ %d: %d bytes received in %d interrupts; %d overruns, %d parity, %d framing errors, %d breaks\n",
			com1Base, com1Base+7, com1IRQ, s.Bytes, s.Interrupt, s.Overruns, s.Parity, s.Framing, s.Breaks)
	}
	if k.Input != nil {
		fmt.Fprintf(w, "input   %d bytes received, %d dropped (nobody read)\n", k.Input.Received(), k.Input.Dropped())
	}
	fmt.Fprintf(w, "clock   %s: %s at %d MHz, calibrated against %s\n", k.Clock.Name(), k.Clock.Source(), k.Clock.Hz()/1e6, k.Clock.Reference())
	fmt.Fprintf(w, "modules console=%s topology=%s memory=%s scheduler=%s\n", k.Console.Name(), k.Topology.Name(), k.Memory.Name(), k.Scheduler.Name())
	if k.ACPI != nil && k.ACPI.MADT != nil {
		fmt.Fprintf(w, "ioapic  %d I/O APICs\n", len(k.ACPI.MADT.IOAPICs))
	}
	for _, n := range k.NICs {
		m := n.MAC()
		fmt.Fprintf(w, "nic     %s: MAC %02x:%02x:%02x:%02x:%02x:%02x, MTU %d, link up %v\n", n.Name(), m[0], m[1], m[2], m[3], m[4], m[5], n.Caps().MTU, n.LinkUp())
	}
	for _, b := range k.Blocks {
		fmt.Fprintf(w, "block   %s: %d sectors of %d bytes, read-only %v\n", b.Name(), b.Sectors(), b.SectorSize(), b.ReadOnly())
	}
	if len(k.NICs) == 0 && len(k.Blocks) == 0 {
		fmt.Fprintln(w, "(no NIC or block device drivers found a device)")
	}
	return nil
}

func uptime(k *core.Kernel, w io.Writer) error {
	up := time.Duration(platform.Nanotime())
	fmt.Fprintf(w, "up %v; clock %s (%s, calibrated against %s); now %s\n", up.Round(time.Millisecond), k.Clock.Name(), k.Clock.Source(), k.Clock.Reference(), time.Now().UTC().Format(time.RFC3339Nano))
	return nil
}

// parseDuration takes a Go duration or a plain number of seconds.
func parseDuration(s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Duration(f * float64(time.Second)), nil
	}
	return time.ParseDuration(s)
}

func sleep(args []string, w io.Writer) error {
	if len(args) != 1 {
		return core.UsageError("one duration")
	}
	d, err := parseDuration(args[0])
	if err != nil || d < 0 || d > time.Hour {
		return core.UsageError("%q is not a duration from 0 to 1h", args[0])
	}
	start := time.Now()
	time.Sleep(d)
	fmt.Fprintf(w, "slept %v (asked %v)\n", time.Since(start).Round(time.Microsecond), d)
	return nil
}

func runTests(args []string, w io.Writer) error {
	filter := "all"
	switch len(args) {
	case 0:
	case 1:
		filter = args[0]
	default:
		return core.UsageError("one filter: all, or names separated by commas")
	}
	ok, err := ktest.Run(w, filter)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("tests failed")
	}
	return nil
}

func collect(args []string, w io.Writer) error {
	if err := noArgs(args); err != nil {
		return err
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	runtime.GC()
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	fmt.Fprintf(w, "gc took %v: heap in use %s -> %s, objects %d -> %d, GCs %d -> %d\n", took.Round(time.Microsecond),
		mib(before.HeapAlloc), mib(after.HeapAlloc), before.HeapObjects, after.HeapObjects, before.NumGC, after.NumGC)
	return nil
}

func dmesg(args []string, w io.Writer) error {
	level, last := klog.Print, 0 // Print: every line
	for i := 0; i < len(args); i++ {
		switch {
		case args[i] == "-l" && i+1 < len(args):
			l, err := klog.ParseLevel(args[i+1])
			if err != nil {
				return core.UsageError("%v", err)
			}
			level = l
			i++
		default:
			n, err := strconv.Atoi(args[i])
			if err != nil || n <= 0 {
				return core.UsageError("%q is neither -l LEVEL nor a line count", args[i])
			}
			last = n
		}
	}
	lines := make([]klog.Line, klog.Capacity)
	n, _ := platform.ReadLog(0, lines)
	var keep []*klog.Line
	for i := range lines[:n] {
		if level == klog.Print || lines[i].Level != klog.Print && int(lines[i].Level) <= level {
			keep = append(keep, &lines[i])
		}
	}
	if last > 0 && last < len(keep) {
		keep = keep[len(keep)-last:]
	}
	if n > 0 && lines[0].Seq > 0 {
		fmt.Fprintf(w, "(%d older lines were overwritten)\n", lines[0].Seq)
	}
	for _, l := range keep {
		fmt.Fprintln(w, klog.Format(l))
	}
	return nil
}

func logLine(args []string, w io.Writer) error {
	if len(args) < 2 {
		return core.UsageError("a level and a message")
	}
	l, err := klog.ParseLevel(args[0])
	if err != nil {
		return core.UsageError("%v", err)
	}
	klog.Logf(l, "%s", strings.Join(args[1:], " "))
	return nil
}

func logLevel(args []string, w io.Writer) error {
	switch len(args) {
	case 0:
	case 1:
		l, err := klog.ParseLevel(args[0])
		if err != nil {
			return core.UsageError("%v", err)
		}
		platform.SetLogLevel(l)
	default:
		return core.UsageError("one level at most")
	}
	l := platform.LogLevel()
	fmt.Fprintf(w, "loglevel %d (%s): lines up to %s are shown, all are kept\n", l, klog.LevelName(l), klog.LevelName(l))
	return nil
}

func halt(args []string, w io.Writer) error {
	if err := noArgs(args); err != nil {
		return err
	}
	fmt.Fprintln(w, "halting")
	klog.Logf(klog.Notice, "console: halted from the shell")
	platform.Exit(0)
	return nil
}

// reboot pulses the CPU reset line through the 8042 keyboard controller:
// command 0xFE to port 0x64 (IBM PC/AT Technical Reference, keyboard
// controller commands). QEMU started with -no-reboot exits instead.
func reboot(args []string, w io.Writer) error {
	if err := noArgs(args); err != nil {
		return err
	}
	kbc, err := platform.Ports(0x64, 1)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "rebooting")
	klog.Logf(klog.Notice, "console: reboot from the shell")
	kbc.Write8(0, 0xfe)
	time.Sleep(time.Second)
	return fmt.Errorf("the machine did not reset within 1s of the 8042's reset command")
}
