//go:build tamago && amd64

package platform

import (
	"runtime/goos"
	"unsafe"

	"github.com/aerokernel/aero/core/cmdline"
	"github.com/aerokernel/aero/core/hw"
)

// Boot protocol magics: multiboot2's value in EAX at entry (Multiboot2
// specification, 3.3) and the first word of Xen's struct hvm_start_info.
const (
	multiboot2Magic = 0x36d76289
	pvhMagic        = 0x336ec578
)

// earlyStackSize is the stack cpuinit gives early (which is nosplit and
// small) before the runtime's boot stack exists.
const earlyStackSize = 16 << 10

var (
	// Set by cpuinit from EAX and EBX at entry.
	bootMagic    uint32
	bootInfoAddr uint32

	earlyStack [earlyStackSize]byte
	// Seven 4 KiB page tables (cpuinit_amd64.s) plus room to align them
	// to 64 KiB.
	pageTables [7*4096 + 64<<10]byte
	// highPDs are page directories for 4 GiB-mapTop in 2 MiB pages, for
	// CPUs without 1 GiB pages, plus room to align them to 4 KiB.
	highPDs [(mapTop>>30-4)*512 + 512]uint64
	// earlyTLS is what -8(FS) points at while early runs: g == nil.
	earlyTLS [2]uint64
)

// snapshot holds copies of the boot loader's structures, taken by early
// before anything can overwrite them (the page tables, the AP trampoline, the
// Go heap, which zeroes memory on first use). Parsed later by bootinfo.
var snapshot struct {
	buf    [64 << 10]byte
	used   uint32
	pieces [8]struct {
		addr uint64
		off  uint32
		n    uint32
	}
	count     uint32
	truncated bool // something did not fit; bootinfo will report what
}

// earlyRAM lists the RAM ranges early found, for the heap and the page
// tables above 4 GiB; earlyRAMCount of them are valid.
var (
	earlyRAM      [128]hw.Range
	earlyRAMCount int
	// earlyAvoid lists the boot modules, which the heap must not cover;
	// earlyAvoidCount of them are valid. As many as early reads (64, as
	// bootinfo.MaxModules).
	earlyAvoid      [64]hw.Range
	earlyAvoidCount int
	// The loader's command line in memory, for early's own options.
	earlyCmdlineAddr uint64
	earlyCmdlineLen  int
	// ebdaSegment is the BIOS data area's word at 0x40E (the EBDA's
	// segment, where an ACPI RSDP may be), read while page 0 is mapped.
	ebdaSegment uint16
)

// early runs from cpuinit in 64-bit mode on earlyStack, before the runtime
// exists: no allocation, no stack growth, no g. It copies the boot loader's
// structures, sizes the Go heap region (RamSize) from the memory map, and
// maps memory above 4 GiB.
//
//go:nosplit
func early() {
	installEarlyIDT()
	ebdaSegment = *(*uint16)(unsafe.Pointer(uintptr(0x40e)))
	switch {
	case bootMagic == multiboot2Magic:
		earlyMultiboot2(uint64(bootInfoAddr))
	case bootInfoAddr != 0 && load32(uint64(bootInfoAddr)) == pvhMagic:
		earlyPVH(uint64(bootInfoAddr))
	}
	sizeHeap()
	finishPaging()
	if hasWord(earlyCmdline(), EarlyCrashOption) {
		earlyCrash()
	}
	if hasWord(earlyCmdline(), APCrashOption) {
		apCrash = 1
	}
}

//go:nosplit
func load32(addr uint64) uint32 { return *(*uint32)(unsafe.Pointer(uintptr(addr))) }

//go:nosplit
func load64(addr uint64) uint64 { return *(*uint64)(unsafe.Pointer(uintptr(addr))) }

// keep copies [addr, addr+n) into the snapshot.
//
//go:nosplit
func keep(addr uint64, n uint32) {
	s := &snapshot
	if s.count >= uint32(len(s.pieces)) || n > uint32(len(s.buf))-s.used {
		s.truncated = true
		return
	}
	p := &s.pieces[s.count]
	p.addr, p.off, p.n = addr, s.used, n
	for i := uint32(0); i < n; i++ {
		j := s.used + i
		if j < uint32(len(s.buf)) {
			s.buf[j] = *(*byte)(unsafe.Pointer(uintptr(addr + uint64(i))))
		}
	}
	s.used += (n + 7) &^ 7
	if s.used > uint32(len(s.buf)) {
		s.used = uint32(len(s.buf))
	}
	s.count++
}

