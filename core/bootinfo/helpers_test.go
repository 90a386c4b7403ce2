package bootinfo

import (
	"encoding/binary"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/aerokernel/aero/core/hw"
)

// flat is fake physical memory: b at [base, base+len(b)), any range inside
// readable.
func flat(base uint64, b []byte) hw.Pieces { return hw.Pieces{{Addr: base, Data: b}} }

// reg is a memory map entry, for tables of them.
func reg(base, size uint64, t RegionType) Region {
	return Region{hw.Range{Base: base, Size: size}, t}
}

func put32(b []byte, off uint64, v uint32) { binary.LittleEndian.PutUint32(b[off:], v) }
func put64(b []byte, off uint64, v uint64) { binary.LittleEndian.PutUint64(b[off:], v) }

// A PVH boot as QEMU lays it out, in fake memory [0, pvhMemSize).
const (
	pvhAt        = 0x1000 // struct hvm_start_info
	pvhCmdAt     = 0x2000
	pvhModsAt    = 0x3000
	pvhModCmdAt  = 0x4000 // module i's command line at pvhModCmdAt + 0x100*i
	pvhMapAt     = 0x8000
	pvhMemSize   = 0x10000
	pvhRSDPValue = 0xf52e0
)

type pvhSpec struct {
	version uint32
	cmdline string // "" gives cmdline_paddr 0
	modules []Module
	memory  []Region
}

// q35 is the memory map QEMU's q35 machine gives a 4 GiB guest.
var q35 = []Region{
	reg(0, 0x9fc00, RAM), reg(0x9fc00, 0x400, Reserved), reg(0xf0000, 0x10000, Reserved),
	reg(0x100000, 0x7fee0000, RAM), reg(0x7ffe0000, 0x20000, Reserved),
	reg(0xb0000000, 0x10000000, Reserved), reg(0xfed1c000, 0x4000, Reserved),
	reg(0xfeffc000, 0x4000, Reserved), reg(0xfffc0000, 0x40000, Reserved),
	reg(0x100000000, 0x80000000, RAM),
}

// q35RAM is what RAM() makes of q35.
var q35RAM = []Region{reg(0, 0x9fc00, RAM), reg(0x100000, 0x7fee0000, RAM), reg(0x100000000, 0x80000000, RAM)}

func (s pvhSpec) build() []byte {
	m := make([]byte, pvhMemSize)
	put32(m, pvhAt, PVHMagic)
	put32(m, pvhAt+4, s.version)
	put64(m, pvhAt+32, pvhRSDPValue)
	if s.cmdline != "" {
		put64(m, pvhAt+24, pvhCmdAt)
		copy(m[pvhCmdAt:], s.cmdline+"\x00")
	}
	put32(m, pvhAt+12, uint32(len(s.modules)))
	if len(s.modules) > 0 {
		put64(m, pvhAt+16, pvhModsAt)
	}
	for i, mod := range s.modules {
		e := uint64(pvhModsAt + 32*i)
		put64(m, e, mod.Base)
		put64(m, e+8, mod.Size)
		if mod.Cmdline != "" {
			at := uint64(pvhModCmdAt + 0x100*i)
			put64(m, e+16, at)
			copy(m[at:], mod.Cmdline+"\x00")
		}
	}
	if s.version >= 1 {
		put64(m, pvhAt+40, pvhMapAt)
		put32(m, pvhAt+48, uint32(len(s.memory)))
		for i, r := range s.memory {
			e := uint64(pvhMapAt + 24*i)
			put64(m, e, r.Base)
			put64(m, e+8, r.Size)
			put32(m, e+16, uint32(r.Type))
			put32(m, e+20, 0xffffffff) // reserved: ignored
		}
	}
	return m
}

func defaultPVH() pvhSpec {
	return pvhSpec{version: 1, cmdline: "test=all loglevel=debug", memory: q35}
}

// mb2 builds multiboot2 information: tags appended in order, each padded
// to 8 bytes; done() adds the end tag and sets total_size.
type mb2 struct{ b []byte }

const mb2At = 0x10000

func newMB2() *mb2 { return &mb2{b: make([]byte, 8)} }

func (m *mb2) tag(typ uint32, body []byte) *mb2 {
	t := make([]byte, 8+len(body))
	put32(t, 0, typ)
	put32(t, 4, uint32(len(t)))
	copy(t[8:], body)
	for len(t)%8 != 0 {
		t = append(t, 0)
	}
	m.b = append(m.b, t...)
	return m
}

func (m *mb2) str(typ uint32, s string) *mb2 { return m.tag(typ, []byte(s+"\x00")) }

func (m *mb2) mmap(esize uint32, rs []Region) *mb2 {
	body := make([]byte, 8+int(esize)*len(rs))
	put32(body, 0, esize)
	for i, r := range rs {
		e := make([]byte, max(24, esize))
		put64(e, 0, r.Base)
		put64(e, 8, r.Size)
		put32(e, 16, uint32(r.Type))
		copy(body[8+int(esize)*i:], e[:esize])
	}
	return m.tag(tagMmap, body)
}

func (m *mb2) module(start, end uint32, cmdline string) *mb2 {
	body := make([]byte, 8)
	put32(body, 0, start)
	put32(body, 4, end)
	return m.tag(tagModule, append(body, cmdline+"\x00"...))
}

func (m *mb2) basic(lower, upper uint32) *mb2 {
	body := make([]byte, 8)
	put32(body, 0, lower)
	put32(body, 4, upper)
	return m.tag(tagBasicMem, body)
}

func (m *mb2) done() []byte {
	m.tag(tagEnd, nil)
	put32(m.b, 0, uint32(len(m.b)))
	return m.b
}

var rsdpV1 = []byte("RSD PTR \x4eBOCHS \x00\xe0\x52\x0f\x00")
var rsdpV2 = append(append([]byte("RSD PTR \x4eBOCHS \x02\xe0\x52\x0f\x00"), 36, 0, 0, 0), make([]byte, 12)...)

// grub is multiboot2 information as GRUB gives it on a q35 machine.
func grub() *mb2 {
	return newMB2().str(tagCmdline, "test=all").str(tagLoader, "GRUB 2.12").
		basic(639, 2096000).
		tag(5, []byte{0x80, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}). // boot device: skipped
		mmap(24, q35).
		tag(9, make([]byte, 20)). // ELF sections: skipped
		tag(tagACPIOld, rsdpV1).tag(tagACPINew, rsdpV2).
		tag(21, []byte{0, 0, 0x20, 0}) // load base address: skipped
}

// wantErr checks that err is an *Error of kind with all of the words in its text.
func wantErr(t *testing.T, err error, kind error, words ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("no error, want %v", kind)
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Errorf("error %v (%T) is not an *Error", err, err)
	}
	if !errors.Is(err, kind) {
		t.Errorf("error %q is not %v", err, kind)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
}

func equal(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}
