package core

import (
	"io"

	"github.com/aerokernel/aero/core/hw"
)

// CPU is one processor that Boot brought up.
type CPU struct {
	Index  int    // 0 is the boot processor; the order CPUs came up in
	APICID uint32 // local APIC ID
	Node   int    // NUMA node (index into Topology.Nodes): Boot sets it from Topology.NodeOf
}

// Range is a range of physical memory: [Base, Base+Size). It is hw.Range,
// the one physical range type of the tree (boot memory maps, ACPI, NUMA
// nodes, register windows).
type Range = hw.Range

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

// ZoneStats is the state of one allocator zone (a Memory's unit of
// bookkeeping: for mm, one memory region of one node).
type ZoneStats struct {
	Node  int    // NUMA node of the zone; -1 if it is not node-local
	Total uint64 // bytes managed
	Free  uint64 // bytes free now
	// Largest is the largest free block: the largest single allocation
	// that would succeed now. An implementation that cannot know it
	// exactly (core's default, on the Go heap) reports a lower bound.
	Largest  uint64
	Allocs   uint64 // successful allocations (Alloc and AllocDMA)
	Frees    uint64 // successful Free calls
	Failures uint64 // allocations that failed (bad request or out of memory)
}

// Memory allocates memory with an owner's lifetime rather than the
// garbage collector's: node-local buffers, DMA rings, packet buffers,
// large arrays. Memory it hands out stays put and stays allocated until
// Free; it is safe for concurrent use.
//
// A Memory is a hw.DMAMemory, so drivers take it as their DMA allocator:
// AllocDMA returns page-sized, physically contiguous memory with its
// physical address and an alignment of at least a page. Free accepts
// exactly what Alloc or AllocDMA returned (the same slice: first byte and
// length; DMABuffer.Bytes for a DMA buffer), once; for anything else it
// returns an error wrapping hw.ErrBadFree that names the address and
// changes nothing — never a silent success, never corruption.
type Memory interface {
	Module
	hw.DMAMemory
	// Alloc returns size bytes of zeroed memory, preferring node (falling
	// back by distance); node < 0 means any. size <= 0 is an error
	// wrapping hw.ErrBadRequest, exhaustion one wrapping hw.ErrNoMemory.
	Alloc(size, node int) ([]byte, error)
	// Stats returns every zone's statistics.
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
// reaches the console. Register a pointer, with PutByte on a pointer
// receiver: through an interface holding a value, Go calls the method by an
// autogenerated wrapper that checks the stack, nosplit or not (Boot stops
// with a ModuleError naming the type otherwise).
//
// Input: Boot calls StartInput once, after Init; the console then passes
// every byte its device receives to deliver, in order, from a goroutine of
// its own (for COM1, the IRQ dispatcher goroutine; never interrupt
// context). deliver copies the bytes and never blocks. A console without
// input returns ErrNoInput.
type Console interface {
	Module
	PutByte(c byte)
	StartInput(deliver func(p []byte)) error
}

// ConsoleShell is a Console with an interactive side: a shell that reads
// the console's input (Kernel.Input) and owns what the terminal shows (the
// console module's virtual consoles). Boot calls StartShell once, right
// before the HRT entry runs: after the boot summary, and not when test=
// runs in-kernel tests, so that boot and test output are shown as printed.
type ConsoleShell interface {
	Console
	StartShell(k *Kernel)
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
	// As for Console.PutByte, register a pointer and give Nanotime a
	// pointer receiver (a value's method is called through a wrapper
	// that checks the stack; Boot stops with a ModuleError otherwise).
	Nanotime() int64
	// Hz is the frequency of the underlying counter, 0 if unknown.
	Hz() uint64
	// Source names the counter (e.g. "tsc", "kvmclock"); Reference what
	// it was calibrated against (e.g. "pit", "hpet"; "" if it needs none).
	Source() string
	Reference() string
}

// NIC is an Ethernet interface as a driver hands it to the network stack,
// shaped to sit under a gVisor stack.LinkEndpoint: Caps gives the MTU and
// the checksum offloads (LinkEndpointCapabilities), MAC the link address,
// Transmit is WritePackets, Attach takes the stack's dispatcher, Close is
// Close and Wait in one.
//
// Frames are Ethernet frames without the FCS: the 14-byte header
// (destination, source, EtherType), then at most Caps().MTU bytes.
//
// Goroutines. MAC, Caps, LinkUp, Stats and Transmit may be called from any
// goroutine at any time. Every NICHandler call — Receive, LinkChanged,
// TransmitReady — comes from one goroutine the NIC owns, its receive
// goroutine (never interrupt context), one at a time, in the order the
// events happened. A handler may call Transmit; it must not call Close
// (which waits for it) and should return quickly (receive waits for it).
//
// Backpressure, never a silent drop. Transmit takes frames in order while
// the transmit ring has room and returns how many it took; when the ring
// is full it returns the count so far with ErrTransmitFull, the caller
// keeps frames[n:], and the NIC calls TransmitReady once when there is
// room again. A frame Transmit took is sent or counted in
// NICStats.TxErrors (the device failed, or Close came first); a received
// frame the stack was too slow for (receive ring overrun) is counted in
// RxDropped.
type NIC interface {
	Name() string
	MAC() [6]byte
	Caps() NICCaps
	// LinkUp reports the link state now; LinkChanged reports changes.
	LinkUp() bool
	// Attach starts delivery to h: first LinkChanged with the current
	// state, then received frames and events. The device receives
	// nothing before Attach. A second Attach returns ErrAttached.
	Attach(h NICHandler) error
	// Transmit queues frames for sending and returns how many it took,
	// from the front. It stops at the first frame it cannot take: the
	// ring is full (ErrTransmitFull), the frame's length is under 14 or
	// over 14+MTU (ErrFrameSize, naming its index). With the link down
	// it takes none (ErrLinkDown); before Attach, none (ErrNotAttached).
	// Transmit copies what it takes: the caller may reuse frames at once.
	Transmit(frames [][]byte) (int, error)
	Stats() NICStats
	// Close stops the device and the receive goroutine and returns once
	// the last handler call has returned. Frames still in the rings are
	// counted (TxErrors, RxDropped). Every later call returns an error
	// wrapping hw.ErrClosed.
	Close() error
}

// BlockDevice is a disk of Sectors() sectors of SectorSize() bytes (a
// power of two, at least 512).
//
// ReadAt and WriteAt move whole sectors: off and len(p) must be multiples
// of SectorSize (else an error wrapping ErrUnaligned) and [off,
// off+len(p)) must lie inside the device (else ErrOutOfRange, also for a
// negative off); a refused request transfers nothing. A read reaching the
// device's end is no error (not io.EOF). WriteAt on a read-only device
// returns ErrReadOnly. Flush returns once every write that returned before
// Flush was called is on stable storage (a device without a volatile
// write cache returns at once). Methods are safe for concurrent use;
// concurrent writes to one sector land whole, in some order.
type BlockDevice interface {
	Name() string
	SectorSize() int
	Sectors() uint64
	ReadOnly() bool
	io.ReaderAt
	io.WriterAt
	Flush() error
}
