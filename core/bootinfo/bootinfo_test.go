package bootinfo

import (
	"encoding/binary"
	"strings"
	"testing"
)

func put32(b []byte, off int, v uint32) { binary.LittleEndian.PutUint32(b[off:], v) }
func put64(b []byte, off int, v uint64) { binary.LittleEndian.PutUint64(b[off:], v) }

// pvhImage lays out a PVH start info at 0x1000, its memory map at 0x2000
// and command line at 0x3000, as QEMU's PVH option ROM does.
func pvhImage(cmdline string, regions []Region) Pieces {
	si := make([]byte, pvhSize)
	put32(si, 0, PVHMagic)
	put32(si, 4, 1)
	put64(si, 24, 0x3000)
	put64(si, 32, 0xf59c0)
	put64(si, 40, 0x2000)
	put32(si, 48, uint32(len(regions)))
	mm := make([]byte, 24*len(regions))
	for i, r := range regions {
		put64(mm, 24*i, r.Base)
		put64(mm, 24*i+8, r.Size)
		put32(mm, 24*i+16, uint32(r.Type))
	}
	return Pieces{{0x1000, si}, {0x2000, mm}, {0x3000, append([]byte(cmdline), 0)}}
}

var q35Map = []Region{
	{0, 0x9fc00, RAM}, {0x9fc00, 0x400, Reserved}, {0xf0000, 0x10000, Reserved},
	{0x100000, 0x7fedf000, RAM}, {0x7ffdf000, 0x21000, Reserved}, {0xb0000000, 0x10000000, Reserved},
	{0x100000000, 0x80000000, RAM},
}

func TestPVH(t *testing.T) {
	info, err := Parse(0, 0x1000, pvhImage("test=all loglevel=debug", q35Map))
	if err != nil {
		t.Fatal(err)
	}
	if info.Loader != "pvh" || info.Cmdline != "test=all loglevel=debug" || info.RSDP != 0xf59c0 {
		t.Errorf("got %+v", info)
	}
	if len(info.Memory) != len(q35Map) {
		t.Fatalf("%d regions, want %d", len(info.Memory), len(q35Map))
	}
	ram := info.RAM()
	want := []Region{{0, 0x9fc00, RAM}, {0x100000, 0x7fedf000, RAM}, {0x100000000, 0x80000000, RAM}}
	if len(ram) != len(want) {
		t.Fatalf("RAM %v, want %v", ram, want)
	}
	for i := range want {
		if ram[i] != want[i] {
			t.Errorf("RAM[%d] = %v, want %v", i, ram[i], want[i])
		}
	}
}

func TestRAMMerges(t *testing.T) {
	info := &Info{Memory: []Region{{0x2000, 0x1000, RAM}, {0, 0x1000, RAM}, {0x1000, 0x1000, RAM}, {0x2800, 0x1000, RAM}, {0x9000, 0, RAM}, {0x5000, 0x1000, Reserved}}}
	ram := info.RAM()
	if len(ram) != 1 || ram[0].Base != 0 || ram[0].Size != 0x3800 {
		t.Errorf("RAM() = %v, want one region 0-0x3800", ram)
	}
}

func TestPVHErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		mod  func(p Pieces)
		want string
	}{
		{"bad magic", func(p Pieces) { put32(p[0].Data, 0, 0xdeadbeef) }, "no PVH start info"},
		{"version 0", func(p Pieces) { put32(p[0].Data, 4, 0) }, "version 0"},
		{"no entries", func(p Pieces) { put32(p[0].Data, 48, 0) }, "0 entries"},
		{"absurd entries", func(p Pieces) { put32(p[0].Data, 48, 1<<20) }, "1048576 entries"},
		{"map past copy", func(p Pieces) { put32(p[0].Data, 48, 8) }, "memory map"},
		{"cmdline without NUL", func(p Pieces) { p[2].Data[len(p[2].Data)-1] = 'x' }, "command line"},
		{"modules absurd", func(p Pieces) { put32(p[0].Data, 12, 1000) }, "1000 modules"},
	} {
		p := pvhImage("x=1", q35Map)
		c.mod(p)
		_, err := Parse(0, 0x1000, p)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	if _, err := Parse(0, 0, nil); err == nil {
		t.Error("null pointer: no error")
	}
	if _, err := Parse(0, 0x1000, Pieces{{0x1000, make([]byte, 10)}}); err == nil {
		t.Error("truncated start info: no error")
	}
}

