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
// configs enforce that). The kernel command line can name one explicitly:
// sched=NAME, memory=NAME, topology=NAME, console=NAME.
//
// # Core's defaults
//
// Until the mm, numa, sched and console modules exist, core ships minimal
// implementations, all named "default":
//   - Topology: NUMA nodes, their CPUs, memory and distances from the ACPI
//     SRAT and SLIT when the firmware has them; one node holding every CPU
//     and all RAM otherwise.
//   - Memory: the Go heap; Alloc ignores the node (no node-local placement).
//   - Scheduler: the Go runtime's own, one M per CPU: no thread hooks, no
//     AP entry (core/seamtest/countsched is a scheduler that passes
//     through to the same behaviour, to prove the seam).
//   - Console: the raw COM1 16550 UART, polled, output only.
//   - Clock: the TSC, calibrated at boot against the PIT, then against the
//     HPET or the ACPI PM timer when ACPI lists one (a KVM pvclock's
//     frequency when running on KVM).
//
// # Boot
//
// Boot runs after package init: it parses the boot information and the
// command line, chooses the Scheduler, reads the ACPI tables, recalibrates
// the clock, masks the I/O APICs, starts every enabled CPU of the MADT the
// way the Scheduler runs threads, chooses the other kinds and initialises
// one module per kind, prints the boot summary and then runs in-kernel tests
// (test=...) or the HRT entry. OnEveryCPU runs a function on all CPUs at
// once.
// The summary lines are a stable interface for tools:
//
//	aero: boot cpus=<N> nodes=<M> mem=<MiB> clock=<source>@<MHz> sched=<name> ...
//	aero: node <id> cpus=<list> mem=<MiB> dist=<d0,d1,...>
//
// Fields may be added after these; none of these will change meaning.
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
//     sleep, wake-up, yield and idle wait then goes through them. nil keeps
//     the runtime's default, one M per CPU. Hooks that run at most one M per
//     CPU set OnePerCPU, and the runtime keeps to that as without hooks;
//     otherwise it will ask for more Ms than CPUs (LockOSThread, its
//     template thread), and Start must take them.
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
// Sleep, Wake, Yield, Idle and everything they call must be:
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
// A scheduler that passes through to today's behaviour calls the platform's
// one-M-per-CPU primitives from its hooks: platform.StartM (the next CPU
// without a thread), platform.SleepM (spin, then halt until woken when
// there is no deadline) and platform.WakeM (the wake-up IPI to a halted
// CPU); core/seamtest/countsched does exactly that, and counts.
package core
