package bootinfo

import (
	"reflect"
	"strings"
	"testing"

	"github.com/aerokernel/aero/core/hw"
)

func TestExtentsPVH(t *testing.T) {
	s := defaultPVH()
	s.modules = []Module{{0x2000000, 0x1000, "mod0"}, {0x3000000, 0x1000, ""}, {0x4000000, 0x1000, "module two"}}
	m := flat(0, s.build())
	got := extents(0, pvhAt, m)
	want := []extent{
		{pvhAt, 56, "start info"},
		{pvhCmdAt, uint64(len(s.cmdline) + 1), "command line"},
		{pvhModsAt, 3 * 32, "module list"},
		{pvhModCmdAt, 5, "module command line"},
		{pvhModCmdAt + 0x200, 11, "module command line"},
		{pvhMapAt, 24 * uint64(len(q35)), "memory map"},
	}
	equal(t, "extents", got, want)
	checkSnapshot(t, 0, pvhAt, m)
}

func TestExtentsMultiboot2(t *testing.T) {
	b := grub().done()
	m := flat(mb2At, b)
	equal(t, "extents", extents(Multiboot2Magic, mb2At, m), []extent{{mb2At, uint64(len(b)), "information"}})
	checkSnapshot(t, Multiboot2Magic, mb2At, m)

	// An impossible total_size: only the header is read.
	put32(b, 0, 1<<30)
	equal(t, "extents", extents(Multiboot2Magic, mb2At, m), []extent{{mb2At, 8, "information"}})
}

// extents that touch are joined and named for all their parts.
func TestExtentsJoined(t *testing.T) {
	m := defaultPVH().build()
	put64(m, pvhAt+24, pvhAt+56) // the command line right after the start info
	copy(m[pvhAt+56:], "quiet\x00")
	got := extents(0, pvhAt, flat(0, m))
	want := []extent{{pvhAt, 56 + 6, "start info+command line"}, {pvhMapAt, 24 * uint64(len(q35)), "memory map"}}
	equal(t, "extents", got, want)
	if s := got[0].String(); s != "start info+command line [0x1000, 0x103e)" {
		t.Errorf("String() = %q", s)
	}
}

// Where Parse fails, extents lists what it read up to there.
func TestExtentsOnFailure(t *testing.T) {
	m := defaultPVH().build()
	put32(m, pvhAt, 0x12345678)
	equal(t, "extents (bad magic)", extents(0, pvhAt, flat(0, m)), []extent{{pvhAt, 40, "start info"}})
	m = defaultPVH().build()
	put32(m, pvhAt+4, 0)
	equal(t, "extents (version 0)", extents(0, pvhAt, flat(0, m)),
		[]extent{{pvhAt, 40, "start info"}, {pvhCmdAt, 24, "command line"}})
	equal(t, "extents (nothing there)", extents(0, pvhAt, flat(0, nil)), []extent(nil))
	equal(t, "extents (null)", extents(0, 0, flat(0, m)), []extent(nil))
}

// checkSnapshot checks that Parse over Snapshot gives what Parse over mem
// gives, and that the snapshot is no bigger than its extents.
func checkSnapshot(t *testing.T, magic uint32, addr uint64, mem hw.PhysMemory) {
	t.Helper()
	want, werr := Parse(magic, addr, mem)
	snap := snapshot(magic, addr, mem)
	got, gerr := Parse(magic, addr, snap)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("Parse over memory: %v; over the snapshot: %v", werr, gerr)
	}
	// Warnings quote the Memory's own errors, which differ: compare counts.
	if werr == nil && len(got.Warnings) == len(want.Warnings) {
		got.Warnings, want.Warnings = nil, nil
	}
	if werr == nil && !reflect.DeepEqual(got, want) {
		t.Errorf("Parse over the snapshot = %+v\nover memory = %+v", got, want)
	}
	if werr != nil && errKind(werr) != errKind(gerr) {
		t.Errorf("Parse over memory: %v; over the snapshot: %v", werr, gerr)
	}
	var size uint64
	for _, e := range extents(magic, addr, mem) {
		size += e.Size
	}
	var n uint64
	for _, p := range snap {
		n += uint64(len(p.Data))
	}
	if n != size {
		t.Errorf("snapshot holds %d bytes, extents %d", n, size)
	}
}

func errKind(err error) string {
	if e, ok := err.(*Error); ok {
		return e.Kind.Error() + " " + e.What
	}
	return "not an *Error: " + strings.TrimSpace(err.Error())
}
