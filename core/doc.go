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
// Until the mm, numa, sched and console modules exist, core ships minimal
// implementations, all named "default":
//   - Topology: NUMA nodes, their CPUs, memory and distances from the ACPI
//     SRAT and SLIT when the firmware has them; one node holding every CPU
//     and all RAM otherwise.
//   - Memory: the Go heap; Alloc ignores the node (no node-local placement);
//     AllocDMA aligns within the heap, whose addresses are physical
//     (identity map); allocations stay until Free, which refuses anything
//     it did not hand out.
//   - Scheduler: the Go runtime's own, one M per CPU (no policy to swap in
//     below the goroutine scheduler).
//   - Console: the raw COM1 16550 UART, polled, output only.
//   - Clock: the TSC, calibrated at boot against the PIT, then against the
//     HPET or the ACPI PM timer when ACPI lists one (a KVM pvclock's
//     frequency when running on KVM).
//
// # Boot
//
// Boot runs after package init: it parses the boot information and the
// command line, reads the ACPI tables, recalibrates the clock, masks the
// I/O APICs, starts every enabled CPU of the MADT, chooses and initialises
// one module per kind, prints the boot summary and then runs in-kernel tests
// (test=...) or the HRT entry. OnEveryCPU runs a function on all CPUs at
// once.
// The summary lines are a stable interface for tools:
//
//	aero: boot cpus=<N> nodes=<M> mem=<MiB> clock=<source>@<MHz> sched=<name> ...
//	aero: node <id> cpus=<list> mem=<MiB> dist=<d0,d1,...>
//
// Fields may be added after these; none of these will change meaning.
// Package github.com/aerokernel/aero/core/report holds the format: it
// writes these lines for SummaryLines and parses them for host tools.
package core
