// Package platform is Aero's machine layer for QEMU's q35, pc and microvm
// (and PC-compatible hardware) on tamago's amd64 package. Importing it makes
// a GOOS=tamago program bootable; core.Boot drives the rest.
//
//   - cpuinit (replacing tamago's, build tag linkcpuinit, which the image
//     tool sets): entered by QEMU's PVH loader or GRUB's multiboot2 in
//     32-bit mode; keeps EAX/EBX, masks the 8259 PICs, checks with CPUID
//     the features Aero needs (cpucheck.go; a missing one is named on COM1,
//     with a failing exit), builds identity page tables (0-3 GiB cached,
//     3-4 GiB uncached for MMIO, in 2 MiB pages, those that are all RAM
//     made cached by early; 4-64 GiB, cached where
//     RAM, in 1 GiB pages where the CPU has them, else 2 MiB; page 0
//     unmapped), enters long mode.
//   - the early IDT (fault.go, earlyidt.go, fault_amd64.s): from early's
//     first instruction on the boot CPU, and on each AP from its long-mode
//     entry (apEarlyStart, which replaces tamago's apstart in the
//     trampoline) until it runs its first thread, a CPU exception prints
//     one line on COM1 (vector, RIP, error code, CR2, APIC ID) and exits
//     failing; handlers need no runtime. The hand-over to the runtime's IDT
//     (tamago's): on the boot CPU in this package's init
//     (CPU.EnableExceptions), on an AP right before its first thread.
//     crash=early and crash=ap on the loader's command line fault on
//     purpose.
//   - early (nosplit Go before the runtime): copies the loader's structures
//     (BootSnapshot, for core/bootinfo) and places the Go heap and the boot
//     stack from the memory map and heap= (layout.go): at the bottom of the
//     largest stretch of RAM above the kernel image (linked at 1 MiB),
//     below 64 GiB and outside 3-4 GiB that no boot module occupies, as
//     much as heap= asks (default half of RAM); goos.RamStart and goos.Bloc
//     are the heap's start, goos.RamSize reaches the top of the boot stack
//     above it (Heap, Reserved). With less than about 33 MiB there, or a
//     heap= that does not parse or fit, it says so and exits failing.
//   - the runtime hooks: Printk (the console SetConsole installed, COM1
//     before it and once the console's own path faults: see ConsoleSink),
//     Nanotime (the TSC, calibrated against the PIT at Hwinit1 and, through
//     Recalibrate, against the HPET, the ACPI PM timer or a KVM pvclock;
//     or the TimeSource SetClock installed, kept continuous), Exit
//     (isa-debug-exit), Wake (a nosplit IPI).
//   - Features: the CPUID features beyond x86-64's baseline, decoded in
//     one place (DecodeCPUID, host-tested); code asks before it uses one.
//     The runtime's entropy (goos.GetRandomData, crypto/rand) is RDRAND,
//     else RDSEED, else a generator seeded from TSC jitter, installed
//     before the runtime first asks (entropy.go); CPUWarnings says which.
//   - CPU exceptions (exception.go): every one a running program can raise
//     is a Go panic on the faulting goroutine, a CPUException naming the
//     vector, RIP, error code and CR2; aborts and faults with no goroutine
//     print one line on COM1 and exit failing. Raise causes some on purpose
//     (core's crash=).
//   - COM1: COM1Write (polled output, usable from a console's PutByte)
//     and ReceiveCOM1 (interrupt-driven input).
//   - StartCPUs: every processor by APIC ID, INIT-SIPI-SIPI through tamago's
//     real-mode trampoline, each checked in before the next; each AP then
//     waits in the trampoline or runs a scheduler's AP entry. RunCPUs gives
//     them to the runtime, whose Ms then start on them (goos.Task, or a
//     scheduler's thread hooks).
//   - CPU identity (apic.go, apicid.go): ProcessorID is the caller's full
//     local APIC ID (8 bits in xAPIC mode, never tamago's 4-bit
//     LAPIC.ID; 32 bits from MSR 0x802 when the firmware left the local
//     APICs in x2APIC mode) and goos.ProcID; CPUIndex is the caller's
//     dense index (the order the CPUs came up in, Kernel.CPUs), from a
//     pointer-free table; every IPI goes through one sendIPI (the xAPIC
//     ICR, or the x2APIC ICR MSR 0x830). Aero does not switch to x2APIC
//     mode itself (tamago's interrupt stubs and AP trampoline use the
//     xAPIC registers), so CPUs with APIC IDs above 255 are named in a
//     warning and not started unless the firmware did; X2APIC says what
//     the CPU offers. HaltBriefly and WakeOtherCPUs let a goroutine hold
//     its CPU halted instead of spinning (OnEveryCPU).
//   - the one-M-per-CPU thread primitives a scheduler can pass through to
//     or build on: StartM, SleepM, WakeM and IdleM (the default
//     Scheduler's hooks: a sleeping M halts its CPU until a wake-up IPI
//     or, with a deadline, until the CPU's local APIC timer fires then,
//     in TSC-deadline mode where the CPU has it, else one-shot at a rate
//     measured against the TSC, armed with interrupts off so that a
//     timer that fires before the HLT still ends it) and, for an AP
//     entry, WaitThread, HandThread and RunThread. ArmLocalTimer and
//     StopLocalTimer are that one timer for a scheduler's preemption.
//   - InitIOAPICs, Route, Mask, ISAToGSI, ServeInterrupts: device interrupts
//     through the I/O APICs the MADT lists, serviced in Go by one
//     dispatcher goroutine; IRQLine and ISAIRQ give a line as a hw.IRQ.
//     Every local APIC's spurious vector (0xf7) has a gate that counts
//     (SpuriousInterrupts) and writes no EOI; StrayInterrupts counts
//     device interrupts nobody took.
//   - core/hw on the machine: PhysMemory and PhysAddr (the identity map),
//     MMIO (register windows mapped uncached), Ports (I/O port windows).
//
// It only builds for GOOS=tamago with the build tag linkcpuinit.
package platform
