// Package multiboot stamps a multiboot2 header into a linked Aero kernel
// ELF, so that GRUB's multiboot2 command can load it.
//
// The Multiboot2 specification (section 3.1) wants the header 8-byte
// aligned within the first 32 KiB of the file. The Go linker gives no way
// to put data there, but its ELF files have a run of zero padding after the
// ELF header, the program header table and (with the tamago toolchain) the
// section header table, before the first note: no section and no PT_NOTE
// owns those bytes. Stamp writes the header there. In the Go linker's
// layout the first PT_LOAD segment starts at file offset 0, so the padding
// (and the header) is loaded with the text segment, below the first
// section's address, where nothing reads it.
//
// Without an address tag GRUB 2.06 loads an ELF64 kernel itself
// (grub-core/loader/multiboot_elfxx.c): every PT_LOAD at p_paddr, then a
// jump to e_entry translated to a physical address, in 32-bit protected
// mode with paging off, EAX = 0x36d76289 and EBX = the boot information.
// It refuses program headers beyond the first 32 KiB, segments ending above
// 4 GiB, an entry point outside the segments or above 4 GiB, and sections
// with relocations; StampBytes refuses the same, so a kernel GRUB would
// reject fails at build time instead of at boot.
package multiboot

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
)

// Header constants (Multiboot2 specification 3.1).
const (
	Magic = 0xe85250d6
	// SearchWindow is how far into the file a loader looks for the header.
	SearchWindow = 32 << 10

	archI386    = 0 // 32-bit (protected mode) i386
	tagEnd      = 0
	tagInfoReq  = 1
	tagOptional = 1 // header tag flag: the loader may ignore the tag

	// Boot information tag types (section 3.6).
	InfoCmdline = 1
	InfoMmap    = 6
	InfoACPIOld = 14
	InfoACPINew = 15
)

// Header returns the header Stamp writes: magic, architecture (i386
// protected mode), length, checksum; an information request for the
// command line and the memory map, which a loader that cannot give them
// must refuse to boot with; an optional request for the ACPI RSDP copies
// (Aero scans the BIOS areas for the RSDP without them); the end tag.
// GRUB passes all of these whether asked or not; the requests state what
// the kernel depends on. There is no framebuffer tag: Aero's console is
// the serial port.
func Header() []byte {
	var b []byte
	u16 := func(v uint16) { b = binary.LittleEndian.AppendUint16(b, v) }
	u32 := func(v uint32) { b = binary.LittleEndian.AppendUint32(b, v) }
	request := func(flags uint16, types ...uint32) {
		u16(tagInfoReq)
		u16(flags)
		u32(uint32(8 + 4*len(types)))
		for _, t := range types {
			u32(t)
		}
		for len(b)%8 != 0 { // tags are 8-byte aligned
			b = append(b, 0)
		}
	}
	u32(Magic)
	u32(archI386)
	u32(0) // header_length, set below
	u32(0) // checksum, set below
	request(0, InfoCmdline, InfoMmap)
	request(tagOptional, InfoACPIOld, InfoACPINew)
	u16(tagEnd)
	u16(0)
	u32(8)
	binary.LittleEndian.PutUint32(b[8:], uint32(len(b)))
	binary.LittleEndian.PutUint32(b[12:], -(uint32(Magic) + archI386 + uint32(len(b))))
	return b
}

// Find returns the file offset of the first multiboot2 header a loader
// would find in img (magic at an 8-byte aligned offset in the first 32 KiB,
// i386, checksum right), or -1.
func Find(img []byte) int {
	le := binary.LittleEndian
	for off := 0; off+16 <= min(len(img), SearchWindow); off += 8 {
		if le.Uint32(img[off:]) != Magic || le.Uint32(img[off+4:]) != archI386 {
			continue
		}
		if le.Uint32(img[off:])+le.Uint32(img[off+4:])+le.Uint32(img[off+8:])+le.Uint32(img[off+12:]) == 0 {
			return off
		}
	}
	return -1
}

// ErrNoRoom is returned when the ELF has no free, aligned space for the
// header in its first 32 KiB.
var ErrNoRoom = errors.New("multiboot: no unused bytes for a multiboot2 header in the first 32 KiB of the ELF")

// Stamp writes the header into the ELF at path, in place, and returns the
// file offset used. Stamping a stamped file again changes nothing; a header
// an older version of Stamp wrote is replaced; a header the kernel carries
// in its own contents is left alone (its offset is returned).
func Stamp(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	orig := bytes.Clone(b)
	off, err := StampBytes(b)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	if bytes.Equal(b, orig) {
		return int64(off), nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return 0, err
	}
	// Only the first 32 KiB can change.
	n := min(len(b), SearchWindow)
	if _, err := f.WriteAt(b[:n], 0); err != nil {
		f.Close()
		return 0, err
	}
	return int64(off), f.Close()
}

