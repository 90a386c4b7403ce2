package bootinfo

import (
	"cmp"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/aerokernel/aero/core/hw"
)

// The fuzz targets check that no input panics or hangs, that what Parse
// returns is consistent (RAM() covers exactly the RAM the map gives), and
// that Parse over Snapshot gives what Parse over the memory gives. Run
// them with go test -run '^$' -fuzz FuzzParsePVH -fuzztime 30s (and
// FuzzParseMultiboot2); plain go test runs just their seeds.

// compactPVH lays out a PVH boot in little memory, for the fuzzer: start
// info at 0x40, command line at 0x100, module list at 0x140, a module
// command line at 0x1a0, memory map at 0x200.
func compactPVH(version uint32, cmdline string, mods int, memory []Region) []byte {
	m := make([]byte, 0x200+24*len(memory))
	put32(m, 0x40, PVHMagic)
	put32(m, 0x44, version)
	put32(m, 0x4c, uint32(mods))
	put64(m, 0x50, 0x140)
	put64(m, 0x58, 0x100)
	put64(m, 0x60, 0xe0000)
	put64(m, 0x68, 0x200)
	put32(m, 0x70, uint32(len(memory)))
	copy(m[0x100:0x13f], cmdline)
	for i := range mods {
		put64(m, uint64(0x140+32*i), uint64(i)<<20)
		put64(m, uint64(0x148+32*i), 0x1000)
		put64(m, uint64(0x150+32*i), 0x1a0)
	}
	copy(m[0x1a0:], "mod\x00")
	for i, r := range memory {
		e := uint64(0x200 + 24*i)
		put64(m, e, r.Base)
		put64(m, e+8, r.Size)
		put32(m, e+16, uint32(r.Type))
	}
	return m
}

func FuzzParsePVH(f *testing.F) {
	f.Add(compactPVH(1, "test=all", 0, q35))
	f.Add(compactPVH(1, "", 2, q35[:4]))
	f.Add(compactPVH(0, "x", 1, nil))
	f.Add(compactPVH(1, "a b c", 1, []Region{reg(0, 0x10000, RAM), reg(0x8000, 0x100, Reserved), reg(0xfffffffffffff000, 0x2000, RAM)}))
	f.Add(make([]byte, 0x48))
	f.Fuzz(func(t *testing.T, b []byte) {
		check(t, 0, 0x40, flat(0, b))
	})
}

func FuzzParseMultiboot2(f *testing.F) {
	f.Add(grub().module(0x200000, 0x201000, "initrd").done())
	f.Add(newMB2().mmap(24, q35[:3]).done())
	f.Add(newMB2().mmap(32, q35[:3]).str(tagCmdline, "x").str(tagCmdline, "y").done())
	f.Add(newMB2().basic(639, 1<<20).done())
	f.Add(newMB2().tag(99, []byte{1, 2, 3}).mmap(24, []Region{reg(0, 0x10000, RAM), reg(0x8000, 0x100, ACPI)}).done())
	f.Fuzz(func(t *testing.T, b []byte) {
		check(t, Multiboot2Magic, mb2At, flat(mb2At, b))
	})
}

// check parses and checks what comes back.
func check(t *testing.T, magic uint32, addr uint64, mem hw.PhysMemory) {
	info, err := Parse(magic, addr, mem)
	if (info == nil) == (err == nil) {
		t.Fatalf("Parse = %v, %v", info, err)
	}
	checkSnapshot(t, magic, addr, mem)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error %v is a %T, not an *Error", err, err)
		}
		if !slices.Contains([]error{ErrMagic, ErrRead, ErrLength, ErrString, ErrMissing}, e.Kind) {
			t.Fatalf("error %v: unknown kind %v", err, e.Kind)
		}
		return
	}
	switch {
	case len(info.Memory) == 0 || len(info.Memory) > MaxMemmap:
		t.Fatalf("%d memory regions", len(info.Memory))
	case len(info.Cmdline) > MaxCmdline || len(info.LoaderName) > MaxCmdline:
		t.Fatalf("command line of %d bytes, loader name of %d", len(info.Cmdline), len(info.LoaderName))
	case len(info.Modules) > MaxModules:
		t.Fatalf("%d modules", len(info.Modules))
	case len(info.Warnings) > maxWarnings+1:
		t.Fatalf("%d warnings", len(info.Warnings))
	case !slices.IsSortedFunc(info.Memory, func(a, b Region) int { return cmp.Compare(a.Base, b.Base) }):
		t.Fatalf("Memory not sorted: %v", info.Memory)
	}
	checkRAM(t, info)
}

// checkRAM checks that RAM() is sorted, with gaps between regions, and
// (for small maps) holds exactly the addresses that some RAM region and no
// other covers. Membership can change only at a region's bounds, so
// checking each bound and its neighbours is enough.
func checkRAM(t *testing.T, info *Info) {
	ram := info.RAM()
	for i, r := range ram {
		if r.Size == 0 || r.Type != RAM {
			t.Fatalf("RAM()[%d] = %v", i, r)
		}
		if i > 0 && (r.Base <= ram[i-1].Last() || r.Base-1 == ram[i-1].Last()) {
			t.Fatalf("RAM() regions %v and %v overlap or touch", ram[i-1], r)
		}
	}
	if len(info.Memory) > 64 {
		return
	}
	in := func(rs []Region, a uint64, ram bool) bool {
		for _, r := range rs {
			if r.Size > 0 && (r.Type == RAM) == ram && a >= r.Base && a <= r.Last() {
				return true
			}
		}
		return false
	}
	var points []uint64
	for _, r := range append(slices.Clone(info.Memory), ram...) {
		if r.Size > 0 {
			points = append(points, r.Base-1, r.Base, r.Last(), r.Last()+1)
		}
	}
	for _, a := range points {
		want := in(info.Memory, a, true) && !in(info.Memory, a, false)
		if got := in(ram, a, true); got != want {
			t.Fatalf("address %#x: in RAM() %v, want %v (memory %v, RAM() %v)", a, got, want, info.Memory, ram)
		}
	}
}

// The seeds parse: the fuzzers start from valid input.
func TestFuzzSeedsParse(t *testing.T) {
	for _, b := range [][]byte{compactPVH(1, "test=all", 0, q35), compactPVH(1, "", 2, q35[:4])} {
		info, err := Parse(0, 0x40, flat(0, b))
		if err != nil {
			t.Fatal(err)
		}
		if len(info.Modules) > 0 && info.Modules[0].Cmdline != "mod" {
			t.Errorf("modules %v", info.Modules)
		}
	}
	info, err := Parse(0, 0x40, flat(0, compactPVH(1, "test=all", 0, q35)))
	if err != nil || !reflect.DeepEqual(info.Memory, q35) || info.Cmdline != "test=all" {
		t.Errorf("compact PVH: %+v, %v", info, err)
	}
}
