package bootinfo

import (
	"fmt"

	"github.com/aerokernel/aero/core/hw"
)

// Multiboot2 tag types (Multiboot2 Specification 3.6).
const (
	tagEnd       = 0
	tagCmdline   = 1
	tagLoader    = 2
	tagModule    = 3
	tagBasicMem  = 4
	tagMmap      = 6
	tagACPIOld   = 14
	tagACPINew   = 15
	mb2Header    = 8  // total_size, reserved
	mb2TagHeader = 8  // type, size
	mb2MinEntry  = 24 // base, length, type, reserved
)

func parseMultiboot2(addr uint64, r reader) (*Info, error) {
	hdr, err := r.read("information", addr, mb2Header)
	if err != nil {
		return nil, err
	}
	total := le.Uint32(hdr)
	if total < mb2Header+mb2TagHeader || total > MaxMultiboot2 {
		return nil, errorf(r.proto, "information", addr, ErrLength,
			"total_size %d (want %d to %d)", total, mb2Header+mb2TagHeader, MaxMultiboot2)
	}
	b, err := r.read("information", addr, uint64(total))
	if err != nil {
		return nil, err
	}

	info := &Info{Loader: "multiboot2"}
	seen := map[uint32]bool{}
	haveMmap, haveBasic := false, false
	for off := uint32(mb2Header); ; {
		if off+mb2TagHeader > total {
			return nil, errorf(r.proto, "information", addr, ErrMissing,
				"no end tag within total_size %d", total)
		}
		typ, size := le.Uint32(b[off:]), le.Uint32(b[off+4:])
		what := fmt.Sprintf("tag %d at offset %d", typ, off)
		switch {
		case size < mb2TagHeader:
			return nil, errorf(r.proto, what, addr, ErrLength, "size %d (at least %d)", size, mb2TagHeader)
		case size > total-off:
			return nil, errorf(r.proto, what, addr, ErrLength, "size %d runs past total_size %d", size, total)
		}
		if typ == tagEnd {
			break
		}
		body := b[off+mb2TagHeader : off+size]
		// Tags that should appear once: the first is used.
		if once(typ) && seen[typ] {
			info.warnf("multiboot2: %s repeats an earlier one; ignored", what)
			off = (off + size + 7) &^ 7
			continue
		}
		seen[typ] = true
		switch typ {
		case tagCmdline:
			if info.Cmdline, err = tagString(r.proto, what+" (command line)", addr, body); err != nil {
				return nil, err
			}
		case tagLoader:
			if info.LoaderName, err = tagString(r.proto, what+" (boot loader name)", addr, body); err != nil {
				return nil, err
			}
		case tagModule:
			if len(body) < 8 {
				return nil, errorf(r.proto, what+" (module)", addr, ErrLength, "size %d (at least 16)", size)
			}
			if len(info.Modules) == MaxModules {
				return nil, errorf(r.proto, what+" (module)", addr, ErrLength, "more than %d modules", MaxModules)
			}
			start, end := le.Uint32(body), le.Uint32(body[4:])
			if end < start {
				return nil, errorf(r.proto, what+" (module)", addr, ErrLength,
					"mod_end %#x is below mod_start %#x", end, start)
			}
			m := Module{Base: uint64(start), Size: uint64(end - start)}
			if len(body) > 8 {
				if m.Cmdline, err = tagString(r.proto, what+" (module)", addr, body[8:]); err != nil {
					return nil, err
				}
			}
			info.Modules = append(info.Modules, m)
		case tagBasicMem:
			if len(body) < 8 {
				return nil, errorf(r.proto, what+" (basic memory information)", addr, ErrLength, "size %d (at least 16)", size)
			}
			info.MemLowerKiB, info.MemUpperKiB = le.Uint32(body), le.Uint32(body[4:])
			haveBasic = true
		case tagMmap:
			if err := parseMmap(info, r.proto, what+" (memory map)", addr, body); err != nil {
				return nil, err
			}
			haveMmap = true
		case tagACPIOld, tagACPINew:
			if typ == tagACPINew || !seen[tagACPINew] {
				info.RSDPCopy = append([]byte(nil), body...)
			}
		}
		off = (off + size + 7) &^ 7 // size <= total-off, total <= 64 KiB: no overflow
	}

	if !haveMmap {
		if !haveBasic {
			return nil, errorf(r.proto, "information", addr, ErrMissing,
				"no memory map (tag 6) or basic memory information (tag 4)")
		}
		info.warnf("multiboot2: no memory map tag; RAM from basic memory information (%d KiB low, %d KiB from 1 MiB)",
			info.MemLowerKiB, info.MemUpperKiB)
		info.Memory = []Region{
			{Range: hw.Range{Base: 0, Size: uint64(info.MemLowerKiB) << 10}, Type: RAM},
			{Range: hw.Range{Base: 1 << 20, Size: uint64(info.MemUpperKiB) << 10}, Type: RAM},
		}
	}
	return info, nil
}

// once reports whether a tag type should appear at most once.
func once(typ uint32) bool {
	switch typ {
	case tagCmdline, tagLoader, tagBasicMem, tagMmap, tagACPIOld, tagACPINew:
		return true
	}
	return false
}

// parseMmap reads a memory map tag's body: entry_size, entry_version,
// then entries of entry_size bytes.
func parseMmap(info *Info, proto, what string, addr uint64, body []byte) error {
	if len(body) < 8 {
		return errorf(proto, what, addr, ErrLength, "%d bytes after the tag header (at least 8)", len(body))
	}
	esize := le.Uint32(body)
	if esize < mb2MinEntry {
		return errorf(proto, what, addr, ErrLength, "entry_size %d (at least %d)", esize, mb2MinEntry)
	}
	entries := body[8:]
	if uint64(len(entries))%uint64(esize) != 0 {
		return errorf(proto, what, addr, ErrLength,
			"%d bytes of entries is not a whole number of %d-byte entries", len(entries), esize)
	}
	n := uint64(len(entries)) / uint64(esize)
	if n > MaxMemmap {
		return errorf(proto, what, addr, ErrLength, "%d entries (at most %d believed)", n, MaxMemmap)
	}
	info.Memory = make([]Region, 0, n)
	for e := entries; len(e) > 0; e = e[esize:] {
		info.Memory = append(info.Memory, Region{Range: hw.Range{Base: le.Uint64(e), Size: le.Uint64(e[8:])}, Type: RegionType(le.Uint32(e[16:]))})
	}
	return nil
}