// mb2Image builds multiboot2 information at 0x10000.
func mb2Image(cmdline string, regions []Region, extra ...[]byte) Pieces {
	b := make([]byte, 8)
	tag := func(typ uint32, body []byte) {
		t := make([]byte, 8+len(body))
		put32(t, 0, typ)
		put32(t, 4, uint32(len(t)))
		copy(t[8:], body)
		for len(t)%8 != 0 {
			t = append(t, 0)
		}
		b = append(b, t...)
	}
	tag(tagCmdline, append([]byte(cmdline), 0))
	tag(tagLoader, []byte("GRUB 2.06\x00"))
	mm := make([]byte, 8+24*len(regions))
	put32(mm, 0, 24)
	for i, r := range regions {
		put64(mm, 8+24*i, r.Base)
		put64(mm, 8+24*i+8, r.Size)
		put32(mm, 8+24*i+16, uint32(r.Type))
	}
	tag(tagMmap, mm)
	tag(tagACPIOld, []byte("RSD PTR \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	for _, e := range extra {
		b = append(b, e...)
	}
	tag(tagEnd, nil)
	put32(b, 0, uint32(len(b)))
	return Pieces{{0x10000, b}}
}

func TestMultiboot2(t *testing.T) {
	info, err := Parse(Multiboot2Magic, 0x10000, mb2Image("test=all", q35Map))
	if err != nil {
		t.Fatal(err)
	}
	if info.Loader != "multiboot2" || info.Name != "GRUB 2.06" || info.Cmdline != "test=all" {
		t.Errorf("got %+v", info)
	}
	if len(info.Memory) != len(q35Map) || len(info.RAM()) != 3 {
		t.Errorf("memory %v", info.Memory)
	}
	if !strings.HasPrefix(string(info.RSDPCopy), "RSD PTR ") {
		t.Errorf("RSDP copy %q", info.RSDPCopy)
	}
}

func TestMultiboot2Errors(t *testing.T) {
	bigTag := make([]byte, 16)
	put32(bigTag, 0, 99)
	put32(bigTag, 4, 4000)
	for _, c := range []struct {
		name string
		p    Pieces
		want string
	}{
		{"tag past end", mb2Image("", q35Map, bigTag), "past the"},
		{"no memory map", mb2Image("", nil), "no memory map"},
	} {
		_, err := Parse(Multiboot2Magic, 0x10000, c.p)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	p := mb2Image("", q35Map)
	put32(p[0].Data, 0, 1<<30)
	if _, err := Parse(Multiboot2Magic, 0x10000, p); err == nil || !strings.Contains(err.Error(), "claims") {
		t.Errorf("huge total_size: %v", err)
	}
	p = mb2Image("", q35Map)
	p[0].Data = p[0].Data[:len(p[0].Data)-8] // drop the end tag from the copy
	put32(p[0].Data, 0, uint32(len(p[0].Data)))
	if _, err := Parse(Multiboot2Magic, 0x10000, p); err == nil || !strings.Contains(err.Error(), "end tag") {
		t.Errorf("no end tag: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(uint32(0), pvhImage("a=b", q35Map)[0].Data, pvhImage("a=b", q35Map)[1].Data)
	f.Add(uint32(Multiboot2Magic), mb2Image("x", q35Map)[0].Data, []byte{})
	f.Fuzz(func(t *testing.T, magic uint32, a, b []byte) {
		p := Pieces{{0x1000, a}, {0x2000, b}, {0x3000, []byte("c=d\x00")}}
		info, err := Parse(magic, 0x1000, p)
		if err == nil {
			info.RAM()
		}
	})
}
