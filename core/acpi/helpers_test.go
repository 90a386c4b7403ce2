package acpi_test

import (
	"bytes"
	"encoding/binary"
	"path/filepath"
	"testing"

	"github.com/aerokernel/aero/core/acpi/acpitest"
	"github.com/aerokernel/aero/core/hw"
)

// segMemory is physical memory made of separate segments; a read must lie
// within one of them, as a table lies within one firmware region.
type segMemory struct{ hw.Pieces }

// add maps a copy of data at addr.
func (m *segMemory) add(addr uint64, data []byte) {
	m.Pieces = append(m.Pieces, hw.Piece{Addr: addr, Data: bytes.Clone(data)})
}

// at returns the segment mapped at addr, to be changed in place.
func (m *segMemory) at(addr uint64) []byte {
	for _, p := range m.Pieces {
		if p.Addr == addr {
			return p.Data
		}
	}
	return nil
}

// flatMemory is one block of memory at physical address 0.
type flatMemory []byte

func (m flatMemory) ReadAt(p []byte, addr uint64) (int, error) {
	return hw.Pieces{{Addr: 0, Data: m}}.ReadAt(p, addr)
}

// fixture is one directory of testdata: the tables QEMU built for one
// machine configuration, and where they were in its memory.
type fixture struct {
	name  string
	files map[string][]byte // by file name, e.g. "APIC.bin"
	// layout is memmap.txt: signature, file and address of each table.
	layout   []placed
	rsdpAddr uint64
}

type placed struct {
	sig, file string
	addr      uint64
}

var fixtureNames = []string{"q35-smp4", "q35-numa2", "q35-numa3", "pc-smp2", "q35-hotplug"}

func loadFixture(tb testing.TB, name string) *fixture {
	tb.Helper()
	a := acpitest.LoadFixture(tb, filepath.Join("testdata", name))
	f := &fixture{name: name, files: a.Files, rsdpAddr: a.RSDP}
	for _, p := range a.Layout {
		f.layout = append(f.layout, placed{p.Sig, p.File, p.Addr})
	}
	return f
}

// memory maps every table of the fixture where QEMU's firmware put it.
func (f *fixture) memory() *segMemory {
	m := &segMemory{}
	for _, p := range f.layout {
		m.add(p.addr, f.files[p.file])
	}
	return m
}

// addrOf returns where the table with signature sig was.
func (f *fixture) addrOf(sig string) uint64 {
	for _, p := range f.layout {
		if p.sig == sig {
			return p.addr
		}
	}
	return 0
}

// table returns a copy of the fixture's table file SIG.bin, or nil.
func (f *fixture) table(sig string) []byte {
	b, ok := f.files[sig+".bin"]
	if !ok {
		return nil
	}
	return bytes.Clone(b)
}

// rsdp builds an RSDP of the given revision (0: 20 bytes, 2: 36 bytes).
func rsdp(rev uint8, rsdt uint32, xsdt uint64) []byte {
	b := make([]byte, 36)
	copy(b, "RSD PTR ")
	copy(b[9:], "AERO  ")
	b[15] = rev
	binary.LittleEndian.PutUint32(b[16:], rsdt)
	var s byte
	for _, c := range b[:20] {
		s += c
	}
	b[8] = -s
	if rev < 2 {
		return b[:20]
	}
	binary.LittleEndian.PutUint32(b[20:], 36)
	binary.LittleEndian.PutUint64(b[24:], xsdt)
	s = 0
	for _, c := range b {
		s += c
	}
	b[32] = -s
	return b
}

// image lays out an ACPI table set in flat memory at address 0: an RSDP at
// 0, then the DSDT and FACS from f, then the tables named by sigs (file
// SIG.bin of f), then an XSDT listing xsdt and an RSDT listing rsdt (either
// omitted when nil). The FADT's pointers are relocated. It returns the
// memory and where each table went.
func image(f *fixture, xsdt, rsdt []string) (flatMemory, map[string]uint64) {
	buf := make([]byte, 64)
	addrs := map[string]uint64{}
	put := func(name string, b []byte) uint64 {
		for len(buf)%16 != 0 {
			buf = append(buf, 0)
		}
		a := uint64(len(buf))
		buf = append(buf, b...)
		if name != "" {
			addrs[name] = a
		}
		return a
	}
	put("FACS", f.table("FACS"))
	put("DSDT", f.table("DSDT"))
	seen := map[string]bool{}
	for _, sig := range append(append([]string{}, xsdt...), rsdt...) {
		if seen[sig] {
			continue
		}
		seen[sig] = true
		b := f.table(sig)
		if sig == "FACP" {
			binary.LittleEndian.PutUint32(b[36:], uint32(addrs["FACS"]))
			binary.LittleEndian.PutUint32(b[40:], uint32(addrs["DSDT"]))
			if len(b) >= 148 {
				binary.LittleEndian.PutUint64(b[132:], addrs["FACS"])
				binary.LittleEndian.PutUint64(b[140:], addrs["DSDT"])
			}
			acpitest.FixChecksum(b)
		}
		put(sig, b)
	}
	var xa, ra uint64
	if xsdt != nil {
		var body []byte
		for _, sig := range xsdt {
			body = binary.LittleEndian.AppendUint64(body, addrs[sig])
		}
		xa = put("XSDT", acpitest.Table("XSDT", 1, body))
	}
	if rsdt != nil {
		var body []byte
		for _, sig := range rsdt {
			body = binary.LittleEndian.AppendUint32(body, uint32(addrs[sig]))
		}
		ra = put("RSDT", acpitest.Table("RSDT", 1, body))
	}
	if xsdt != nil {
		copy(buf, rsdp(2, uint32(ra), xa))
	} else {
		copy(buf, rsdp(0, uint32(ra), 0))
	}
	addrs["RSDP"] = 0
	return buf, addrs
}

// sigs lists the signatures of the tables in the fixture's root table
// (everything but RSDP, RSDT, XSDT, FACS and DSDT), in its order.
func (f *fixture) sigs() []string {
	var s []string
	for _, p := range f.layout {
		switch p.sig {
		case "RSDP", "RSDT", "XSDT", "FACS", "DSDT":
		default:
			s = append(s, p.sig)
		}
	}
	return s
}
