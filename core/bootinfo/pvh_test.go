package bootinfo

import (
	"slices"
	"strings"
	"testing"

	"github.com/aerokernel/aero/core/hw"
)

func TestPVH(t *testing.T) {
	s := defaultPVH()
	// Out of order, as a loader may give it: Memory comes back sorted.
	s.memory = slices.Clone(q35)
	slices.Reverse(s.memory)
	s.modules = []Module{{0x2000000, 0x1234, "initrd quiet"}, {0x3000000, 10, ""}}
	info, err := Parse(0, pvhAt, flat(0, s.build()))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "Loader", info.Loader, "pvh")
	equal(t, "LoaderName", info.LoaderName, "")
	equal(t, "Cmdline", info.Cmdline, "test=all loglevel=debug")
	equal(t, "RSDP", info.RSDP, uint64(pvhRSDPValue))
	equal(t, "RSDPCopy", info.RSDPCopy, []byte(nil))
	equal(t, "Memory", info.Memory, q35)
	equal(t, "RAM", info.RAM(), q35RAM)
	equal(t, "Modules", info.Modules, s.modules)
	equal(t, "Warnings", info.Warnings, []string(nil))
}

func TestPVHVersions(t *testing.T) {
	// Version 2 and later are backwards-compatible: read as version 1.
	s := defaultPVH()
	s.version = 7
	info, err := Parse(0, pvhAt, flat(0, s.build()))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "Memory", info.Memory, q35)

	// Version 0 is 40 bytes long and has no memory map: an error, but
	// only the 40 bytes are read.
	s.version = 0
	m := s.build()
	_, err = Parse(0, pvhAt, hw.Pieces{{Addr: pvhAt, Data: m[pvhAt : pvhAt+40]}, {Addr: pvhCmdAt, Data: m[pvhCmdAt : pvhCmdAt+100]}})
	wantErr(t, err, ErrMissing, "version 0 has no memory map")
}

func TestPVHNoCmdline(t *testing.T) {
	s := defaultPVH()
	s.cmdline = ""
	info, err := Parse(0, pvhAt, flat(0, s.build()))
	if err != nil || info.Cmdline != "" {
		t.Fatalf("Parse = %+v, %v; want an empty command line", info, err)
	}
}

func TestPVHLongCmdline(t *testing.T) {
	s := defaultPVH()
	s.cmdline = strings.Repeat("x", MaxCmdline) // the longest accepted
	info, err := Parse(0, pvhAt, flat(0, s.build()))
	if err != nil || info.Cmdline != s.cmdline {
		t.Fatalf("Parse of a %d-byte command line: %v", MaxCmdline, err)
	}
}

func TestPVHErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		patch func(m []byte) []byte
		kind  error
		words []string
	}{
		{"bad magic", func(m []byte) []byte { put32(m, pvhAt, 0xdeadbeef); return m },
			ErrMagic, []string{"pvh: start info at 0x1000", "magic 0xdeadbeef, want 0x336ec578", "EAX 0x2badb002"}},
		{"start info truncated", func(m []byte) []byte { return m[:pvhAt+30] },
			ErrRead, []string{"start info at 0x1000", "40 bytes"}},
		{"version 1 truncated", func(m []byte) []byte { return m[:pvhAt+50] },
			ErrRead, []string{"start info at 0x1000", "56 bytes"}},
		{"version 0", func(m []byte) []byte { put32(m, pvhAt+4, 0); return m },
			ErrMissing, []string{"version 0"}},
		{"no memory map address", func(m []byte) []byte { put64(m, pvhAt+40, 0); return m },
			ErrMissing, []string{"memory map", "none given"}},
		{"no memory map entries", func(m []byte) []byte { put32(m, pvhAt+48, 0); return m },
			ErrMissing, []string{"memory map at 0x8000", "memmap_entries 0"}},
		{"absurd memory map", func(m []byte) []byte { put32(m, pvhAt+48, MaxMemmap+1); return m },
			ErrLength, []string{"memory map at 0x8000", "1025 entries (at most 1024"}},
		{"huge memory map", func(m []byte) []byte { put32(m, pvhAt+48, 0xffffffff); return m },
			ErrLength, []string{"4294967295 entries"}},
		{"memory map past memory", func(m []byte) []byte { put64(m, pvhAt+40, pvhMemSize-0x80); return m },
			ErrRead, []string{"memory map at 0xff80", "reading 240 bytes"}},
		{"memory map wraps", func(m []byte) []byte { put64(m, pvhAt+40, 0xfffffffffffffff0); return m },
			ErrLength, []string{"past the end of the address space"}},
		{"command line without NUL", func(m []byte) []byte {
			copy(m[pvhCmdAt:], strings.Repeat("y", MaxCmdline+1))
			return m
		}, ErrString, []string{"command line at 0x2000", "no NUL within 4097 bytes"}},
		{"command line past memory", func(m []byte) []byte {
			put64(m, pvhAt+24, pvhMemSize-3)
			copy(m[pvhMemSize-3:], "abc")
			return m
		},
			ErrRead, []string{"command line at 0xfffd", "byte 3"}},
		{"absurd module count", func(m []byte) []byte { put32(m, pvhAt+12, MaxModules+1); return m },
			ErrLength, []string{"65 modules"}},
		{"module count without list", func(m []byte) []byte { put32(m, pvhAt+12, 2); put64(m, pvhAt+16, 0); return m },
			ErrMissing, []string{"nr_modules is 2 but modlist_paddr is 0"}},
		{"module list past memory", func(m []byte) []byte { put32(m, pvhAt+12, 1); put64(m, pvhAt+16, pvhMemSize-8); return m },
			ErrRead, []string{"module list at 0xfff8"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := c.patch(defaultPVH().build())
			info, err := Parse(0x2badb002, pvhAt, flat(0, m))
			if info != nil {
				t.Errorf("Parse returned %+v with the error", info)
			}
			wantErr(t, err, c.kind, c.words...)
		})
	}
}