// keepString copies a NUL-terminated string (with its NUL) of at most max
// bytes and returns how many it copied.
//
//go:nosplit
func keepString(addr uint64, max uint32) uint32 {
	if addr == 0 {
		return 0
	}
	n := uint32(0)
	for n < max && *(*byte)(unsafe.Pointer(uintptr(addr + uint64(n)))) != 0 {
		n++
	}
	if n < max {
		n++ // the NUL
	}
	keep(addr, n)
	return n
}

//go:nosplit
func addAvoid(base, size uint64) {
	if size == 0 {
		return
	}
	if earlyAvoidCount >= len(earlyAvoid) {
		earlyPanic("more boot modules than early can keep the heap off")
	}
	earlyAvoid[earlyAvoidCount] = hw.Range{Base: base, Size: size}
	earlyAvoidCount++
}

//go:nosplit
func addRAM(base, size uint64) {
	if size == 0 || earlyRAMCount >= len(earlyRAM) {
		return
	}
	earlyRAM[earlyRAMCount] = hw.Range{Base: base, Size: size}
	earlyRAMCount++
}

// hvm_start_info (Xen public/arch-x86/hvm/start_info.h) field offsets.
const (
	pvhVersion     = 4
	pvhNrModules   = 12
	pvhModlist     = 16
	pvhCmdline     = 24
	pvhMemmap      = 40
	pvhMemmapCount = 48
	pvhInfoSize    = 56
	pvhModuleSize  = 32
	e820EntrySize  = 20 + 4
	e820RAM        = 1
	maxCmdline     = 4096
)

//go:nosplit
func earlyPVH(info uint64) {
	keep(info, pvhInfoSize)
	earlyCmdlineAddr = load64(info + pvhCmdline)
	earlyCmdlineLen = int(keepString(earlyCmdlineAddr, maxCmdline))
	if n := load32(info + pvhNrModules); n > 0 && n <= 64 {
		list := load64(info + pvhModlist)
		keep(list, n*pvhModuleSize)
		for i := uint64(0); i < uint64(n); i++ {
			m := list + i*pvhModuleSize // {paddr, size, cmdline_paddr, reserved}
			addAvoid(load64(m), load64(m+8))
			keepString(load64(m+16), maxCmdline)
		}
	}
	if load32(info+pvhVersion) < 1 {
		return
	}
	mm, n := load64(info+pvhMemmap), load32(info+pvhMemmapCount)
	if mm == 0 || n == 0 || n > 1024 {
		return
	}
	keep(mm, n*e820EntrySize)
	for i := uint64(0); i < uint64(n); i++ {
		e := mm + i*e820EntrySize
		if load32(e+16) == e820RAM {
			addRAM(load64(e), load64(e+8))
		}
	}
}

// Multiboot2 information: u32 total_size, u32 reserved, then 8-aligned
// tags {u32 type, u32 size}; tag 6 is the memory map.
const (
	mb2TagEnd     = 0
	mb2TagCmdline = 1 // {type, size, string}
	mb2TagModule  = 3 // {type, size, mod_start u32, mod_end u32, string}
	mb2TagMmap    = 6
	mb2MaxSize    = 64 << 10
	mb2MmapEntry  = 16 // entries start here in the tag
)

//go:nosplit
func earlyMultiboot2(mbi uint64) {
	total := load32(mbi)
	if total < 16 || total > mb2MaxSize {
		keep(mbi, 8) // bootinfo reports the bad size
		return
	}
	keep(mbi, total)
	for off := uint64(8); off+8 <= uint64(total); {
		typ, size := load32(mbi+off), load32(mbi+off+4)
		if typ == mb2TagEnd || size < 8 || off+uint64(size) > uint64(total) {
			break
		}
		if typ == mb2TagCmdline && size > 8 {
			earlyCmdlineAddr, earlyCmdlineLen = mbi+off+8, int(size-8)
		}
		if typ == mb2TagModule && size >= 16 {
			start, end := load32(mbi+off+8), load32(mbi+off+12)
			if end > start {
				addAvoid(uint64(start), uint64(end-start))
			}
		}
		if typ == mb2TagMmap && size >= mb2MmapEntry {
			esize := uint64(load32(mbi + off + 8))
			if esize >= 24 {
				for e := off + mb2MmapEntry; e+esize <= off+uint64(size); e += esize {
					if load32(mbi+e+16) == e820RAM {
						addRAM(load64(mbi+e), load64(mbi+e+8))
					}
				}
			}
		}
		off = (off + uint64(size) + 7) &^ 7
	}
}

