package core

import "io"

// CPU is one processor that Boot brought up.
type CPU struct {
	Index  int    // 0 is the boot processor; the order CPUs came up in
	APICID uint32 // local APIC ID
	Node   int    // NUMA node (index into Topology.Nodes): Boot sets it from Topology.NodeOf
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
// the Go runtime's; a Scheduler works beneath them through the runtime's
// thread hooks (runtime.SetThreadHooks in Aero's toolchain).
type Scheduler interface {
	Module
}

// Console is the kernel's text console: every byte of kernel output goes to
// it once its Init has returned, and the bytes its device receives are the
// kernel's console input (Kernel.Input).
//
// Output: PutByte receives each byte of kernel output, unchanged — fmt and
// os.Stdout/Stderr, print and println, panics and their stack traces (a
// line ends with '\n' alone; a serial console adds the CR). Before Init,
// and for good once the console's own output path faults or prints, output
// goes to COM1 instead (see "The console" in the package documentation).
// Core calls PutByte with interrupts off and from one CPU at a time, from
// wherever the runtime prints: a goroutine, the system stack with runtime
// locks held, a dying runtime. So PutByte and all it calls must be
// //go:nosplit, must not allocate, must not take a lock that can block
// (sync.Mutex, channels) or wait for an interrupt or a goroutine, and must
// not print. Output through such a path is crash-safe: a panic's trace
// reaches the console.
//
// Input: Boot calls StartInput once, after Init; the console then passes
// every byte its device receives to deliver, in order, from a goroutine of
// its own (for COM1, the interrupt dispatch goroutine; never interrupt
// context). deliver copies the bytes and never blocks. A console without
// input returns ErrNoInput.
type Console interface {
	Module
	PutByte(c byte)
	StartInput(deliver func(p []byte)) error
}

// Clock is the kernel's time source: once its Init has returned, the Go
// runtime's time (goos.Nanotime: time.Now, time.Sleep, timers) is the
// clock's Nanotime, shifted by core so that time goes on from where the
// previous clock left it (never back, never a jump).
type Clock interface {
	Module
	// Nanotime is monotonic nanoseconds. The runtime calls it from
	// everywhere: nosplit code, the system stack with runtime locks
	// held, every CPU at once. So Nanotime and all it calls must be
	// //go:nosplit, must not allocate, lock, block or print, and must
	// not call time.Now or anything else that reads the runtime's time.
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
