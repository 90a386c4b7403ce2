// Package core is Aero's spine: the typed interfaces a hybrid runtime (HRT)
// can swap (Scheduler, Memory, Topology, Console, Clock, NIC, BlockDevice),
// the registry modules fill from init(), the Kernel that holds the chosen
// implementations, and Boot, which brings the machine up and runs the HRT.
//
// # Choosing modules
//
// A module registers its implementation from init() (the database/sql
// driver idiom), so choosing a module is linking it:
//
//	func init() { core.RegisterScheduler("rr", func() core.Scheduler { return &rr{} }) }
//
// Boot picks, for each kind, the one registered implementation that is not
// core's own "default"; with none it uses core's default; with two or more it
// stops and names them (a kernel links one module per kind; the image tool's
// configs enforce that). The kernel command line can name one explicitly,
// e.g. sched=NAME. The kinds, with their config and command-line keys and
// Register functions, are one table: package kind (core/kind).
//
// # Core's defaults
//
// Core ships minimal implementations of the required kinds, all named
// "default", for a kernel that links no module of that kind (mm, numa,
// sched, console):
//   - Topology: one node holding every CPU and all RAM, whatever the
//     firmware's SRAT says; NUMA nodes from the ACPI SRAT and SLIT are the
//     numa module's (github.com/aerokernel/aero/numa).
//   - Memory: the Go heap; Alloc ignores the node (no node-local placement);
//     AllocDMA aligns within the heap, whose addresses are physical
//     (identity map); allocations stay until Free, which refuses anything
//     it did not hand out.
//   - Scheduler: the Go runtime's own, one M per CPU: no thread hooks, no
//     AP entry (core/seamtest/countsched is a scheduler that passes
//     through to the same behaviour, to prove the seam).
//   - Console: the COM1 16550 UART: output polled, input by interrupt
//     (ISA IRQ 4 through the I/O APIC; no input without one).
//   - Clock: the TSC, calibrated at boot against the PIT, then against the
//     HPET or the ACPI PM timer when ACPI lists one (a KVM pvclock's
//     frequency when running on KVM).
//
// # What core wires itself
//
// Once a module's Init has returned, core makes it what the machine uses,
// rather than trusting each implementation to:
//   - Topology: every Kernel.CPUs[i].Node is set from NodeOf(i) (a node out
//     of range stops Boot with a ModuleError).
//   - Clock: the Go runtime's time (goos.Nanotime, so time.Now, time.Sleep
//     and every timer) is the clock's Nanotime from then on, shifted so
//     that it goes on from what the previous clock said: neither a jump
//     nor a step back at the switch (readers on other CPUs at the instant
//     of the switch are held at the old value). The default clock, the
//     TSC, is the runtime's time from the start, so choosing it switches
//     nothing.
//   - Console: every byte of kernel output goes to its PutByte, and its
//     input fills Kernel.Input.
//
// # The console
//
// All kernel output — fmt and os.Stdout/Stderr, print and println, panics
// and the runtime's fatal errors with their stack traces — reaches the
// machine a byte at a time (goos.Printk). Core sends each byte to the
// chosen Console's PutByte, with two exceptions where COM1 gets it
// instead: before the console's Init has returned (early boot, package
// init, discovery), and, for good, once the console's own output path
// re-enters the kernel's output on the CPU running it — it faulted (the
// exception handler prints), panicked or printed. That is what "at a
// crash" means: a console keeping its contract (see Console) is itself
// crash-safe and also receives a dying runtime's panic and stack trace,
// which the runtime prints on the system stack with its locks held; a
// console breaking it hands the output, from the byte that re-entered on,
// back to COM1 after the line "aero: the console's output path faulted or
// printed; output continues on COM1". (A fault in PutByte leaves core's
// console lock held and that CPU's interrupts off; if the panic is
// recovered, the kernel goes on, printing on COM1.)
//
// Core calls PutByte with interrupts off on the calling CPU, from one CPU
// at a time; so a console needs no locking of its own, and must not wait
// for an interrupt.
//
// Input: after Init, Boot calls the console's StartInput with the deliver
// function of a ConsoleInput, which becomes Kernel.Input. The console
// passes every byte its device receives to deliver from its own receive
// goroutine (COM1: the platform's IRQ dispatcher goroutine, woken by
// the UART's interrupt). ConsoleInput holds InputBufferSize bytes for a
// reader (ConsoleInput.Read blocks until there are some); bytes that come
// while it is full are dropped and counted (Dropped): receive never waits
// for a reader. A console without input returns ErrNoInput, and
// Kernel.Input stays nil (Boot warns).
//
// The kernel log: before any of this, every byte of kernel output is kept
// in the kernel log (package core/klog, filled by the platform's printk
// from the first byte of boot), by lines, each with the time since boot,
// the CPU that printed it and a level (klog.Logf marks one; lines above
// loglevel= are kept but not passed to the console). platform.ReadLog
// reads it back: a console module shows what was printed before it came
// up, and the shell's dmesg.
//
// A console with a shell (ConsoleShell) gets StartShell right before the
// HRT entry; shell commands are Command values that modules add with
// AddCommand from init(), so only linked modules' commands exist.
//
// # Boot
//
// Boot runs after package init: it parses the boot information and the
// command line, chooses the Scheduler, reads the ACPI tables, recalibrates
// the clock, masks the I/O APICs, starts every enabled CPU of the MADT the
// way the Scheduler runs threads, chooses the other kinds and initialises
// one module per kind, prints the boot summary and then runs in-kernel tests
// (test=...) or the HRT entry. OnEveryCPU runs a function on all CPUs at
// once. A CPU is named by its full local APIC ID (platform.ProcessorID;
// CPU.APICID) and indexed by the order it came up in (CPU.Index,
// platform.CPUIndex on the CPU itself).
// The summary lines are a stable interface for tools:
//
//	aero: boot cpus=<N> nodes=<M> mem=<MiB> clock=<source>@<MHz> sched=<name> ...
//	aero: node <id> cpus=<list> mem=<MiB> dist=<d0,d1,...>
//
// Fields may be added after these; none of these will change meaning.
// Package github.com/aerokernel/aero/core/report holds the format: it
// writes these lines for SummaryLines and parses them for host tools.
//
// # Memory
//
// RAM is split between the Go heap and the Memory module. The Go heap is
// one contiguous stretch, since the runtime grows it by moving a single
// break up. Early boot (core/platform), before the runtime starts, puts it
// at the bottom of the largest stretch of RAM above the kernel image,
// below 64 GiB (the end of the identity map) and outside 3-4 GiB (mapped
// uncached for devices); on machines with more than a few GiB that is the
// RAM above 4 GiB. heap= on the loader's command line says how much:
//
//	heap=8G     8 GiB (a size as mem= takes it)
//	heap=75%    75% of the RAM in the memory map
//	heap=max    all of that stretch
//
// The default is cmdline.DefaultHeapPercent, half of RAM (at least the
// 32 MiB the kernel needs, at most what the stretch holds). Half, because
// the Memory module is where an HRT gets memory on a chosen NUMA node and
// DMA buffers, and the heap's one stretch cannot follow nodes: on QEMU's
// layouts, where nodes own RAM in address order, half of RAM from the
// bottom of the stretch above 4 GiB leaves the module the RAM below 4 GiB
// (for devices that address only 32 bits) and the top of the stretch (the
// last node's). An HRT that allocates mostly with make wants heap=max;
// a kernel without a memory module (memory=default, whose Alloc is the Go
// heap) leaves the RAM outside the heap unused unless it says heap=max.
// A heap= that does not parse, asks for less than 32 MiB or more than the
// stretch holds stops the boot with a message saying so; Parse rejects
// the same values. The heap= of a config's cmdline (DefaultCmdline) comes
// too late for early boot: Boot warns when it is there and the loader gave
// no command line.
//
// Kernel.Heap is the range the runtime can grow into, from goos.Bloc to
// the boot stack above it, and the summary's heap= is its size in MiB:
// everything the runtime allocates comes from it: objects, goroutine
// stacks and the runtime's own bookkeeping, which takes a share that
// hardly grows with the heap (measured with 4 MiB slices: 84 MiB fit in
// heap=100M and 88 MiB do not; 1004 MiB fit in heap=1024M). Kernel.Reserved
// covers it, so a Memory never hands it out.
//
// # Writing a scheduler
//
// Goroutines stay the Go runtime's; its Ms are the kernel's threads, and a
// Scheduler decides which thread runs on which CPU. It does so through two
// things it returns from Threads, which Boot calls once, right after the
// command line chose it and before any AP starts:
//
//   - ThreadHooks, which Boot installs in the runtime before the runtime
//     gets the CPUs (so before a second M exists): every thread start,
//     sleep (with or without a deadline), wake-up, yield, idle wait and
//     exit then goes through them, and installing them starts sysmon,
//     which preempts a goroutine that runs for more than 10 ms at its next
//     function call. nil keeps the runtime's bare default, one M per CPU,
//     without sysmon and with timed sleeps that poll. Hooks that run at
//     most one M per CPU set OnePerCPU: the runtime keeps to that as
//     without hooks, and runs sysmon's rounds on the time of Ms that wait
//     idle for a P (so only while such an M exists: the one blocked in
//     the poller does not count, and at -smp 2 there is often no other).
//     Otherwise it will ask for more Ms than CPUs (sysmon's own, LockOSThread, its template
//     thread), Start must take them, and Exit ends the thread of a
//     goroutine that exits locked to it. KeepP marks real-time threads
//     whose P the runtime must leave them.
//   - an APEntry, the code each application processor runs once it is up.
//     nil keeps the platform's: the AP waits in the boot trampoline for the
//     runtime's next thread.
//
// Init is called later, in kind order, once every CPU is up.
//
// The hooks run where the runtime's own thread code runs: on a thread's
// system stack, often without a P, with write barriers forbidden; Wake is
// also called in interrupt context (an interrupt's os/signal.Relay wakes
// the thread blocked in the poller), on the interrupted goroutine's stack,
// with the few hundred bytes the runtime keeps free below every stack. So
// Sleep, Wake, Yield, Idle, Exit, KeepP and everything they call must be:
//
//   - nosplit (//go:nosplit), directly and in every callee: the
//     interrupted goroutine may be marked for preemption, and a stack check
//     would then enter morestack, and the Go scheduler, from inside the
//     interrupt. The linker checks the stack use of nosplit chains, but not
//     through a func value or an interface, which is how the runtime calls
//     the hooks — so test a policy on a booted kernel;
//   - free of allocation, of Go locks (sync.Mutex, channels), of fmt and
//     panics, and of pointer writes into the Go heap or globals (a write
//     barrier needs a P): keep scheduler state
//     preallocated (in Threads, sized by maxCPUs) and pointer-free — words,
//     atomics, arrays indexed by small integers;
//   - careful with locks: a spin lock that Wake or other interrupt code
//     takes must be taken with interrupts off everywhere else, or an
//     interrupt on the holder's CPU spins forever.
//
// Wake never switches threads itself: it marks the thread runnable and, if
// that thread's CPU may be halted, sends it an interrupt (a reschedule
// IPI); the switch happens on that CPU, in its own Sleep or entry. Start is
// called from the runtime's newosproc, on a thread with a g but perhaps no
// P: no allocation or pointer writes there either. Sleep must return at
// once when *sema is non-zero (a Wake that came first must not be lost) and
// may return early; the runtime rechecks.
//
// The AP entry runs on a stack of its own (16 KiB) with no goroutine: g is
// nil, interrupts are on, the CPU has no M. It follows the same rules as
// the hooks (nosplit, no allocation, no pointer writes, nothing that needs
// g: no panics, no prints, no Go calls that may grow the stack) and never
// returns. What it does is wait for a thread to run here and run it:
// platform.WaitThread halts the CPU until a thread is handed to it
// (platform.HandThread; the platform's StartM hands each new M to the next
// CPU), and platform.RunThread loads the thread's stack pointer and g
// register and jumps to it, leaving the entry's stack behind.
//
// A scheduler that passes through to the default's behaviour calls the
// platform's one-M-per-CPU primitives from its hooks: platform.StartM (the
// next CPU without a thread), platform.SleepM (spin, then halt until woken
// or, with a deadline, until the CPU's local APIC timer fires then),
// platform.WakeM (the wake-up IPI to a halted CPU) and platform.IdleM;
// the default Scheduler installs exactly these, and
// core/seamtest/countsched passes through to them, and counts.
package core