// The heap early laid out (layOutHeap), for Heap and Reserved: heapRange
// is what the runtime can grow its heap into, runtimeRegion that with the
// boot stack above it, imageRange the kernel image's pages. earlyHeap is
// layOutHeap's answer and earlyOptionBuf heap='s value: globals, to keep
// early's nosplit frames small.
var (
	heapRange, runtimeRegion, imageRange hw.Range
	earlyHeap                            heapLayout
	earlyOptionBuf                       [32]byte
)

// sizeHeap reads heap= from the loader's command line, places the Go heap
// and the boot stack (layOutHeap) and sets the runtime's RamStart, RamSize
// and Bloc, or stops, saying what is wrong (heapFailed).
//
//go:nosplit
func sizeHeap() {
	if earlyRAMCount == 0 {
		earlyPanic("the boot loader gave no memory map")
	}
	if goos.RamStackOffset != ramStackOffset {
		earlyPanic("the machine package's RamStackOffset is not the 1 MiB layout.go counts on")
	}
	var opt cmdline.HeapOption
	n, given, ok := optionValue(earlyCmdline(), "heap", earlyOptionBuf[:])
	if given {
		msg := cmdline.HeapSyntax
		if ok && n > 0 {
			opt, msg = cmdline.ParseHeap(unsafe.String(&earlyOptionBuf[0], n))
		}
		if msg != "" {
			heapOptionFailed(msg)
		}
	}
	start, end := imageBounds()
	image := hw.Range{Base: start, Size: end - start}
	if fail := layOutHeap(&earlyHeap, earlyRAM[:earlyRAMCount], image, earlyAvoid[:earlyAvoidCount], &opt, given); fail != heapOK {
		heapFailed(fail, end)
	}
	l := &earlyHeap
	goos.RamStart = uint(l.RamStart)
	goos.RamSize = uint(l.RamSize)
	goos.Bloc = uintptr(l.Bloc)
	heapRange = l.Heap
	runtimeRegion = hw.Range{Base: l.RamStart, Size: l.RamSize}
	imageRange = hw.Range{Base: start &^ (pageSize - 1), Size: roundUp(end) - start&^(pageSize-1)}
}

// heapOptionFailed stops: heap= did not parse.
//
//go:nosplit
//go:noinline
func heapOptionFailed(msg string) {
	earlyPrint("aero: boot failed: heap=")
	earlyPrintOption(earlyCmdline(), "heap")
	earlyPrint(": ")
	earlyPrint(msg)
	earlyPrint("\n")
	earlyExit()
}

// heapFailed stops, saying why layOutHeap (earlyHeap) laid out no heap:
// too little RAM and how much the machine would need (imageEnd is the
// image's end), or a heap= that does not fit.
//
//go:nosplit
//go:noinline
func heapFailed(fail heapFailure, imageEnd uint64) {
	l := &earlyHeap
	if fail == heapNoRoom {
		earlyPrint("aero: boot failed: not enough memory: the Go heap needs ")
		earlyPrintMiB(heapNeed)
		earlyPrint(" of RAM above the kernel image (which ends at ")
		earlyPrintMiB(imageEnd)
		earlyPrint("); the memory map's largest stretch there is ")
		earlyPrintMiB(l.Stretch.Size)
		earlyPrint(": this kernel needs at least ")
		earlyPrintMiB(l.Need)
		earlyPrint(" of RAM\n")
		earlyExit()
	}
	earlyPrint("aero: boot failed: heap=")
	earlyPrintOption(earlyCmdline(), "heap")
	earlyPrint(" asks for ")
	earlyPrintMiB(l.Want)
	if fail == heapTooSmall {
		earlyPrint(", less than the ")
		earlyPrintMiB(minHeap)
		earlyPrint(" the Go heap needs at least\n")
		earlyExit()
	}
	earlyPrint(" of Go heap; the largest stretch of RAM it can go in (one stretch, above the kernel image, off the boot modules, outside 3-4 GiB and below 64 GiB) holds ")
	earlyPrintMiB(l.Stretch.Size - min(l.Stretch.Size, bootStackReserve))
	earlyPrint(" besides the boot stack, of ")
	earlyPrintMiB(l.RAM)
	earlyPrint(" of RAM\n")
	earlyExit()
}

