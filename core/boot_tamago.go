//go:build tamago && amd64

package core

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aerokernel/aero/core/acpi"
	"github.com/aerokernel/aero/core/bootinfo"
	"github.com/aerokernel/aero/core/cmdline"
	"github.com/aerokernel/aero/core/ktest"
	"github.com/aerokernel/aero/core/platform"
)

// DefaultCmdline is the command line used when the boot loader passes an
// empty one. The image tool sets it from a config's cmdline setting.
var DefaultCmdline string

// Version is printed in the banner.
const Version = "0.1"

// Boot brings the machine up and runs entry, the HRT's entry point (nil:
// core's default, which greets from every CPU and idles). It does not
// return: when entry returns, or the in-kernel tests asked for on the
// command line (test=) finish, the machine exits through isa-debug-exit
// (status 0 on success). Anything Boot cannot go on without is a panic,
// which prints its stack on the console and exits with a failing status.
func Boot(entry func()) {
	start := time.Now()
	k, err := bringUpMachine()
	if err != nil {
		panic(err)
	}
	k.printSummary(time.Since(start))
	if kind := k.Cmdline.String("crash", ""); kind != "" {
		crash(kind)
	}

	if run, _, _ := k.Cmdline.Tests(); run {
		filter := k.Cmdline.String("test", "all")
		ok, err := ktest.Run(os.Stdout, filter)
		if err != nil {
			fmt.Println("aero: ktest:", err)
		}
		if ok && err == nil {
			platform.Exit(0)
		}
		platform.Exit(1)
	}

	if entry == nil {
		entry = defaultEntry
	}
	fmt.Println("aero: hrt entry")
	if sh, ok := k.Console.(ConsoleShell); ok {
		sh.StartShell(k)
	}
	entry()
	fmt.Println("aero: hrt returned; exiting")
	platform.Exit(0)
}

// crash fails on purpose as crash=kind asks (core/cmdline's Crashes): each
// kind ends in a Go panic (or Go's fatal stack overflow) with a stack trace.
func crash(kind string) {
	switch kind {
	case "panic":
		panic("aero: crash=panic on the command line")
	case "nil":
		println(*crashNil)
	case "stack":
		println(overflow(0))
	case "early", "ap":
		// The early code faults before the runtime for these (core/platform).
		panic("aero: crash=" + kind + " did not fault before the Go runtime (crash=ap needs a second CPU)")
	default:
		if err := platform.Raise(kind); err != nil {
			panic(err)
		}
	}
	panic("aero: crash=" + kind + " did not crash")
}

// crashNil is nil, in a variable the compiler cannot see through.
var crashNil *int

// overflow recurses until the goroutine's stack reaches its limit.
//
//go:noinline
func overflow(n int) int {
	var pad [32]byte
	pad[n%len(pad)] = byte(n)
	return overflow(n+1) + int(pad[(n+1)%len(pad)])
}

// The running kernel, for packages that need it after Boot.
var running *Kernel

// Running returns the kernel Boot brought up (nil before).
func Running() *Kernel { return running }

