package bootinfo

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/aerokernel/aero/core/hw"
)

// Magics: EAX at entry for multiboot2 (Multiboot2 Specification 3.3), and
// the first word of struct hvm_start_info (Xen's XEN_HVM_START_MAGIC_VALUE).
const (
	Multiboot2Magic = 0x36d76289
	PVHMagic        = 0x336ec578
)

// Limits on what is believed.
const (
	MaxCmdline    = 4096     // bytes of a command line or name, NUL excluded
	MaxMemmap     = 1024     // memory map entries
	MaxModules    = 64       // boot modules
	MaxMultiboot2 = 64 << 10 // bytes of multiboot2 information (total_size)
	maxWarnings   = 16
)

// RegionType is a memory map entry's type: the E820 numbering, which PVH
// and multiboot2 share (multiboot2 calls 5 defective RAM and treats
// numbers it does not define as reserved; Xen adds 6 and 7).
type RegionType uint32

const (
	RAM      RegionType = 1 // usable RAM
	Reserved RegionType = 2
	ACPI     RegionType = 3 // ACPI tables, reclaimable once read
	NVS      RegionType = 4 // ACPI non-volatile storage, preserved across hibernation
	Unusable RegionType = 5 // defective RAM
	Disabled RegionType = 6
	PMEM     RegionType = 7 // persistent memory
)

// String returns ram, reserved, acpi, nvs, unusable, disabled, pmem, or
// typeN for another number.
func (t RegionType) String() string {
	switch t {
	case RAM:
		return "ram"
	case Reserved:
		return "reserved"
	case ACPI:
		return "acpi"
	case NVS:
		return "nvs"
	case Unusable:
		return "unusable"
	case Disabled:
		return "disabled"
	case PMEM:
		return "pmem"
	}
	return fmt.Sprintf("type%d", uint32(t))
}

// Region is one memory map entry: a physical range and its type.
type Region struct {
	hw.Range
	Type RegionType
}

// String formats the region as [0x100000-0x7fedefff] ram (inclusive
// bounds, as Linux prints E820 maps); an empty one as [0x100000 empty] ram.
func (r Region) String() string { return r.Range.String() + " " + r.Type.String() }

// Module is a boot module (an initrd, say) and its command line.
type Module struct {
	Base, Size uint64
	Cmdline    string
}

// Info is what the boot loader said.
type Info struct {
	// Loader is the boot protocol: "pvh" or "multiboot2".
	Loader string
	// LoaderName is the boot loader's name (multiboot2 tag 2, e.g.
	// "GRUB 2.12"); empty if it gave none.
	LoaderName string
	// Cmdline is the kernel command line, without its NUL.
	Cmdline string
	// RSDP is the physical address of the ACPI RSDP (PVH's rsdp_paddr),
	// 0 if not given.
	RSDP uint64
	// RSDPCopy is multiboot2's copy of the RSDP (tag 15, the ACPI 2.0+
	// one, when given, else tag 14), nil if not given. Not validated.
	RSDPCopy []byte
	// Memory is the memory map as given, sorted by base (stably).
	Memory []Region
	// MemLowerKiB and MemUpperKiB are multiboot2's basic memory
	// information (tag 4): KiB of RAM from 0 and from 1 MiB; 0 if absent.
	MemLowerKiB, MemUpperKiB uint32
	// Modules are the boot modules, in the order given.
	Modules []Module
	// Warnings are oddities that did not stop the parse (see the
	// package documentation). At most a few are kept.
	Warnings []string

	dropped int // warnings not kept
}

func (i *Info) warnf(format string, args ...any) {
	if len(i.Warnings) < maxWarnings {
		i.Warnings = append(i.Warnings, fmt.Sprintf(format, args...))
	} else {
		i.dropped++
	}
}

// span is [first, last]: inclusive, so that memory up to 2^64-1 fits.
type span struct{ first, last uint64 }

// merged sorts spans and joins those that overlap or touch.
func merged(s []span) []span {
	sort.Slice(s, func(a, b int) bool { return s[a].first < s[b].first })
	var out []span
	for _, x := range s {
		// Sorted, so x.first == 0 only when out is empty or overlaps.
		if n := len(out); n > 0 && (x.first <= out[n-1].last || x.first-1 == out[n-1].last) {
			out[n-1].last = max(out[n-1].last, x.last)
			continue
		}
		out = append(out, x)
	}
	return out
}

func ramRegion(first, last uint64) Region {
	size := last - first + 1
	if size == 0 { // all of the 64-bit space: one byte short
		size = math.MaxUint64
	}
	return Region{hw.Range{Base: first, Size: size}, RAM}
}