// earlyPrintOption prints the value of the last key= word of line as
// given.
//
//go:nosplit
func earlyPrintOption(line []byte, key string) {
	start, end, _ := optionWord(line, key)
	for i := start; i < end; i++ {
		printk(line[i])
	}
}

// earlyPanic reports on COM1 and stops: through isa-debug-exit when QEMU
// has one (status 3: failure), else by halting.
//
//go:nosplit
func earlyPanic(msg string) {
	earlyPrint("aero: boot failed: ")
	earlyPrint(msg)
	earlyPrint("\n")
	earlyExit()
}

// earlyExit stops the machine with a failing status: isa-debug-exit's
// value 1 (QEMU exits with status 3), else, without the device, a halt.
//
//go:nosplit
func earlyExit() {
	outl(debugExitPort, 1)
	haltForever()
}

// earlyPrintMiB prints n bytes in MiB, rounded up, with the unit.
//
//go:nosplit
func earlyPrintMiB(n uint64) {
	var buf [20]byte
	mib := n >> 20
	if n&(1<<20-1) != 0 {
		mib++ // up, without overflowing for sizes near 2^64
	}
	k := appendDecimal(buf[:], 0, mib)
	for i := 0; i < k; i++ {
		printk(buf[i])
	}
	earlyPrint(" MiB")
}

//go:nosplit
func earlyPrint(s string) {
	for i := 0; i < len(s); i++ {
		printk(s[i])
	}
}

// finishPaging unmaps page 0, makes the 2 MiB pages of 3-4 GiB that are
// all RAM cacheable (paging.go), and maps 4-64 GiB: cacheable where the
// memory map has RAM, uncached otherwise (64-bit PCI windows), by 1 GiB
// where the CPU has 1 GiB pages, else by 2 MiB through highPDs, with the
// same attributes per GiB. Offsets as in cpuinit_amd64.s.
//
//go:nosplit
func finishPaging() {
	const ps, rw, p, pcd = 1 << 7, 1 << 1, 1 << 0, 1 << 4 // SDM Vol. 3A, 4.5
	tables := readCR3() &^ 0xfff
	*(*uint64)(unsafe.Pointer(uintptr(tables + 0x3000))) = 0 // PT[0]
	pdHole := tables + 0x6000                                // the PD of 3-4 GiB
	for i := uint64(0); i < 512; i++ {
		if holePageRAM(earlyRAM[:earlyRAMCount], holeBase+i*pageSize2M) {
			*(*uint64)(unsafe.Pointer(uintptr(pdHole + i*8))) &^= pcd
		}
	}
	pdpt := tables + 0x1000
	gigPages := hasGigPages()
	pds := (uint64(uintptr(unsafe.Pointer(&highPDs))) + 0xfff) &^ 0xfff
	for slot := uint64(4); slot < mapTop>>30; slot++ {
		base := slot << 30
		flags := uint64(rw | p)
		if !overlapsRAM(base, base+1<<30) {
			flags |= pcd
		}
		entry := base | ps | flags
		if !gigPages {
			pd := pds + (slot-4)*4096
			for i := uint64(0); i < 512; i++ {
				*(*uint64)(unsafe.Pointer(uintptr(pd + i*8))) = base + i<<21 | ps | flags
			}
			entry = pd | rw | p
		}
		*(*uint64)(unsafe.Pointer(uintptr(pdpt + slot*8))) = entry
	}
	writeCR3(readCR3())
}

// hasGigPages reports whether the CPU has 1 GiB pages (CPUID 0x80000001
// EDX bit 26, Page1GB; Intel SDM Vol. 2A, CPUID).
//
//go:nosplit
func hasGigPages() bool {
	if top, _, _, _ := cpuid(0x80000000, 0); top < 0x80000001 {
		return false
	}
	_, _, _, d := cpuid(0x80000001, 0)
	return d&(1<<26) != 0
}

//go:nosplit
func overlapsRAM(base, end uint64) bool {
	for i := 0; i < earlyRAMCount && i < len(earlyRAM); i++ {
		if r := earlyRAM[i]; r.Base < end && r.Base+r.Size > base {
			return true
		}
	}
	return false
}

// defined in cpuinit_amd64.s
func inb(port uint16) uint8
func outb(port uint16, v uint8)
func inl(port uint16) uint32
func outl(port uint16, v uint32)
func rdtsc() uint64
func readCR3() uint64
func writeCR3(v uint64)
func haltForever()

// imageBounds returns the kernel image's first byte (its ELF header page,
// which the first PT_LOAD maps) and the end of its bss.
func imageBounds() (start, end uint64)