func TestPVHNullPointer(t *testing.T) {
	_, err := Parse(0, 0, flat(0, make([]byte, 100)))
	wantErr(t, err, ErrMagic, "EBX is 0")
	_, err = Parse(0, pvhAt, nil)
	wantErr(t, err, ErrRead, "no memory")
}

// A module command line that cannot be read is a warning: the module stays.
func TestPVHModuleCmdlineUnreadable(t *testing.T) {
	s := defaultPVH()
	s.modules = []Module{{0x2000000, 0x1000, "a"}, {0x3000000, 0x1000, "b"}}
	m := s.build()
	put64(m, pvhModsAt+32+16, 0xdead0000) // module 1's command line: outside memory
	info, err := Parse(0, pvhAt, flat(0, m))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "Modules", info.Modules, []Module{{0x2000000, 0x1000, "a"}, {0x3000000, 0x1000, ""}})
	if len(info.Warnings) != 1 || !strings.Contains(info.Warnings[0], "module 1: bootinfo: pvh: module command line at 0xdead0000") {
		t.Errorf("Warnings = %q", info.Warnings)
	}
}

func TestPVHMaxEntries(t *testing.T) {
	s := defaultPVH()
	s.memory = nil
	for i := range MaxMemmap {
		s.memory = append(s.memory, reg(uint64(i)<<20, 1<<20, RegionType(1+i%2)))
	}
	m := append(s.build(), make([]byte, 0x10000)...) // room for 1024 entries
	info, err := Parse(0, pvhAt, flat(0, m))
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Memory) != MaxMemmap || len(info.RAM()) != MaxMemmap/2 {
		t.Errorf("%d regions, %d RAM; want %d, %d", len(info.Memory), len(info.RAM()), MaxMemmap, MaxMemmap/2)
	}
}

func TestOverlapWarnings(t *testing.T) {
	s := defaultPVH()
	s.memory = []Region{
		reg(0, 0x100000, RAM),
		reg(0xf0000, 0x10000, Reserved),    // inside the RAM: warned
		reg(0x100000, 0x100000, RAM),       // touches: fine
		reg(0x180000, 0x1000, RAM),         // same type inside: fine
		reg(0x1ff000, 0x2000, ACPI),        // straddles the end: warned
		reg(0x300000, 0, Reserved),         // empty: fine
		reg(0xfffffffffffff000, 0x2000, 7), // wraps: warned
	}
	info, err := Parse(0, pvhAt, flat(0, s.build()))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"memory map: [0xf0000-0xfffff] reserved overlaps [0x0-0xfffff] ram (the overlap is not used as RAM)",
		"memory map: [0x1ff000-0x200fff] acpi overlaps [0x100000-0x1fffff] ram (the overlap is not used as RAM)",
		"memory map: [0xfffffffffffff000-0xffffffffffffffff] pmem runs past the end of the address space",
	}
	equal(t, "Warnings", info.Warnings, want)
	equal(t, "RAM", info.RAM(), []Region{reg(0, 0xf0000, RAM), reg(0x100000, 0xff000, RAM)})
}

func TestWarningsCapped(t *testing.T) {
	s := defaultPVH()
	s.memory = []Region{reg(0, 1<<30, RAM)}
	for i := range 40 {
		s.memory = append(s.memory, reg(uint64(i)<<20, 0x1000, Reserved))
	}
	info, err := Parse(0, pvhAt, flat(0, s.build()))
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Warnings) != maxWarnings+1 || info.Warnings[maxWarnings] != "... and 24 more warnings" {
		t.Errorf("Warnings = %q", info.Warnings)
	}
}