// RAM returns the usable RAM: type RAM regions, sorted by base, merged
// where they overlap or touch, minus any part that a region of another
// type also covers, with empty ones dropped. A region running past 2^64
// is cut there. RAM does not modify Memory.
func (i *Info) RAM() []Region {
	var ram, other []span
	for _, r := range i.Memory {
		if r.Size == 0 {
			continue
		}
		s := span{r.Base, r.Last()}
		if r.Type == RAM {
			ram = append(ram, s)
		} else {
			other = append(other, s)
		}
	}
	ram, other = merged(ram), merged(other)
	var out []Region
	j := 0
	for _, s := range ram {
		for j < len(other) && other[j].last < s.first {
			j++
		}
		first, covered := s.first, false
		for k := j; k < len(other) && other[k].first <= s.last; k++ {
			if other[k].first > first {
				out = append(out, ramRegion(first, other[k].first-1))
			}
			if other[k].last >= s.last {
				covered = true
				break
			}
			first = max(first, other[k].last+1)
		}
		if !covered {
			out = append(out, ramRegion(first, s.last))
		}
	}
	return out
}

// finish sorts the memory map and notes overlaps and wrap-arounds.
func (i *Info) finish() {
	sort.SliceStable(i.Memory, func(a, b int) bool { return i.Memory[a].Base < i.Memory[b].Base })
	far := -1 // the region reaching furthest so far
	for k, r := range i.Memory {
		if r.Size == 0 {
			continue
		}
		if r.Base+(r.Size-1) < r.Base {
			i.warnf("memory map: %v runs past the end of the address space", r)
		}
		if far >= 0 {
			f := i.Memory[far]
			if r.Base <= f.Last() && r.Type != f.Type {
				i.warnf("memory map: %v overlaps %v (the overlap is not used as RAM)", r, f)
			}
			if r.Last() <= f.Last() {
				continue
			}
		}
		far = k
	}
	if i.dropped > 0 {
		i.Warnings = append(i.Warnings, fmt.Sprintf("... and %d more warnings", i.dropped))
		i.dropped = 0
	}
}

var le = binary.LittleEndian

// Parse reads the boot information at addr from mem: multiboot2 when magic
// (EAX at entry) is Multiboot2Magic, else PVH, whose magic must be at addr.
func Parse(magic uint32, addr uint64, mem hw.PhysMemory) (*Info, error) {
	return parse(magic, addr, reader{mem: mem})
}

func parse(magic uint32, addr uint64, r reader) (*Info, error) {
	var info *Info
	var err error
	if magic == Multiboot2Magic {
		r.proto = "multiboot2"
		if addr == 0 {
			return nil, errorf(r.proto, "information", 0, ErrMagic, "EBX is 0 (no boot information)")
		}
		info, err = parseMultiboot2(addr, r)
	} else {
		r.proto = "pvh"
		if addr == 0 {
			return nil, errorf(r.proto, "start info", 0, ErrMagic,
				"EBX is 0 and EAX (%#x) is not the multiboot2 magic: no boot information", magic)
		}
		info, err = parsePVH(magic, addr, r)
	}
	if err != nil {
		return nil, err
	}
	info.finish()
	return info, nil
}

// reader reads structures for one protocol, turning failures into *Error.
// When record is set it is told of each successful read (the tests use it
// to check what the early boot code must copy).
type reader struct {
	mem    hw.PhysMemory
	proto  string
	record func(what string, addr, n uint64)
}

func (r reader) read(what string, addr, n uint64) ([]byte, error) {
	if n > math.MaxInt32 || addr+n < addr {
		return nil, errorf(r.proto, what, addr, ErrLength, "%d bytes from there run past the end of the address space", n)
	}
	if r.mem == nil {
		return nil, errorf(r.proto, what, addr, ErrRead, "no memory to read")
	}
	b := make([]byte, n)
	got, err := r.mem.ReadAt(b, addr)
	if err != nil {
		return nil, errorf(r.proto, what, addr, ErrRead, "reading %d bytes: %v", n, err)
	}
	if uint64(got) != n {
		return nil, errorf(r.proto, what, addr, ErrRead, "read %d bytes of %d", got, n)
	}
	if r.record != nil && n > 0 {
		r.record(what, addr, n)
	}
	return b, nil
}

// cstring reads a NUL-terminated string of at most MaxCmdline bytes at
// addr, a byte at a time (the copy may end right after the NUL).
func (r reader) cstring(what string, addr uint64) (string, error) {
	var s []byte
	for i := uint64(0); i <= MaxCmdline; i++ {
		b, err := r.read(what, addr+i, 1)
		if err != nil {
			if e, ok := err.(*Error); ok {
				e.Addr, e.Msg = addr, fmt.Sprintf("byte %d: %s", i, e.Msg)
			}
			return "", err
		}
		if b[0] == 0 {
			return string(s), nil
		}
		s = append(s, b[0])
	}
	return "", errorf(r.proto, what, addr, ErrString, "no NUL within %d bytes", MaxCmdline+1)
}

// tagString returns a string tag's text, which must end with a NUL.
func tagString(proto, what string, addr uint64, b []byte) (string, error) {
	n := slices.Index(b, 0)
	switch {
	case n < 0:
		return "", errorf(proto, what, addr, ErrString, "no NUL within the tag's %d bytes", len(b))
	case n > MaxCmdline:
		return "", errorf(proto, what, addr, ErrLength, "%d bytes long (at most %d believed)", n, MaxCmdline)
	}
	return string(b[:n]), nil
}
