// Package bootinfo parses what the boot loader hands the kernel: Xen's PVH
// start info (QEMU -kernel with a PVH ELF note) or the multiboot2
// information (GRUB). It reads physical memory through the Memory
// interface, so it is host-testable; the kernel passes the copies its early
// boot code made (Pieces). Malformed input is an error, never a panic.
package bootinfo

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
)

// Magics: EAX at entry for multiboot2 (Multiboot2 specification 3.3), and
// the first word of struct hvm_start_info (Xen public/arch-x86/hvm/start_info.h).
const (
	Multiboot2Magic = 0x36d76289
	PVHMagic        = 0x336ec578
)

// Limits on what is believed.
const (
	MaxCmdline    = 4096
	MaxMemmap     = 1024
	MaxModules    = 64
	MaxMultiboot2 = 64 << 10
)

// Memory reads physical memory.
type Memory interface {
	Read(addr uint64, n int) ([]byte, error)
}

// Piece is a copy of n bytes of physical memory at Addr.
type Piece struct {
	Addr uint64
	Data []byte
}

// Pieces is a Memory made of copies: a read must fall inside one piece.
type Pieces []Piece

func (ps Pieces) Read(addr uint64, n int) ([]byte, error) {
	if n < 0 {
		return nil, fmt.Errorf("bootinfo: negative read at %#x", addr)
	}
	for _, p := range ps {
		if addr >= p.Addr && addr-p.Addr <= uint64(len(p.Data)) && uint64(n) <= uint64(len(p.Data))-(addr-p.Addr) {
			off := addr - p.Addr
			return p.Data[off : off+uint64(n)], nil
		}
	}
	return nil, fmt.Errorf("bootinfo: %d bytes at %#x were not kept", n, addr)
}

// RegionType is an E820-style memory type (ACPI 6.5 §15, Table 15.1);
// PVH and multiboot2 use the same numbers.
type RegionType uint32

const (
	RAM      RegionType = 1
	Reserved RegionType = 2
	ACPI     RegionType = 3
	NVS      RegionType = 4
	Unusable RegionType = 5
)

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
	}
	return fmt.Sprintf("type%d", uint32(t))
}

// Region is one memory map entry.
type Region struct {
	Base, Size uint64
	Type       RegionType
}

// Module is a boot module (an initrd, say).
type Module struct {
	Base, Size uint64
	Cmdline    string
}

// Info is what the boot loader said.
type Info struct {
	Loader   string // "pvh" or "multiboot2"
	Name     string // the boot loader's name, if it gave one
	Cmdline  string
	RSDP     uint64 // physical address of the ACPI RSDP, 0 if not given
	RSDPCopy []byte // multiboot2's copy of the RSDP, if given
	Memory   []Region
	Modules  []Module
}