// bringUpMachine discovers the machine (boot information, command line,
// ACPI), recalibrates the clock, starts the CPUs and chooses and
// initialises the modules: the Kernel that Boot runs.
func bringUpMachine() (*Kernel, error) {
	k := &Kernel{}
	warn := func(format string, args ...any) {
		k.Warnings = append(k.Warnings, fmt.Sprintf(format, args...))
	}

	// What the boot loader said.
	snap, truncated := platform.BootSnapshot()
	if truncated {
		warn("boot information did not fit the early snapshot; some is missing")
	}
	info, err := bootinfo.Parse(platform.BootMagic(), platform.BootInfoAddr(), snap)
	if err != nil {
		warn("boot information: %v", err)
		k.RAM = platform.EarlyRAM()
		k.Loader = "unknown"
	} else {
		k.Loader = info.Loader
		for _, w := range info.Warnings {
			warn("boot information: %s", w)
		}
		for _, r := range info.RAM() {
			k.RAM = append(k.RAM, r.Range)
		}
	}
	k.Heap = platform.Heap()
	k.Reserved = platform.Reserved()
	for _, w := range platform.CPUWarnings() {
		warn("%s", w)
	}

	line := ""
	if info != nil {
		line = info.Cmdline
	}
	if line == "" {
		line = DefaultCmdline
		if c, err := cmdline.ParseString(line); err == nil && c.Has("heap") {
			warn("heap= in the built-in command line comes after early boot placed the Go heap (by default): give it on the boot loader's command line")
		}
	}
	k.CommandLine = line
	k.Cmdline, err = cmdline.ParseString(line)
	if err != nil {
		// Say what is wrong and boot with no options rather than guess.
		fmt.Printf("aero: ignoring the kernel command line %q: %v\n", line, err)
		k.Cmdline, _ = cmdline.ParseString("")
	}
	// From here the kernel log shows lines up to loglevel= (core/klog).
	platform.SetLogLevel(k.Cmdline.LogLevel())

	// The scheduler's threads are set up before any AP starts.
	if err := k.chooseScheduler(); err != nil {
		return nil, err
	}

	if secs, ok := k.Cmdline.Panic(); ok {
		platform.SetPanicDelay(time.Duration(secs) * time.Second)
	}
	if limit := k.Cmdline.Mem(); limit > 0 {
		k.RAM = clipRAM(k.RAM, limit)
		if len(k.RAM) > 0 && k.Heap.End() > k.RAM[len(k.RAM)-1].End() {
			warn("mem=%d: the Go heap (%#x-%#x) was sized before the command line was read and reaches past it", limit, k.Heap.Base, k.Heap.End())
		}
	}

	// ACPI.
	mem := platform.PhysMemory()
	var rsdp uint64
	if info != nil {
		rsdp = info.RSDP
	}
	if rsdp == 0 {
		rsdp, err = acpi.FindRSDP(mem)
	}
	switch {
	case rsdp != 0:
		k.ACPI, err = acpi.Discover(mem, rsdp)
	case info != nil && len(info.RSDPCopy) > 0:
		// Only multiboot2's copy of the RSDP (firmware without the
		// BIOS areas, e.g. UEFI).
		k.ACPI, err = acpi.DiscoverCopy(mem, info.RSDPCopy)
	}
	if err != nil {
		warn("ACPI: %v", err)
	}
	if k.ACPI != nil {
		for _, e := range k.ACPI.Errors {
			warn("ACPI: %v", e)
		}
	}

	// A better clock than the PIT, if the firmware has one.
	if _, err := platform.Recalibrate(k.ACPI); err != nil {
		warn("clock: %v", err)
	}

	// CPUs: every enabled processor of the MADT, at most smp=N of them.
	var ids []uint32
	if k.ACPI != nil && k.ACPI.MADT != nil {
		for _, p := range k.ACPI.MADT.EnabledProcessors() {
			if !slices.Contains(ids, p.APICID) {
				ids = append(ids, p.APICID)
			}
		}
	} else {
		warn("no MADT: running on the boot CPU only")
	}
	if n := k.Cmdline.SMP(); n > 0 && n < len(ids) {
		ids = ids[:n]
	}
	if k.ACPI != nil && k.ACPI.MADT != nil {
		if err := platform.InitIOAPICs(k.ACPI.MADT); err != nil {
			warn("IOAPIC: %v", err)
		}
	}
	up, err := k.startCPUs(ids)
	if err != nil {
		return nil, err
	}
	for i, id := range up {
		k.CPUs = append(k.CPUs, CPU{Index: i, APICID: id})
	}

	if err := k.chooseModules(); err != nil {
		return nil, err
	}
	k.probeDrivers()
	running = k
	return k, nil
}

func (k *Kernel) printSummary(took time.Duration) {
	level := k.Cmdline.LogLevel()
	if level >= cmdline.LevelInfo {
		fmt.Printf("aero: Aero %s (%s, %s) booted by %s in %v; command line %q\n",
			Version, runtime.Version(), runtime.CPU(), k.Loader, took.Round(time.Millisecond), k.CommandLine)
	}
	if level >= cmdline.LevelWarning {
		for _, w := range k.Warnings {
			fmt.Println("aero: warning:", w)
		}
	}
	// The summary lines are for tools: always printed.
	for _, l := range k.SummaryLines() {
		fmt.Println(l)
	}
}

