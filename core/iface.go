package core

import "io"

// CPU is one processor that Boot brought up.
type CPU struct {
	Index  int    // 0 is the boot processor; the order CPUs came up in
	APICID uint32 // local APIC ID
	Node   int    // NUMA node (index into Topology.Nodes)
}

// Range is a range of physical memory: [Base, Base+Size).
type Range struct {
	Base, Size uint64
}

// End returns the first address past r.
func (r Range) End() uint64 { return r.Base + r.Size }

// Node is one NUMA node.
type Node struct {
	ID     int     // the firmware's proximity domain, renumbered from 0 in order
	Domain uint32  // the firmware's proximity domain
	CPUs   []int   // indexes into Kernel.CPUs, ascending
	Memory []Range // usable RAM on this node, ascending
}

// MemoryBytes is the sum of n's memory ranges.
func (n Node) MemoryBytes() uint64 {
	var s uint64
	for _, r := range n.Memory {
		s += r.Size
	}
	return s
}

// Module is what every implementation has: a name (the one configs use)
// and an Init that Boot calls once, in kind order (Clock, Console,
// Topology, Memory, Scheduler), with the machine discovered and every CPU
// up.
type Module interface {
	Name() string
	Init(k *Kernel) error
}

// Topology describes the NUMA layout.
type Topology interface {
	Module
	Nodes() []Node
	// NodeOf returns the node of CPU index cpu.
	NodeOf(cpu int) int
	// Distance is the relative memory latency from node a to node b
	// (ACPI SLIT units: 10 is local).
	Distance(a, b int) int
}

// ZoneStats is the state of one allocator zone.
type ZoneStats struct {
	Node     int
	Total    uint64 // bytes managed
	Free     uint64 // bytes free
	Allocs   uint64 // successful Alloc calls
	Failures uint64 // failed Alloc calls
}

// Memory allocates memory outside the control of the Go garbage collector's
// placement: node-local buffers for DMA rings, packet buffers, large arrays.
type Memory interface {
	Module
	// Alloc returns size bytes of zeroed memory, preferring node (falling
	// back by distance); node < 0 means any.
	Alloc(size, node int) ([]byte, error)
	// Free returns memory from Alloc.
	Free(b []byte)
	Stats() []ZoneStats
}

// Scheduler decides which kernel thread runs on which CPU. Goroutines stay
// the Go runtime's; a Scheduler works beneath them, on the runtime's Ms,
// through thread hooks and the entry each AP runs. Boot chooses it as soon
// as the command line is read, calls Threads before any AP starts, and
// calls Init in kind order once every CPU is up. See "Writing a scheduler"
// in the package documentation for the contract.
type Scheduler interface {
	Module
	// Threads returns how the scheduler runs threads on at most maxCPUs
	// CPUs (indexes 0 to maxCPUs-1; 0 is the boot CPU): the hooks Boot
	// installs in the runtime before the second M exists (nil: the
	// runtime's default, one M per CPU), and what each AP runs once up
	// (nil: the platform's wait for a thread). Boot calls it once, before
	// Init; Kernel.CPUs is still empty. An error stops the boot.
	Threads(maxCPUs int) (*ThreadHooks, APEntry, error)
}

// Console is the kernel's text console.
type Console interface {
	Module
	io.Writer
}

// Clock is the kernel's time source.
type Clock interface {
	Module
	// Nanotime is monotonic nanoseconds since boot.
	Nanotime() int64
	// Hz is the frequency of the underlying counter, 0 if unknown.
	Hz() uint64
	// Source names the counter (e.g. "tsc", "kvmclock"); Reference what
	// it was calibrated against (e.g. "pit", "hpet"; "" if it needs none).
	Source() string
	Reference() string
}

// NIC is a network interface: Ethernet frames in and out.
type NIC interface {
	Name() string
	MAC() [6]byte
	MTU() int
	LinkUp() bool
	// Transmit sends one frame (without FCS).
	Transmit(frame []byte) error
	// SetReceive installs the function called with every received frame;
	// the frame is only valid during the call.
	SetReceive(func(frame []byte))
}

// BlockDevice is a disk: fixed-size sectors, read and written at byte
// offsets that are multiples of the sector size.
type BlockDevice interface {
	Name() string
	SectorSize() int
	Sectors() uint64
	io.ReaderAt
	io.WriterAt
	Flush() error
}
