package core

import (
	"github.com/aerokernel/aero/core/acpi"
	"github.com/aerokernel/aero/core/cmdline"
)

// Kernel is the running kernel: what Boot discovered about the machine and
// the implementations it chose. Boot fills it before any Module's Init and
// before the HRT entry; treat it as read-only afterwards.
type Kernel struct {
	// CommandLine is the kernel command line as given (or DefaultCmdline);
	// Cmdline is it parsed.
	CommandLine string
	Cmdline     *cmdline.Cmdline
	// Loader names the boot protocol: "pvh" or "multiboot2".
	Loader string
	// RAM is the usable RAM in the boot loader's memory map.
	RAM []Range
	// Heap is the physical range the runtime can grow the Go heap into
	// (from goos.Bloc to the boot stack): one contiguous stretch, sized
	// by heap= (default: half of RAM) and placed by early boot; the
	// summary's heap= is its size. See the package documentation,
	// "Memory".
	Heap Range
	// Reserved is the RAM (ascending) a Memory module must never hand
	// out: the first MiB (BIOS data, the AP trampoline, the EBDA), the
	// kernel image with its page tables, the runtime's region (Heap and
	// the boot stack above it) and the boot loader's modules. What a
	// Memory may manage is RAM (or a node's Memory) minus Reserved.
	Reserved []Range
	// ACPI is the firmware's tables (nil when none were found).
	ACPI *acpi.Tables
	// CPUs lists the processors that are up; CPUs[0] is the boot CPU.
	CPUs []CPU

	Clock     Clock
	Console   Console
	Topology  Topology
	Memory    Memory
	Scheduler Scheduler
	NICs      []NIC
	Blocks    []BlockDevice

	// Input is the console's input (nil when the console has none).
	Input *ConsoleInput

	// Warnings are problems met during boot that did not stop it (bad
	// ACPI tables, CPUs that did not start, ...). Boot prints them.
	Warnings []string
}

// RAMBytes is the total usable RAM.
func (k *Kernel) RAMBytes() uint64 {
	var s uint64
	for _, r := range k.RAM {
		s += r.Size
	}
	return s
}

// setModule stores m as the implementation of kind; m's type was checked by
// its Register function.
func (k *Kernel) setModule(kind Kind, m Module) {
	switch kind {
	case KindClock:
		k.Clock = m.(Clock)
	case KindConsole:
		k.Console = m.(Console)
	case KindTopology:
		k.Topology = m.(Topology)
	case KindMemory:
		k.Memory = m.(Memory)
	case KindScheduler:
		k.Scheduler = m.(Scheduler)
	}
}

// chooseModules picks and initialises one implementation of every kind, in
// Kinds order, honouring explicit choices on the command line.
func (k *Kernel) chooseModules() error {
	for _, kind := range Kinds {
		explicit := ""
		if k.Cmdline != nil {
			explicit = k.Cmdline.String(kind.cmdlineKey(), "")
		}
		m, name, err := k.chooseOnce(kind, explicit)
		if err != nil {
			return err
		}
		k.setModule(kind, m)
		if err := m.Init(k); err != nil {
			return &ModuleError{Kind: kind, Name: name, Err: err}
		}
		if err := k.adopt(kind, m); err != nil {
			return &ModuleError{Kind: kind, Name: name, Err: err}
		}
	}
	return nil
}

// ModuleError is a module's Init failing.
type ModuleError struct {
	Kind Kind
	Name string
	Err  error
}

func (e *ModuleError) Error() string {
	return "core: " + string(e.Kind) + " " + e.Name + ": " + e.Err.Error()
}

func (e *ModuleError) Unwrap() error { return e.Err }

// clipRAM keeps the lowest limit bytes of ram (sorted ranges): the mem=
// command line option.
func clipRAM(ram []Range, limit uint64) []Range {
	var out []Range
	for _, r := range ram {
		if limit == 0 {
			break
		}
		if r.Size > limit {
			r.Size = limit
		}
		out = append(out, r)
		limit -= r.Size
	}
	return out
}

// probeDrivers calls every registered NIC and block driver, in name order,
// and adds what they find to k.NICs and k.Blocks. A driver that fails is a
// warning: the kernel boots without its devices.
func (k *Kernel) probeDrivers() {
	nics, blocks := driverSnapshot()
	for _, name := range sortedKeys(nics) {
		found, err := nics[name](k)
		if err != nil {
			k.Warnings = append(k.Warnings, "NIC driver "+name+": "+err.Error())
		}
		k.NICs = append(k.NICs, found...)
	}
	for _, name := range sortedKeys(blocks) {
		found, err := blocks[name](k)
		if err != nil {
			k.Warnings = append(k.Warnings, "block driver "+name+": "+err.Error())
		}
		k.Blocks = append(k.Blocks, found...)
	}
}
