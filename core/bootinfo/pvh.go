package bootinfo

import "github.com/aerokernel/aero/core/hw"

// struct hvm_start_info (Xen public/arch-x86/hvm/start_info.h).
const (
	pvhMagicOff    = 0
	pvhVersionOff  = 4
	pvhNrModules   = 12
	pvhModlist     = 16
	pvhCmdline     = 24
	pvhRSDP        = 32
	pvhMemmap      = 40 // version 1 on
	pvhMemmapCount = 48
	pvhSizeV0      = 40
	pvhSizeV1      = 56
	pvhModuleSize  = 32 // struct hvm_modlist_entry
	pvhEntrySize   = 24 // struct hvm_memmap_table_entry
)

func parsePVH(eax uint32, addr uint64, r reader) (*Info, error) {
	b, err := r.read("start info", addr, pvhSizeV0)
	if err != nil {
		return nil, err
	}
	if m := le.Uint32(b[pvhMagicOff:]); m != PVHMagic {
		return nil, errorf(r.proto, "start info", addr, ErrMagic,
			"magic %#x, want %#x (and EAX %#x is not the multiboot2 magic %#x)", m, PVHMagic, eax, Multiboot2Magic)
	}
	version := le.Uint32(b[pvhVersionOff:])
	if version >= 1 {
		if b, err = r.read("start info", addr, pvhSizeV1); err != nil {
			return nil, err
		}
	}
	info := &Info{Loader: "pvh", RSDP: le.Uint64(b[pvhRSDP:])}

	if p := le.Uint64(b[pvhCmdline:]); p != 0 {
		if info.Cmdline, err = r.cstring("command line", p); err != nil {
			return nil, err
		}
	}

	if n := le.Uint32(b[pvhNrModules:]); n > 0 {
		list := le.Uint64(b[pvhModlist:])
		switch {
		case n > MaxModules:
			return nil, errorf(r.proto, "module list", list, ErrLength, "%d modules (at most %d believed)", n, MaxModules)
		case list == 0:
			return nil, errorf(r.proto, "module list", 0, ErrMissing, "nr_modules is %d but modlist_paddr is 0", n)
		}
		ml, err := r.read("module list", list, uint64(n)*pvhModuleSize)
		if err != nil {
			return nil, err
		}
		for k := range int(n) {
			e := ml[k*pvhModuleSize:]
			m := Module{Base: le.Uint64(e), Size: le.Uint64(e[8:])}
			if p := le.Uint64(e[16:]); p != 0 {
				// A module's command line is not something the
				// kernel needs to boot: keep the module, say why
				// its command line is missing.
				if m.Cmdline, err = r.cstring("module command line", p); err != nil {
					info.warnf("module %d: %v", k, err)
				}
			}
			info.Modules = append(info.Modules, m)
		}
	}

	if version < 1 {
		return nil, errorf(r.proto, "start info", addr, ErrMissing,
			"version %d has no memory map (version 1 or later needed)", version)
	}
	mm, n := le.Uint64(b[pvhMemmap:]), le.Uint32(b[pvhMemmapCount:])
	switch {
	case mm == 0 || n == 0:
		return nil, errorf(r.proto, "memory map", mm, ErrMissing, "none given (memmap_paddr %#x, memmap_entries %d)", mm, n)
	case n > MaxMemmap:
		return nil, errorf(r.proto, "memory map", mm, ErrLength, "%d entries (at most %d believed)", n, MaxMemmap)
	}
	t, err := r.read("memory map", mm, uint64(n)*pvhEntrySize)
	if err != nil {
		return nil, err
	}
	info.Memory = make([]Region, 0, n)
	for k := range int(n) {
		e := t[k*pvhEntrySize:]
		info.Memory = append(info.Memory, Region{Range: hw.Range{Base: le.Uint64(e), Size: le.Uint64(e[8:])}, Type: RegionType(le.Uint32(e[16:]))})
	}
	return info, nil
}