// RAM returns the usable RAM: type RAM regions, sorted, with overlapping
// and adjacent ones merged and empty ones dropped.
func (i *Info) RAM() []Region {
	var rs []Region
	for _, r := range i.Memory {
		if r.Type == RAM && r.Size > 0 && r.Base+r.Size > r.Base {
			rs = append(rs, r)
		}
	}
	sort.Slice(rs, func(a, b int) bool { return rs[a].Base < rs[b].Base })
	var out []Region
	for _, r := range rs {
		if n := len(out); n > 0 && r.Base <= out[n-1].Base+out[n-1].Size {
			if end := r.Base + r.Size; end > out[n-1].Base+out[n-1].Size {
				out[n-1].Size = end - out[n-1].Base
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

var le = binary.LittleEndian

// Parse reads the boot information at addr: multiboot2 when magic is
// Multiboot2Magic, else PVH (whose magic is checked at addr).
func Parse(magic uint32, addr uint64, mem Memory) (*Info, error) {
	if addr == 0 {
		return nil, errors.New("bootinfo: the boot loader passed no information (null pointer)")
	}
	if magic == Multiboot2Magic {
		return parseMultiboot2(addr, mem)
	}
	return parsePVH(addr, mem)
}

// cstring reads a NUL-terminated string of at most MaxCmdline bytes.
func cstring(mem Memory, addr uint64, what string) (string, error) {
	if addr == 0 {
		return "", nil
	}
	var s []byte
	for i := 0; i <= MaxCmdline; i++ {
		b, err := mem.Read(addr+uint64(i), 1)
		if err != nil {
			return "", fmt.Errorf("bootinfo: %s at %#x: %v", what, addr, err)
		}
		if b[0] == 0 {
			return string(s), nil
		}
		s = append(s, b[0])
	}
	return "", fmt.Errorf("bootinfo: %s at %#x has no NUL within %d bytes", what, addr, MaxCmdline)
}

// struct hvm_start_info, version 1: 56 bytes.
const pvhSize = 56

func parsePVH(addr uint64, mem Memory) (*Info, error) {
	b, err := mem.Read(addr, pvhSize)
	if err != nil {
		return nil, fmt.Errorf("bootinfo: PVH start info: %v", err)
	}
	if m := le.Uint32(b); m != PVHMagic {
		return nil, fmt.Errorf("bootinfo: no PVH start info at %#x (magic %#x, want %#x) and no multiboot2 magic in EAX", addr, m, PVHMagic)
	}
	info := &Info{Loader: "pvh", RSDP: le.Uint64(b[32:])}
	version := le.Uint32(b[4:])
	if info.Cmdline, err = cstring(mem, le.Uint64(b[24:]), "PVH command line"); err != nil {
		return nil, err
	}
	if n := le.Uint32(b[12:]); n > 0 {
		if n > MaxModules {
			return nil, fmt.Errorf("bootinfo: PVH start info lists %d modules (at most %d believed)", n, MaxModules)
		}
		ml, err := mem.Read(le.Uint64(b[16:]), int(n)*32)
		if err != nil {
			return nil, fmt.Errorf("bootinfo: PVH module list: %v", err)
		}
		for i := 0; i < int(n); i++ {
			e := ml[i*32:]
			m := Module{Base: le.Uint64(e), Size: le.Uint64(e[8:])}
			if m.Cmdline, err = cstring(mem, le.Uint64(e[16:]), "PVH module command line"); err != nil {
				// A module's own command line is optional: keep the module.
				m.Cmdline = ""
			}
			info.Modules = append(info.Modules, m)
		}
	}
	if version < 1 {
		return nil, fmt.Errorf("bootinfo: PVH start info version %d has no memory map (version 1 or later needed)", version)
	}
	n := le.Uint32(b[48:])
	if n == 0 || n > MaxMemmap {
		return nil, fmt.Errorf("bootinfo: PVH memory map has %d entries (want 1 to %d)", n, MaxMemmap)
	}
	mm, err := mem.Read(le.Uint64(b[40:]), int(n)*24)
	if err != nil {
		return nil, fmt.Errorf("bootinfo: PVH memory map: %v", err)
	}
	for i := 0; i < int(n); i++ {
		e := mm[i*24:]
		info.Memory = append(info.Memory, Region{Base: le.Uint64(e), Size: le.Uint64(e[8:]), Type: RegionType(le.Uint32(e[16:]))})
	}
	return info, nil
}

// Multiboot2 tag types (Multiboot2 specification 3.6).
const (
	tagEnd      = 0
	tagCmdline  = 1
	tagLoader   = 2
	tagModule   = 3
	tagMmap     = 6
	tagACPIOld  = 14
	tagACPINew  = 15
	mb2TagAlign = 8
)

func parseMultiboot2(addr uint64, mem Memory) (*Info, error) {
	hdr, err := mem.Read(addr, 8)
	if err != nil {
		return nil, fmt.Errorf("bootinfo: multiboot2 information: %v", err)
	}
	total := le.Uint32(hdr)
	if total < 16 || total > MaxMultiboot2 {
		return nil, fmt.Errorf("bootinfo: multiboot2 information claims %d bytes (want 16 to %d)", total, MaxMultiboot2)
	}
	b, err := mem.Read(addr, int(total))
	if err != nil {
		return nil, fmt.Errorf("bootinfo: multiboot2 information (%d bytes): %v", total, err)
	}
	info := &Info{Loader: "multiboot2"}
	str := func(t []byte) string {
		for i, c := range t {
			if c == 0 {
				return string(t[:i])
			}
		}
		return string(t)
	}
	sawEnd := false
	for off := uint32(8); off+8 <= total; {
		typ, size := le.Uint32(b[off:]), le.Uint32(b[off+4:])
		if size < 8 || size > total-off {
			return nil, fmt.Errorf("bootinfo: multiboot2 tag %d at offset %d has size %d, past the %d-byte information", typ, off, size, total)
		}
		t := b[off+8 : off+size]
		switch typ {
		case tagEnd:
			sawEnd = true
		case tagCmdline:
			info.Cmdline = str(t)
		case tagLoader:
			info.Name = str(t)
		case tagModule:
			if len(t) < 8 {
				return nil, fmt.Errorf("bootinfo: multiboot2 module tag at offset %d is %d bytes", off, size)
			}
			start, end := le.Uint32(t), le.Uint32(t[4:])
			if end < start {
				return nil, fmt.Errorf("bootinfo: multiboot2 module ends (%#x) before it starts (%#x)", end, start)
			}
			info.Modules = append(info.Modules, Module{Base: uint64(start), Size: uint64(end - start), Cmdline: str(t[8:])})
		case tagMmap:
			if len(t) < 8 {
				return nil, fmt.Errorf("bootinfo: multiboot2 memory map tag at offset %d is %d bytes", off, size)
			}
			esize := le.Uint32(t)
			if esize < 24 {
				return nil, fmt.Errorf("bootinfo: multiboot2 memory map entries of %d bytes (want at least 24)", esize)
			}
			for e := t[8:]; len(e) >= int(esize); e = e[esize:] {
				if len(info.Memory) == MaxMemmap {
					return nil, fmt.Errorf("bootinfo: multiboot2 memory map has more than %d entries", MaxMemmap)
				}
				info.Memory = append(info.Memory, Region{Base: le.Uint64(e), Size: le.Uint64(e[8:]), Type: RegionType(le.Uint32(e[16:]))})
			}
		case tagACPIOld, tagACPINew:
			if typ == tagACPINew || info.RSDPCopy == nil {
				info.RSDPCopy = append([]byte(nil), t...)
			}
		}
		if sawEnd {
			break
		}
		off = (off + size + mb2TagAlign - 1) &^ (mb2TagAlign - 1)
	}
	if !sawEnd {
		return nil, errors.New("bootinfo: multiboot2 information has no end tag")
	}
	if len(info.Memory) == 0 {
		return nil, errors.New("bootinfo: multiboot2 information has no memory map tag")
	}
	return info, nil
}
