package acpitest

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aerokernel/aero/core/hw"
)

// Fixture is one directory of core/acpi/testdata: the tables QEMU built
// for one machine and where they were in its memory (see the README there).
type Fixture struct {
	Dir   string
	Files map[string][]byte // by file name, e.g. "APIC.bin"
	// Layout is memmap.txt: the signature, file and address of each table.
	Layout []Placed
	RSDP   uint64 // the RSDP's address
}

// Placed is one line of memmap.txt.
type Placed struct {
	Sig, File string
	Addr      uint64
}

// LoadFixture reads the fixture in dir, failing tb when it is incomplete.
func LoadFixture(tb testing.TB, dir string) *Fixture {
	tb.Helper()
	f := &Fixture{Dir: dir, Files: map[string][]byte{}}
	ents, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".bin") {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				tb.Fatal(err)
			}
			f.Files[e.Name()] = b
		}
	}
	mm, err := os.ReadFile(filepath.Join(dir, "memmap.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(mm))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) != 4 {
			tb.Fatalf("%s/memmap.txt: bad line %q", dir, line)
		}
		addr, err := strconv.ParseUint(fs[2], 0, 64)
		if err != nil {
			tb.Fatalf("%s/memmap.txt: %v", dir, err)
		}
		if _, ok := f.Files[fs[1]]; !ok {
			tb.Fatalf("%s/memmap.txt names %s, which is missing", dir, fs[1])
		}
		f.Layout = append(f.Layout, Placed{fs[0], fs[1], addr})
		if fs[0] == "RSDP" {
			f.RSDP = addr
		}
	}
	if f.RSDP == 0 {
		tb.Fatalf("%s: no RSDP in memmap.txt", dir)
	}
	return f
}

// Memory maps every table of the fixture where QEMU's firmware put it.
func (f *Fixture) Memory() hw.Pieces {
	var m hw.Pieces
	for _, p := range f.Layout {
		m = append(m, hw.Piece{Addr: p.Addr, Data: bytes.Clone(f.Files[p.File])})
	}
	return m
}

// RAM returns the guest's System RAM as its /proc/iomem (iomem.txt) lists
// it, ascending: the memory map the tables went with.
func (f *Fixture) RAM(tb testing.TB) []hw.Range {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(f.Dir, "iomem.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	var ram []hw.Range
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasSuffix(line, ": System RAM") || strings.HasPrefix(line, " ") {
			continue
		}
		lo, hi, _ := strings.Cut(strings.Fields(line)[0], "-")
		a, err1 := strconv.ParseUint(lo, 16, 64)
		z, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || z < a {
			tb.Fatalf("%s/iomem.txt: bad line %q", f.Dir, line)
		}
		ram = append(ram, hw.Range{Base: a, Size: z + 1 - a})
	}
	return ram
}
