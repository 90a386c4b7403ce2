// Package mm is Aero's physical memory module: a core.Memory (registry
// name "mm"; a config says "memory mm") that hands out node-local memory
// outside the Go heap — DMA rings, packet buffers, an HRT's large arrays —
// with an owner's lifetime: it stays put and allocated until Free.
//
//	buf, err := mm.Alloc(1<<20, node) // 1 MiB on node, zeroed
//	if err != nil {
//		return err // wraps hw.ErrNoMemory when no node has 1 MiB free
//	}
//	defer mm.Free(buf)
//
//	local, err := mm.AllocStrict(64<<20, node) // node's memory or an error
//
//	ring, err := mm.AllocDMA(16<<10, 64<<10, node) // ring.Phys for the device
//	defer mm.Free(ring.Bytes)
//
// The package's functions use the kernel's mm (Running); a driver takes
// core.Running().Memory, a hw.DMAMemory, and works with any Memory.
//
// The collector does not scan mm's memory: keep no Go pointers in it (a
// pointer stored there does not keep its object alive). Bytes, numbers
// and physical addresses are what it is for.
//
// # Zones
//
// Init builds one zone per stretch of a node's memory (core.Topology's
// Nodes) that is usable RAM in the memory map (Kernel.RAM: ACPI tables,
// NVS and MMIO are not), minus Kernel.Reserved (the first MiB with the AP
// trampoline, the kernel image with its page tables, the Go heap, the
// boot modules), inside the part of the identity map that maps RAM
// cacheable (platform.CachedRAM: below 3 GiB, the 2 MiB pages of 3-4 GiB
// that are all RAM, 4 GiB to 64 GiB), cut to whole pages. RAM it leaves
// out is a boot warning that names it: above 64 GiB (not mapped), and a
// 2 MiB page of 3-4 GiB that is only partly RAM (mapped uncached, with
// the PCI hole; pc at -m 3300M leaves 1.9 MiB so). A node without memory
// has no zone; its allocations come from the nearest node that has.
//
// The Go heap takes heap= of RAM, by default half, at the bottom of the
// largest stretch (package core, "Memory"), so mm's memory is what lies
// outside it: on q35 with -m 8G in two nodes, 0-2 GiB on node 0 and
// 8-10 GiB on node 1; at -m 2G the upper half. With no RAM left (heap=max
// on one stretch) a warning says so, and every allocation fails with
// hw.ErrNoMemory.
//
// # Allocation
//
// Each zone is a binary buddy allocator over its page frames, numbered by
// physical address, so a block of 2^k pages is aligned to 2^k pages
// physically. An allocation takes the pages it needs (size rounded up to
// pages) from the smallest block that holds them and gives the block's
// tail back at once. Alloc(size, node) tries node's zones, then the
// other nodes' in core.NearestNodes order (by distance, ties by node
// number); node < 0 is the calling CPU's node. AllocStrict tries node
// only. AllocDMA adds an alignment. Memory is zeroed on allocation.
//
// Bookkeeping lives in the Go heap, 9 bytes per page (0.2%), never in the
// memory handed out: nothing written into or past an allocation corrupts
// the allocator, and Free checks each call against it. Free takes exactly
// what an allocation returned, once; anything else — freed already,
// resliced, the wrong length, memory mm does not manage — is an error
// wrapping hw.ErrBadFree that names the address and changes nothing
// (Memory.Free lists the cases). Exhaustion is an error wrapping
// hw.ErrNoMemory, never a crash; a bad size, alignment or node wraps
// hw.ErrBadRequest.
//
// Stats gives each zone's core.ZoneStats: Total, Free, Largest (exact: the
// largest block, so the largest allocation that succeeds now), Allocs and
// Frees (successful calls), Failures (allocations that failed, counted on
// the first zone of the node asked for). The boot summary's free= per node
// is their Free.
//
// # Concurrency
//
// Every method is safe for concurrent use from goroutines on all CPUs: a
// sync.Mutex per zone, taken for the bookkeeping only (zeroing runs
// outside it). None may be called from interrupt context (a scheduler's
// hooks, an interrupt handler). There are no per-CPU caches: measured
// under TCG on a busy host (mm/bench, run by the qemu module's
// TestMMBench), a 4 KiB Alloc+Free cost 0.5-0.9 times make([]byte, 4096)
// in four runs of five (2.1 times in one), a 2 MiB one 0.28-0.68 times
// make's (1.3 times in one); with all four CPUs at once, each CPU's 4 KiB
// cost grew 0.9-3.4 times against one CPU, the Go heap's 2.2-3.7 times
// (four virtual CPUs on two host cores): no contention for a cache to
// take away yet.
//
// # Tests
//
// Host tests check the buddy allocator against a model over long random
// sequences, zone construction from memory-map and node fixtures (with a
// fuzz target), and the Memory over a host buffer. Package mmtest holds
// the in-kernel tests that the qemu module's TestMM boots at q35 -m 8G
// -smp 4 with two nodes of 4 GiB.
package mm