type span struct{ lo, hi uint64 }

// StampBytes is Stamp on an ELF image in memory: it writes the header into
// img and returns its offset.
func StampBytes(img []byte) (int, error) {
	used, err := check(img)
	if err != nil {
		return 0, err
	}
	h := Header()
	free := func(lo, hi uint64) bool {
		if hi > uint64(min(len(img), SearchWindow)) {
			return false
		}
		for _, s := range used {
			if lo < s.hi && hi > s.lo {
				return false
			}
		}
		return true
	}
	if off := Find(img); off >= 0 {
		if bytes.HasPrefix(img[off:], h) {
			return off, nil
		}
		// A header in bytes no section or header table owns is one Stamp
		// wrote (an older layout): clear it and stamp anew. A header inside
		// the kernel's own contents is the kernel's: keep it.
		n := uint64(binary.LittleEndian.Uint32(img[off+8:]))
		if n < 16 || !free(uint64(off), uint64(off)+n) {
			return off, nil
		}
		clear(img[off : uint64(off)+n])
	}
	for off := uint64(0); off+uint64(len(h)) <= uint64(min(len(img), SearchWindow)); off += 8 {
		end := off + uint64(len(h))
		if free(off, end) && allZero(img[off:end]) {
			copy(img[off:], h)
			return int(off), nil
		}
	}
	return 0, ErrNoRoom
}

// check parses img as GRUB's ELF64 multiboot2 loader would and returns the
// file ranges the file format uses: the ELF header, the program and section
// header tables, every non-PT_LOAD segment and every section with contents.
// PT_LOAD segments are not listed: the Go linker's first one starts at file
// offset 0 and so covers the headers and the padding after them.
func check(img []byte) ([]span, error) {
	f, err := elf.NewFile(bytes.NewReader(img))
	if err != nil {
		return nil, fmt.Errorf("multiboot: not an ELF file: %w", err)
	}
	if f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_X86_64 || f.Data != elf.ELFDATA2LSB {
		return nil, fmt.Errorf("multiboot: want a little-endian x86-64 ELF64 kernel, got %v %v %v", f.Class, f.Data, f.Machine)
	}
	if f.Type != elf.ET_EXEC {
		return nil, fmt.Errorf("multiboot: want an executable (ET_EXEC), got %v", f.Type)
	}
	le := binary.LittleEndian
	phoff, shoff := le.Uint64(img[0x20:]), le.Uint64(img[0x28:])
	phentsize, phnum := uint64(le.Uint16(img[0x36:])), uint64(le.Uint16(img[0x38:]))
	shentsize, shnum := uint64(le.Uint16(img[0x3a:])), uint64(le.Uint16(img[0x3c:]))
	if phoff+phnum*phentsize > SearchWindow {
		return nil, fmt.Errorf("multiboot: program headers end at %#x, beyond the first 32 KiB GRUB reads", phoff+phnum*phentsize)
	}
	used := []span{{0, 64}, {phoff, phoff + phnum*phentsize}}
	if shnum > 0 {
		used = append(used, span{shoff, shoff + shnum*shentsize})
	}
	entry := false
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD {
			if p.Filesz > 0 {
				used = append(used, span{p.Off, p.Off + p.Filesz})
			}
			continue
		}
		if end := p.Paddr + p.Memsz; end > 1<<32 || end < p.Paddr {
			return nil, fmt.Errorf("multiboot: segment at physical %#x-%#x ends above 4 GiB; GRUB loads below 4 GiB only", p.Paddr, end)
		}
		if f.Entry >= p.Vaddr && f.Entry-p.Vaddr < p.Memsz {
			entry = true
			if pa := f.Entry - p.Vaddr + p.Paddr; pa >= 1<<32 {
				return nil, fmt.Errorf("multiboot: entry point %#x is at physical %#x, above 4 GiB; GRUB enters in 32-bit mode", f.Entry, pa)
			}
		}
	}
	if !entry {
		return nil, fmt.Errorf("multiboot: entry point %#x is in no PT_LOAD segment", f.Entry)
	}
	for _, s := range f.Sections {
		if s.Type == elf.SHT_REL || s.Type == elf.SHT_RELA {
			return nil, fmt.Errorf("multiboot: section %s holds relocations, which GRUB's multiboot2 loader refuses", s.Name)
		}
		if s.Type != elf.SHT_NOBITS && s.Type != elf.SHT_NULL && s.Size > 0 {
			used = append(used, span{s.Offset, s.Offset + s.Size})
		}
	}
	return used, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