// defaultEntry is what runs without an HRT: a goroutine on every CPU at
// once reports its APIC ID; then the kernel idles.
func defaultEntry() {
	ids, err := OnEveryCPU(func(int) {})
	slices.Sort(ids)
	fmt.Printf("aero: default entry: %d goroutines ran at once on APIC IDs %v; idling (no HRT entry configured)\n", len(ids), ids)
	if err != nil {
		fmt.Println("aero: default entry:", err)
	}
	for {
		time.Sleep(time.Hour)
	}
}

// OnEveryCPU runs f(i) for i in 0..NumCPU-1, each in its own goroutine, all
// at the same time: every goroutine holds its CPU until all have started
// before it calls f, so (with one M per CPU) no two share a CPU. It returns
// the APIC ID each ran on, by i, and an error if not all started within
// 10 s (a CPU busy elsewhere: the goroutines still finish) or if in every
// one of onEveryCPURounds rounds some goroutine was moved to another CPU.
//
// A goroutine can be moved: the collector's stack scans preempt a goroutine
// at its next call and make it runnable on the scanning CPU, and so do
// stop-the-world pauses, sysmon's preemption of a goroutine that ran long,
// and a scheduler that migrates threads. A goroutine that is on another CPU
// after f than it started on makes the round void, and OnEveryCPU runs the
// whole round again: f must be safe to call again for the same i (write
// its results, don't append them). The collector stays off while the
// goroutines gather, so a round is void only when something moved one
// while f ran.
//
// The waiting CPUs halt between checks (platform.HaltBriefly) rather than
// spin: under TCG spinning CPUs took the host's time from the CPUs still
// starting their threads, and at -smp 64 not all had started after 20 s.
// The wait makes no call that checks for preemption (HaltBriefly and
// TSCNanotime are nosplit): sysmon preempts a goroutine at such a call
// once it ran 10 ms, which would move it before f even starts.
func OnEveryCPU(f func(i int)) ([]uint64, error) {
	var ids []uint64
	var err error
	for range onEveryCPURounds {
		var moved int
		ids, moved, err = onEveryCPURound(f)
		if err != nil || moved == 0 {
			return ids, err
		}
		err = fmt.Errorf("core: in each of %d rounds a goroutine moved to another CPU (%d of %d in the last)", onEveryCPURounds, moved, len(ids))
	}
	return ids, err
}

// onEveryCPURounds is how many rounds OnEveryCPU runs before it reports
// that goroutines kept moving.
const onEveryCPURounds = 3

// onEveryCPURound is one round of OnEveryCPU: the APIC IDs by i, how many
// goroutines were on another CPU after f (or after the gathering) than
// they started on, and an error if not all were running at once.
func onEveryCPURound(f func(i int)) ([]uint64, int, error) {
	n := runtime.GOMAXPROCS(0)
	var started, gathered, moved atomic.Int32
	var all uint32 // set (and the CPUs woken) once all have started; waiters also stop at the deadline
	ids := make([]uint64, n)
	var wg sync.WaitGroup
	gcPercent := debug.SetGCPercent(-1)
	deadline := platform.TSCNanotime() + int64(10*time.Second)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids[i] = platform.ProcessorID()
			if started.Add(1) == int32(n) {
				atomic.StoreUint32(&all, 1)
				platform.WakeOtherCPUs()
			}
			for atomic.LoadUint32(&all) == 0 && platform.TSCNanotime() < deadline {
				platform.HaltBriefly(&all)
			}
			if gathered.Add(1) == int32(n) {
				debug.SetGCPercent(gcPercent)
			}
			f(i)
			if platform.ProcessorID() != ids[i] {
				moved.Add(1)
			}
		}()
	}
	wg.Wait()
	if got := started.Load(); got < int32(n) {
		return ids, 0, fmt.Errorf("core: only %d of %d goroutines were running at once", got, n)
	}
	return ids, int(moved.Load()), nil
}
