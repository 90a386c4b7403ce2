// Package multiboot stamps a multiboot2 header into a linked Aero kernel
// ELF, so that GRUB's multiboot2 command can load it.
//
// The Multiboot2 specification (section 3.1) wants the header 8-byte
// aligned within the first 32 KiB of the file. The Go linker gives no way
// to put data there, but its ELF files have a run of unused zero bytes
// between the program header table and the first note: Stamp writes the
// header there. GRUB then loads the PT_LOAD segments at their physical
// addresses and enters e_entry in 32-bit protected mode with EAX =
// 0x36d76289 and EBX = the boot information, which Aero's cpuinit expects.
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
	Magic        = 0xe85250d6
	archI386     = 0
	searchWindow = 32 << 10
	tagEnd       = 0
	tagInfoReq   = 1
	// Information requests: the boot command line and the memory map.
	reqCmdline = 1
	reqMmap    = 6
)

// Header returns the header Stamp writes: magic, architecture (i386
// protected mode), length, checksum, an information request tag (command
// line, memory map) and the end tag.
func Header() []byte {
	var b bytes.Buffer
	w := func(v uint32) { binary.Write(&b, binary.LittleEndian, v) }
	w(Magic)
	w(archI386)
	w(0) // length, set below
	w(0) // checksum, set below
	// information request tag: type, flags, size, requests; padded to 8.
	w(tagInfoReq<<0 | 0<<16) // type 1 (u16), flags 0 (u16)
	w(8 + 2*4)
	w(reqCmdline)
	w(reqMmap)
	// end tag
	w(tagEnd)
	w(8)
	h := b.Bytes()
	binary.LittleEndian.PutUint32(h[8:], uint32(len(h)))
	sum := uint32(Magic) + archI386 + uint32(len(h))
	binary.LittleEndian.PutUint32(h[12:], -sum)
	return h
}

// ErrNoRoom is returned when the ELF has no free, aligned space for the
// header in its first 32 KiB.
var ErrNoRoom = errors.New("multiboot: no unused bytes for a multiboot2 header in the first 32 KiB of the ELF")

// Stamp writes the header into the ELF at path, in place; stamping a
// stamped file again changes nothing. It returns the file offset used.
func Stamp(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	off, err := StampBytes(b)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return int64(off), os.WriteFile(path, b, 0o755)
}

// StampBytes is Stamp on an ELF image in memory.
func StampBytes(img []byte) (int, error) {
	f, err := elf.NewFile(bytes.NewReader(img))
	if err != nil {
		return 0, fmt.Errorf("multiboot: not an ELF file: %w", err)
	}
	if f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_X86_64 {
		return 0, fmt.Errorf("multiboot: want an x86-64 ELF64 kernel, got %v %v", f.Class, f.Machine)
	}
	if f.Entry >= 1<<32 {
		return 0, fmt.Errorf("multiboot: entry point %#x is above 4 GiB; GRUB enters in 32-bit mode", f.Entry)
	}
	h := Header()
	// Already stamped?
	for off := 0; off+len(h) <= min(len(img), searchWindow); off += 8 {
		if bytes.Equal(img[off:off+len(h)], h) {
			return off, nil
		}
	}
	// Bytes the file format uses: the ELF header, the program header
	// table, and the contents of every segment except PT_LOADs (the first
	// PT_LOAD covers the headers and the gap: loading the gap is harmless).
	type span struct{ lo, hi uint64 }
	used := []span{{0, 64}}
	le := binary.LittleEndian
	phoff, shoff := le.Uint64(img[0x20:]), le.Uint64(img[0x28:])
	phnum, shnum := uint64(le.Uint16(img[0x38:])), uint64(le.Uint16(img[0x3c:]))
	used = append(used, span{phoff, phoff + phnum*56}, span{shoff, shoff + shnum*64})
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD && p.Filesz > 0 {
			used = append(used, span{p.Off, p.Off + p.Filesz})
		}
	}
	for _, s := range f.Sections {
		if s.Type != elf.SHT_NOBITS && s.Type != elf.SHT_NULL && s.Size > 0 {
			used = append(used, span{s.Offset, s.Offset + s.Size})
		}
	}
	limit := min(uint64(len(img)), searchWindow)
	for off := uint64(64); off+uint64(len(h)) <= limit; off += 8 {
		end := off + uint64(len(h))
		free := true
		for _, s := range used {
			if off < s.hi && end > s.lo {
				free = false
				break
			}
		}
		if free && allZero(img[off:end]) {
			copy(img[off:], h)
			return int(off), nil
		}
	}
	return 0, ErrNoRoom
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
